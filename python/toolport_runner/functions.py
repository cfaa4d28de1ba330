"""Function mode: a script imported as a module, its public functions turned into tools."""

import importlib.util
import inspect
import os
import sys
import typing

from .coerce import coerce
from .docstrings import parse_docstring
from .schema import NONE_TYPE, UnsupportedType, schema_for, type_hints
from .serialize import NO_DEFAULT, jsonable_default

SCRIPT_MODULE_NAME = "toolport_user_script"


class FunctionTool:
    """One exposed function: its MCP tool definition and how to coerce arguments for it."""

    def __init__(self, name, func):
        self.name = name
        self.func = func
        target = inspect.unwrap(func)
        self.is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(func)
        self.is_async_gen = inspect.isasyncgenfunction(target)
        self.line = getattr(getattr(target, "__code__", None), "co_firstlineno", None)
        signature = inspect.signature(func)
        hints = type_hints(target)
        description, param_docs, returns_doc = parse_docstring(inspect.getdoc(target) or "")
        self.description = description
        self.params = []
        properties = {}
        required = []
        self.accepts_extra = False
        for param in signature.parameters.values():
            if param.kind is inspect.Parameter.VAR_POSITIONAL:
                continue
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                self.accepts_extra = True
                continue
            annotation = hints.get(param.name, param.annotation)
            try:
                schema = schema_for(annotation)
            except UnsupportedType as exc:
                raise UnsupportedType("parameter '%s' has unsupported type %s" % (param.name, exc))
            if param.name in param_docs and param_docs[param.name]:
                schema["description"] = param_docs[param.name]
            if param.default is inspect.Parameter.empty:
                required.append(param.name)
            else:
                default = jsonable_default(param.default)
                if default is not NO_DEFAULT:
                    schema["default"] = default
            properties[param.name] = schema
            self.params.append((param.name, annotation, param.kind))
        self.input_schema = {"type": "object", "properties": properties}
        if required:
            self.input_schema["required"] = required
        self.output_schema = None
        self.wrap_result = True
        returns = hints.get("return", signature.return_annotation)
        if returns not in (inspect.Signature.empty, None, NONE_TYPE, typing.Any):
            try:
                out = schema_for(returns)
            except UnsupportedType:
                out = {}
            if out:
                if out.get("type") == "object":
                    self.output_schema = out
                    self.wrap_result = False
                else:
                    if returns_doc:
                        out["description"] = returns_doc
                    self.output_schema = {"type": "object", "properties": {"result": out}, "required": ["result"]}
        self.param_names = {p[0] for p in self.params}

    def definition(self):
        tool = {"name": self.name, "inputSchema": self.input_schema}
        if self.description:
            tool["description"] = self.description
        if self.output_schema is not None:
            tool["outputSchema"] = self.output_schema
        return tool

    def analysis(self):
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
            "outputSchema": self.output_schema,
            "is_async": self.is_async,
            "line": self.line,
        }

    def bind(self, arguments):
        """Positional-only values and keyword values for the call, coerced to their annotations."""
        positional = []
        keywords = {}
        for name, annotation, kind in self.params:
            if name not in arguments:
                continue
            value = coerce(arguments[name], annotation, name)
            if kind is inspect.Parameter.POSITIONAL_ONLY:
                positional.append(value)
            else:
                keywords[name] = value
        unknown = [k for k in arguments if k not in self.param_names]
        if unknown and not self.accepts_extra:
            raise TypeError("unexpected argument(s): %s" % ", ".join(sorted(unknown)))
        for name in unknown:
            keywords[name] = arguments[name]
        return positional, keywords


def load_module(path):
    """Imports the script as a fresh module (never as __main__, so its CLI block does not run)."""
    script_dir = os.path.dirname(os.path.abspath(path))
    # The folder holding the runner (package or bundle) is not the script's to import from.
    runner_dir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runner_dir]
    sys.path.insert(0, script_dir)
    # The script sees its own file name only, never the runner's arguments (argparse would read them).
    sys.argv[:] = [path]
    spec = importlib.util.spec_from_file_location(SCRIPT_MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise ImportError("cannot load %s as a Python module" % path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[SCRIPT_MODULE_NAME] = module
    spec.loader.exec_module(module)
    return module


def collect_functions(module, only=None):
    """(tools, skipped): public functions defined in the module; everything else with a reason."""
    tools = []
    skipped = []
    for name, value in list(vars(module).items()):
        if name.startswith("__"):
            continue
        if inspect.isclass(value):
            if getattr(value, "__module__", None) == module.__name__ and not name.startswith("_"):
                skipped.append({"name": name, "reason": "class (only functions become tools)"})
            continue
        if not (inspect.isfunction(value) or inspect.iscoroutinefunction(value)):
            if callable(value) and not inspect.ismodule(value) and getattr(value, "__module__", None) == module.__name__:
                skipped.append({"name": name, "reason": "not a plain function"})
            continue
        target = inspect.unwrap(value)
        if getattr(target, "__module__", None) != module.__name__:
            skipped.append({"name": name, "reason": "imported from %s" % getattr(target, "__module__", "another module")})
            continue
        if name.startswith("_"):
            skipped.append({"name": name, "reason": "private (leading underscore)"})
            continue
        if getattr(target, "__name__", "") == "<lambda>":
            skipped.append({"name": name, "reason": "lambda"})
            continue
        if only is not None and name not in only:
            skipped.append({"name": name, "reason": "not selected"})
            continue
        if _is_argparse_entry(target):
            skipped.append(
                {"name": name, "reason": "argparse entry point (takes no parameters and parses the command line): use script mode"}
            )
            continue
        try:
            tool = FunctionTool(name, value)
        except UnsupportedType as exc:
            skipped.append({"name": name, "reason": str(exc)})
            continue
        except (ValueError, TypeError) as exc:
            skipped.append({"name": name, "reason": "signature not inspectable: %s" % exc})
            continue
        if tool.is_async_gen:
            skipped.append({"name": name, "reason": "async generator functions are not supported"})
            continue
        tools.append(tool)
    return tools, skipped


def _is_argparse_entry(func):
    """A `main()` style function: no parameters, and it calls parse_args / parse_known_args."""
    code = getattr(func, "__code__", None)
    if code is None or code.co_argcount or code.co_kwonlyargcount or code.co_flags & 0x0C:
        return False
    names = set(code.co_names)
    for const in code.co_consts:  # nested code objects (comprehensions, closures)
        if hasattr(const, "co_names"):
            names.update(const.co_names)
    return bool(names & {"parse_args", "parse_known_args", "parse_intermixed_args"})
