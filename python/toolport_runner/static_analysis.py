"""What the source of a script shows without running it: risky calls, a __main__ block, imports."""

import ast
import importlib.util
import sys

from .argparse_params import argparse_parameters


_RISKY_CALLS = {
    "os.system": "os.system() runs a shell command",
    "os.popen": "os.popen() runs a shell command",
    "os.remove": "os.remove() deletes files",
    "os.unlink": "os.unlink() deletes files",
    "os.rmdir": "os.rmdir() deletes directories",
    "os.removedirs": "os.removedirs() deletes directories",
    "os.kill": "os.kill() signals processes",
    "os.fork": "os.fork() creates processes",
    "shutil.rmtree": "shutil.rmtree() deletes directory trees",
    "shutil.move": "shutil.move() moves files",
    "eval": "eval() executes dynamic code",
    "exec": "exec() executes dynamic code",
    "compile": "compile() builds dynamic code",
    "__import__": "__import__() imports modules dynamically",
    "importlib.import_module": "importlib.import_module() imports modules dynamically",
    "socket.socket": "socket.socket() opens network connections",
    "socket.create_connection": "socket.create_connection() opens network connections",
    "urllib.request.urlopen": "urllib.request.urlopen() makes network requests",
    "pickle.load": "pickle.load() can execute arbitrary code from data",
    "pickle.loads": "pickle.loads() can execute arbitrary code from data",
    "marshal.loads": "marshal.loads() loads code objects",
}
_RISKY_PREFIXES = {
    "subprocess.": "subprocess.%s() runs external programs",
    "os.exec": "%s() replaces the process",
    "os.spawn": "%s() runs external programs",
    "ctypes.": "ctypes.%s() calls native code",
}
_RISKY_IMPORTS = {"subprocess", "socket", "ctypes", "multiprocessing", "http.server", "socketserver"}


def _dotted(node, aliases):
    """The dotted name a call target refers to, with import aliases resolved (`sp.run` → subprocess.run)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(aliases.get(node.id, node.id))
    return ".".join(reversed(parts))


def _open_mode(call):
    mode = None
    if len(call.args) >= 2 and isinstance(call.args[1], ast.Constant):
        mode = call.args[1].value
    for kw in call.keywords:
        if kw.arg == "mode" and isinstance(kw.value, ast.Constant):
            mode = kw.value.value
    return mode if isinstance(mode, str) else None


def static_analysis(tree):
    """Warnings, whether a `__main__` block exists, argparse parameters and imported top-level modules."""
    aliases = {}
    imports = []
    warnings = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else alias.name.split(".")[0]
                imports.append((alias.name, node))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                aliases[alias.asname or alias.name] = "%s.%s" % (node.module, alias.name)
            imports.append((node.module, node))
    for module, node in imports:
        if module in _RISKY_IMPORTS or module.split(".")[0] in ("subprocess", "socket", "ctypes"):
            warnings.append({"line": node.lineno, "message": "imports %s" % module})
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func, aliases)
        if not name:
            continue
        message = _RISKY_CALLS.get(name)
        if message is None:
            for prefix, template in _RISKY_PREFIXES.items():
                if name.startswith(prefix):
                    message = template % (name[len(prefix):] if template.startswith(prefix) else name)
                    break
        if message is None and name in ("open", "io.open", "builtins.open"):
            mode = _open_mode(node)
            if mode and any(c in mode for c in "wax+"):
                message = "open() with mode %r writes files" % mode
        if message is None and name.endswith((".write_text", ".write_bytes", ".unlink", ".rmdir")) and name.split(".")[0] not in aliases:
            message = "%s() writes or deletes files" % name.rsplit(".", 1)[1]
        if message:
            warnings.append({"line": node.lineno, "message": message})
    warnings.sort(key=lambda w: (w["line"], w["message"]))
    has_main = any(_is_main_guard(node) for node in tree.body)
    return warnings, has_main, argparse_parameters(tree), imports


def _is_main_guard(node):
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left] + list(test.comparators)
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts and isinstance(test.ops[0], ast.Eq))


def missing_imports(tree):
    """Top-level modules imported outside try blocks that cannot be found."""
    guarded = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for child in ast.walk(node):
                guarded.add(id(child))
    missing = []
    for node in ast.walk(tree):
        if id(node) in guarded:
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [a.name.split(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module.split(".")[0]]
        for name in names:
            if name in missing or name in sys.builtin_module_names:
                continue
            try:
                if importlib.util.find_spec(name) is None:
                    missing.append(name)
            except (ImportError, ValueError):
                missing.append(name)
    return missing
