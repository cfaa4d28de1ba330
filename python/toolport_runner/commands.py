"""The `serve` and `analyze` commands."""

import ast
import json
import os
import signal
import sys

from .argparse_params import argparse_description, argparse_parameters
from .capture import OutputCapture
from .functions import collect_functions, load_module
from .script_tool import ScriptTool
from .server import Server
from .static_analysis import missing_imports, static_analysis


def set_memory_limit(megabytes):
    if not megabytes:
        return
    import resource

    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def fail(message, code=2):
    """Reports a usage or startup error on stderr and exits at once."""
    sys.stderr.write("toolport-runner: %s\n" % message)
    sys.stderr.flush()
    os._exit(code)


def cmd_serve(options):
    script = options["script"]
    if not os.path.isfile(script):
        fail("script not found: %s" % script)
    set_memory_limit(options.get("memory_mb"))
    io_capture = OutputCapture()
    if options.get("mode", "functions") == "script":
        description = options.get("description")
        if options.get("params_json") is None:
            # No declared parameters (`toolport run-script --mode script`): read them from the script's argparse calls.
            try:
                with open(script, "rb") as fh:
                    tree = ast.parse(fh.read(), filename=os.path.basename(script))
            except (SyntaxError, ValueError) as exc:
                fail("cannot parse %s: %s" % (os.path.basename(script), exc))
            params = argparse_parameters(tree)
            description = description or argparse_description(tree)
        else:
            try:
                params = json.loads(options["params_json"])
            except ValueError as exc:
                fail("--params-json is not valid JSON: %s" % exc)
        if not isinstance(params, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in params):
            fail("--params-json must be a list of {name, type, …} objects")
        name = options.get("tool_name") or os.path.splitext(os.path.basename(script))[0]
        tools = [ScriptTool(os.path.abspath(script), name, description, params)]
    else:
        try:
            module = load_module(script)
        except SyntaxError as exc:
            fail("syntax error in %s line %s: %s" % (os.path.basename(script), exc.lineno, exc.msg))
        except ModuleNotFoundError as exc:
            fail("script imports missing module '%s'" % exc.name)
        except BaseException as exc:
            fail("importing the script failed: %s: %s" % (type(exc).__name__, exc))
        only = set(options["functions"]) if options.get("functions") else None
        tools, skipped = collect_functions(module, only)
        if only:
            found = {t.name for t in tools}
            for name in sorted(only - found):
                reason = next((s["reason"] for s in skipped if s["name"] == name), "not defined in the script")
                fail("function '%s' cannot be served: %s" % (name, reason))
        leftover = io_capture.take()
        if leftover:
            sys.stderr.write(leftover if leftover.endswith("\n") else leftover + "\n")
    Server(tools, io_capture, options.get("memory_mb")).run()
    os._exit(0)


def cmd_analyze(options):
    script = options["script"]
    result = {
        "functions": [],
        "skipped": [],
        "warnings": [],
        "missing_modules": [],
        "syntax_error": None,
        "import_error": None,
        "has_main": False,
        "cli_parameters": [],
        "cli_description": None,
    }
    try:
        with open(script, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        fail("cannot read script: %s" % exc.strerror)
    io_capture = OutputCapture()
    try:
        tree = ast.parse(source, filename=os.path.basename(script))
    except SyntaxError as exc:
        result["syntax_error"] = {"line": exc.lineno or 0, "column": exc.offset or 0, "message": exc.msg}
        io_capture.write_message(result)
        return
    except ValueError as exc:  # null bytes
        result["syntax_error"] = {"line": 0, "column": 0, "message": str(exc)}
        io_capture.write_message(result)
        return
    warnings, has_main, cli_parameters, _imports = static_analysis(tree)
    result["warnings"] = warnings
    result["has_main"] = has_main
    result["cli_parameters"] = cli_parameters
    result["cli_description"] = argparse_description(tree)
    result["missing_modules"] = missing_imports(tree)
    timeout_ms = int(options.get("timeout_ms") or 0)

    def on_alarm(_signum, _frame):
        raise TimeoutError("importing the script took longer than %d ms" % timeout_ms)

    if timeout_ms > 0:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_ms / 1000.0)
    try:
        module = load_module(script)
        signal.setitimer(signal.ITIMER_REAL, 0)
        tools, skipped = collect_functions(module)
        result["functions"] = [t.analysis() for t in tools]
        result["skipped"] = skipped
    except ModuleNotFoundError as exc:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if exc.name and exc.name.split(".")[0] not in result["missing_modules"]:
            result["missing_modules"].append(exc.name.split(".")[0])
        result["import_error"] = "ModuleNotFoundError: %s" % exc
    except BaseException as exc:  # anything the script raises at import is reported, not fatal
        signal.setitimer(signal.ITIMER_REAL, 0)
        if isinstance(exc, SyntaxError):
            result["syntax_error"] = {"line": exc.lineno or 0, "column": exc.offset or 0, "message": exc.msg}
        result["import_error"] = "%s: %s" % (type(exc).__name__, exc)
    io_capture.take()
    io_capture.write_message(result)
