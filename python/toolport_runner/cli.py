"""Command line: `serve|analyze SCRIPT.py [options]`, private env handover, then the command."""

import json
import os
import sys

from .commands import cmd_analyze, cmd_serve, fail


def parse_args(argv):
    if len(argv) < 2 or argv[0] not in ("serve", "analyze"):
        fail("usage: toolport_runner.py serve|analyze SCRIPT.py [options]")
    options = {"command": argv[0], "script": argv[1]}
    names = {
        "--functions", "--mode", "--params-json", "--tool-name", "--description", "--memory-mb", "--timeout-ms",
        "--env-file", "--drop-env",
    }
    i = 2
    while i < len(argv):
        key = argv[i]
        if key not in names or i + 1 >= len(argv):
            fail("unknown or incomplete option: %s" % key)
        value = argv[i + 1]
        if key == "--functions":
            options["functions"] = [f.strip() for f in value.split(",") if f.strip()]
        elif key == "--mode":
            if value not in ("functions", "script"):
                fail("--mode must be functions or script")
            options["mode"] = value
        elif key in ("--memory-mb", "--timeout-ms"):
            if not value.isdigit():
                fail("%s must be a whole number" % key)
            options[key[2:].replace("-", "_")] = int(value)
        else:
            options[key[2:].replace("-", "_")] = value
        i += 2
    return options


def _load_env_file(path):
    """Config values handed over in a private file (deleted once read) instead of argv or bwrap --setenv."""
    try:
        with open(path, "r", encoding="utf-8") as fh:
            values = json.load(fh)
    except (OSError, ValueError) as exc:
        fail("cannot read --env-file: %s" % exc)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if not isinstance(values, dict):
        fail("--env-file must hold a JSON object")
    for key, value in values.items():
        if isinstance(key, str) and isinstance(value, str):
            os.environ[key] = value


def main(argv):
    options = parse_args(argv)
    sys.dont_write_bytecode = True
    if options.get("env_file"):
        _load_env_file(options["env_file"])
    for name in (options.get("drop_env") or "").split(","):
        os.environ.pop(name.strip(), None)
    if options["command"] == "serve":
        cmd_serve(options)
    else:
        cmd_analyze(options)
        sys.stdout.flush()
        os._exit(0)
