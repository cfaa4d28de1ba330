"""Script mode: one tool that runs the whole script in a fresh interpreter with CLI arguments."""

import json
import os
import subprocess
import sys

from .coerce import coerce

MAX_SCRIPT_OUTPUT = 1024 * 1024


class ScriptTool:
    """Script mode: one tool that runs the script in a fresh interpreter with CLI arguments."""

    def __init__(self, path, name, description, params, script_name=None):
        self.path = path
        # The name the script sees as argv[0] (so argparse errors say `report.py`, not a stored file's hash).
        self.script_name = script_name or os.path.basename(path)
        self.name = name
        self.params = params
        properties = {}
        required = []
        for p in params:
            kind = p.get("type", "string")
            if kind == "array":
                schema = {"type": "array", "items": dict(p.get("items") or {})}
                if isinstance(p.get("count"), int):
                    schema["minItems"] = schema["maxItems"] = p["count"]
            else:
                schema = {"type": kind}
            if isinstance(p.get("enum"), list) and p["enum"]:
                schema["enum"] = list(p["enum"])
            if p.get("description"):
                schema["description"] = p["description"]
            if "default" in p and p["default"] is not None:
                schema["default"] = p["default"]
            if p.get("required"):
                required.append(p["name"])
            properties[p["name"]] = schema
        self.input_schema = {"type": "object", "properties": properties}
        if required:
            self.input_schema["required"] = required
        self.description = description or "Runs %s with command-line arguments." % self.script_name

    def definition(self):
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": {
                "type": "object",
                "properties": {"stdout": {"type": "string"}, "stderr": {"type": "string"}, "exit_code": {"type": "integer"}},
                "required": ["stdout", "stderr", "exit_code"],
            },
        }

    def argv(self, arguments):
        known = {p["name"] for p in self.params}
        unknown = [k for k in arguments if k not in known]
        if unknown:
            raise TypeError("unexpected argument(s): %s" % ", ".join(sorted(unknown)))
        options = []
        positional = []
        for p in self.params:
            name = p["name"]
            value = arguments.get(name, p.get("default"))
            if value is None:
                if p.get("required"):
                    raise TypeError("missing required argument '%s'" % name)
                continue
            flag = p.get("flag")
            kind = p.get("type", "string")
            if kind == "boolean":
                value = coerce(value, bool, name)
                if flag is None:
                    positional.append(str(value).lower())
                elif bool(value) != bool(p.get("default") or False):
                    options.append(flag)
                continue
            values = [_cli_text(v) for v in value] if isinstance(value, list) else [_cli_text(value)]
            if flag is None:
                positional.extend(values)
            elif values and p.get("repeat"):
                for v in values:
                    options.extend([flag, v])
            elif values:
                options.append(flag)
                options.extend(values)
        # Positionals first: an option with nargs="*" would otherwise swallow them. Values that
        # look like options go after "--" instead.
        if any(v.startswith("-") for v in positional):
            return options + ["--"] + positional
        return positional + options

    def run(self, arguments):
        argv = self.argv(arguments)
        proc = subprocess.run(
            [sys.executable, "-c", _LAUNCH, self.path, self.script_name] + argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=os.getcwd(),
        )
        stdout = _cut(proc.stdout)
        stderr = _cut(proc.stderr)
        content = [{"type": "text", "text": stdout}]
        if stderr:
            content.append({"type": "text", "text": "[stderr]\n" + stderr})
        result = {"content": content, "structuredContent": {"stdout": stdout, "stderr": stderr, "exit_code": proc.returncode}}
        if proc.returncode != 0:
            result["isError"] = True
        return result


# Runs the script as __main__ with argv[0] set to its own file name; its folder first on sys.path as usual.
_LAUNCH = (
    "import os, sys, __main__\n"
    "path, name = sys.argv[1], sys.argv[2]\n"
    "sys.argv = [name] + sys.argv[3:]\n"
    "sys.path[0] = os.path.dirname(path)\n"
    "__main__.__file__ = path\n"
    "with open(path, 'rb') as fh:\n"
    "    code = compile(fh.read(), path, 'exec')\n"
    "del os, sys, path, name, fh\n"
    "exec(code, __main__.__dict__)\n"
)


def _cli_text(value):
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _cut(data):
    text = data[:MAX_SCRIPT_OUTPUT].decode("utf-8", errors="replace")
    if len(data) > MAX_SCRIPT_OUTPUT:
        text += "\n… [%d more bytes cut]" % (len(data) - MAX_SCRIPT_OUTPUT)
    return text
