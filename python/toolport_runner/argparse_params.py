"""Script mode: the command-line parameters a script declares with argparse, read from its syntax tree."""

import ast


_ARG_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}


def _literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


def argparse_parameters(tree):
    params = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument"):
            continue
        names = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if not names:
            continue
        kw = {k.arg: k.value for k in node.keywords if k.arg}
        flags = [n for n in names if n.startswith("-")]
        if flags and set(flags) <= {"-h", "--help"}:
            continue
        action = _literal(kw["action"]) if "action" in kw else None
        if action in ("help", "version"):
            continue
        flag = None
        if flags:
            flag = next((f for f in flags if f.startswith("--")), flags[0])
            name = flag.lstrip("-").replace("-", "_")
        else:
            name = names[0]
        if "dest" in kw and isinstance(_literal(kw["dest"]), str):
            name = _literal(kw["dest"])
        kind = "string"
        if "type" in kw and isinstance(kw["type"], ast.Name):
            kind = _ARG_TYPES.get(kw["type"].id, "string")
        nargs = _literal(kw["nargs"]) if "nargs" in kw else None
        default = _literal(kw["default"]) if "default" in kw else None
        item_kind = kind
        repeat = False
        if action in ("store_true", "store_false"):
            kind = "boolean"
            if default is None:
                default = action == "store_false"
        elif action == "count":
            kind = "integer"
        elif action in ("append", "extend") or nargs in ("*", "+") or (isinstance(nargs, int) and nargs > 1):
            kind = "array"
            # `append` takes one value per flag: `--tag a --tag b`; `extend` and nargs take them all after one.
            repeat = action == "append" and nargs in (None, "?")
        required = bool(_literal(kw["required"])) if "required" in kw else False
        if flag is None:
            required = nargs not in ("?", "*") and "default" not in kw
        param = {"name": name, "type": kind, "required": required}
        if flag:
            param["flag"] = flag
        help_text = _literal(kw["help"]) if "help" in kw else None
        if isinstance(help_text, str):
            param["description"] = help_text
        if kind == "array":
            param["items"] = {"type": item_kind}
            if isinstance(nargs, int) and nargs > 1:
                param["count"] = nargs
            if repeat:
                param["repeat"] = True
        choices = _literal(kw["choices"]) if "choices" in kw else None
        if isinstance(choices, (list, tuple)) and choices and all(isinstance(c, (str, int, float)) for c in choices):
            if kind == "array":
                param["items"]["enum"] = list(choices)
            else:
                param["enum"] = list(choices)
        if default is not None and not required:
            param["default"] = default
        params.append(param)
    return params


def argparse_description(tree):
    """The `description=` of the first `ArgumentParser(...)` call, when it is a literal string."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name != "ArgumentParser":
            continue
        for kw in node.keywords:
            if kw.arg == "description":
                value = _literal(kw.value)
                if isinstance(value, str) and value.strip():
                    return value.strip()
        if node.args:
            # ArgumentParser(prog, usage, description, …) positionally
            if len(node.args) >= 3:
                value = _literal(node.args[2])
                if isinstance(value, str) and value.strip():
                    return value.strip()
    return None
