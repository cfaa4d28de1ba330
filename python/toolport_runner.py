#!/usr/bin/env python3
"""Toolport Python runner: turns a Python script into an MCP server over stdio (stdlib only).

Usage:
  toolport_runner.py serve SCRIPT.py [--functions a,b] [--mode functions|script]
                     [--params-json JSON] [--tool-name NAME] [--description TEXT] [--memory-mb N]
  toolport_runner.py analyze SCRIPT.py [--timeout-ms N]

`serve` speaks MCP (JSON-RPC 2.0, one message per line) on the process's original stdout;
everything user code prints is captured and returned with the call, never mixed into the protocol.
`analyze` prints one JSON document describing the script's tools, warnings and problems.
"""

import ast
import asyncio
import base64
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import importlib.util
import inspect
import io
import json
import os
import pathlib
import queue
import re
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import types
import typing
import uuid

RUNNER_VERSION = "0.1.0"
PROTOCOL_VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05", "2024-10-07")
MAX_CAPTURE = 64 * 1024
MAX_SCRIPT_OUTPUT = 1024 * 1024
SCRIPT_MODULE_NAME = "toolport_user_script"
EOF_GRACE_SECONDS = 5.0
_EOF = object()


class UnsupportedType(Exception):
    """An annotation with no JSON Schema equivalent (the function is skipped, with this reason)."""


class CallCancelled(BaseException):
    """Raised in the main thread when the client cancels the running call (BaseException: user
    `except Exception` blocks must not swallow it)."""


# ---------------------------------------------------------------------------------------------
# JSON Schema from type annotations
# ---------------------------------------------------------------------------------------------

_NONE_TYPE = type(None)
_UNION_TYPES = (typing.Union,) + ((types.UnionType,) if hasattr(types, "UnionType") else ())
_SIMPLE = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    _NONE_TYPE: {"type": "null"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    decimal.Decimal: {"type": "number"},
}
_LIST_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence, collections.abc.Iterable)
_SET_ORIGINS = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
_DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def _is_typeddict(tp):
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _type_name(tp):
    return getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None) or repr(tp)


def _jsonable_default(value):
    """The value as JSON, or a sentinel when it has no faithful JSON form."""
    try:
        converted = to_jsonable(value, strict=True)
        json.dumps(converted)
        return converted
    except Exception:
        return _NO_DEFAULT


_NO_DEFAULT = object()


def _hints(obj):
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except Exception:
        # Unresolvable forward references: fall back to raw annotations; strings become Any.
        raw = dict(getattr(obj, "__annotations__", {}) or {})
        return {k: (typing.Any if isinstance(v, str) else v) for k, v in raw.items()}


def schema_for(tp, _seen=None):
    """The JSON Schema of an annotation; raises UnsupportedType when there is none."""
    seen = _seen or set()
    if tp is inspect.Parameter.empty or tp is typing.Any or tp is object:
        return {}
    if tp is None:
        return {"type": "null"}
    if isinstance(tp, typing.TypeVar):
        return {}
    if isinstance(tp, str):
        return {}
    if tp in _SIMPLE:
        return dict(_SIMPLE[tp])
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        schema = schema_for(args[0], seen)
        notes = [a for a in args[1:] if isinstance(a, str)]
        if notes:
            schema["description"] = notes[0]
        return schema
    if origin in _UNION_TYPES:
        return {"anyOf": [schema_for(a, seen) for a in args]}
    if origin is typing.Literal:
        values = [v.value if isinstance(v, enum.Enum) else v for v in args]
        schema = {"enum": values}
        kinds = {_json_type(v) for v in values}
        if len(kinds) == 1 and None not in kinds:
            schema = {"type": kinds.pop(), "enum": values}
        return schema
    if origin is tuple:
        if not args or args == ((),):
            return {"type": "array"} if not args else {"type": "array", "maxItems": 0}
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": schema_for(args[0], seen)}
        items = [schema_for(a, seen) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if origin in _LIST_ORIGINS:
        return {"type": "array", "items": schema_for(args[0], seen)} if args else {"type": "array"}
    if origin in _SET_ORIGINS:
        schema = {"type": "array", "uniqueItems": True}
        if args:
            schema["items"] = schema_for(args[0], seen)
        return schema
    if origin in _DICT_ORIGINS:
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not typing.Any:
            schema["additionalProperties"] = schema_for(args[1], seen)
        return schema
    if tp in (list, tuple) or tp in _LIST_ORIGINS:
        return {"type": "array"}
    if tp in (set, frozenset):
        return {"type": "array", "uniqueItems": True}
    if tp is dict or tp in _DICT_ORIGINS:
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        kinds = {_json_type(v) for v in values}
        schema = {"enum": values}
        if len(kinds) == 1 and None not in kinds:
            schema = {"type": kinds.pop(), "enum": values}
        return schema
    if isinstance(tp, type) and issubclass(tp, pathlib.PurePath):
        return {"type": "string"}
    if tp in seen:
        return {"type": "object"}
    if _is_typeddict(tp):
        hints = _hints(tp)
        required_keys = getattr(tp, "__required_keys__", frozenset())
        props = {name: schema_for(hint, seen | {tp}) for name, hint in hints.items()}
        schema = {"type": "object", "properties": props}
        required = [name for name in hints if name in required_keys]
        if required:
            schema["required"] = required
        return schema
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = _hints(tp)
        props = {}
        required = []
        for field in dataclasses.fields(tp):
            if not field.init:
                continue
            prop = schema_for(hints.get(field.name, typing.Any), seen | {tp})
            if field.default is not dataclasses.MISSING:
                default = _jsonable_default(field.default)
                if default is not _NO_DEFAULT:
                    prop["default"] = default
            elif field.default_factory is dataclasses.MISSING:
                required.append(field.name)
            props[field.name] = prop
        schema = {"type": "object", "properties": props}
        if required:
            schema["required"] = required
        return schema
    if isinstance(tp, type) and hasattr(tp, "model_json_schema"):
        return tp.model_json_schema()
    raise UnsupportedType(_type_name(tp))


def _json_type(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


# ---------------------------------------------------------------------------------------------
# Docstrings (Google, NumPy, reST)
# ---------------------------------------------------------------------------------------------

_GOOGLE_PARAM_HEADERS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "kwargs"}
_GOOGLE_HEADERS = _GOOGLE_PARAM_HEADERS | {
    "returns", "return", "yields", "yield", "raises", "raise", "examples", "example", "note", "notes",
    "see also", "attributes", "todo", "warning", "warnings", "references",
}
_GOOGLE_PARAM_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?:\(([^)]*)\))?\s*:\s*(.*)$")
_NUMPY_PARAM_LINE = re.compile(r"^\*{0,2}(\w+)\s*(?::\s*(.*))?$")
_REST_PARAM = re.compile(r"^:(?:param|parameter|arg|argument|key|keyword)\s+(?:([^:]*?)\s+)?(\w+)\s*:\s*(.*)$")
_REST_FIELD = re.compile(r"^:\w+")


def _indent(line):
    return len(line) - len(line.lstrip())


def parse_docstring(doc):
    """Returns (description, {param: description}, returns description) of a cleaned docstring."""
    if not doc:
        return "", {}, ""
    lines = inspect.cleandoc(doc).splitlines()
    params = {}
    returns = ""
    desc_end = len(lines)
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        header = stripped[:-1].strip().lower() if stripped.endswith(":") else None
        is_numpy = (
            i + 1 < len(lines) and stripped and re.fullmatch(r"-{3,}", lines[i + 1].strip() or "") is not None
        )
        if is_numpy:
            desc_end = min(desc_end, i)
            name = stripped.lower()
            i, block = _section_block(lines, i + 2, numpy=True)
            if name in ("parameters", "params", "other parameters", "keyword arguments"):
                params.update(_numpy_params(block))
            elif name in ("returns", "yields") and block:
                returns = " ".join(l.strip() for l in block[1:] if l.strip()) or block[0].strip()
            continue
        if header is not None and header in _GOOGLE_HEADERS and _indent(line) == 0:
            desc_end = min(desc_end, i)
            i, block = _section_block(lines, i + 1, numpy=False)
            if header in _GOOGLE_PARAM_HEADERS:
                params.update(_google_params(block))
            elif header in ("returns", "return", "yields", "yield"):
                returns = " ".join(l.strip() for l in block if l.strip())
            continue
        if _REST_FIELD.match(stripped):
            desc_end = min(desc_end, i)
            field_lines = [stripped]
            i += 1
            while i < len(lines) and lines[i].strip() and not _REST_FIELD.match(lines[i].strip()):
                field_lines.append(lines[i].strip())
                i += 1
            text = " ".join(field_lines)
            match = _REST_PARAM.match(text)
            if match:
                params[match.group(2)] = match.group(3).strip()
            elif text.startswith((":returns:", ":return:")):
                returns = text.split(":", 2)[2].strip()
            continue
        i += 1
    description = "\n".join(lines[:desc_end]).strip()
    return description, params, returns


def _section_block(lines, start, numpy):
    """Lines of one section: until a blank-line-separated new header (numpy) or a dedent (google)."""
    block = []
    i = start
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if numpy:
            if i + 1 < len(lines) and stripped and re.fullmatch(r"-{3,}", lines[i + 1].strip() or ""):
                break
        else:
            if stripped and _indent(line) == 0:
                break
        block.append(line)
        i += 1
    while block and not block[-1].strip():
        block.pop()
    return i, block


def _google_params(block):
    params = {}
    base = min((_indent(l) for l in block if l.strip()), default=0)
    current = None
    for line in block:
        if not line.strip():
            continue
        if _indent(line) == base:
            match = _GOOGLE_PARAM_LINE.match(line.strip())
            if match:
                current = match.group(1)
                params[current] = match.group(3).strip()
                continue
        if current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
    return params


def _numpy_params(block):
    params = {}
    base = min((_indent(l) for l in block if l.strip()), default=0)
    current = None
    for line in block:
        if not line.strip():
            continue
        if _indent(line) == base:
            match = _NUMPY_PARAM_LINE.match(line.strip())
            current = None
            if match:
                for name in match.group(1).split(","):
                    current = name.strip()
                    params[current] = ""
            continue
        if current is not None:
            params[current] = (params[current] + " " + line.strip()).strip()
    return params


# ---------------------------------------------------------------------------------------------
# Functions → tools
# ---------------------------------------------------------------------------------------------


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
        hints = _hints(target)
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
                default = _jsonable_default(param.default)
                if default is not _NO_DEFAULT:
                    schema["default"] = default
            properties[param.name] = schema
            self.params.append((param.name, annotation, param.kind))
        self.input_schema = {"type": "object", "properties": properties}
        if required:
            self.input_schema["required"] = required
        self.output_schema = None
        self.wrap_result = True
        returns = hints.get("return", signature.return_annotation)
        if returns not in (inspect.Signature.empty, None, _NONE_TYPE, typing.Any):
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
    runner_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runner_dir]
    sys.path.insert(0, script_dir)
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


# ---------------------------------------------------------------------------------------------
# Argument coercion and result serialisation
# ---------------------------------------------------------------------------------------------


def _bad(name, expected):
    return TypeError("invalid argument '%s': expected %s" % (name, expected))


def coerce(value, tp, name):
    """Converts a JSON value to the annotated Python type (strings of numbers, enums, dataclasses …)."""
    if tp is inspect.Parameter.empty or tp is typing.Any or tp is object or isinstance(tp, (str, typing.TypeVar)):
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return coerce(value, args[0], name)
    if origin in _UNION_TYPES:
        if value is None and _NONE_TYPE in args:
            return None
        arms = [a for a in args if a is not _NONE_TYPE]
        for arm in arms:
            if _matches(value, arm):
                return coerce(value, arm, name)
        for arm in arms:
            try:
                return coerce(value, arm, name)
            except Exception:
                continue
        return value
    if value is None:
        return None
    if tp is bool:
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
            return value.lower() in ("true", "1")
        return value
    if tp is int:
        if isinstance(value, bool):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise _bad(name, "an integer") from None
        return value
    if tp is float:
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            try:
                return float(value)
            except ValueError:
                raise _bad(name, "a number") from None
        return value
    if tp is decimal.Decimal:
        return decimal.Decimal(str(value))
    if tp is bytes and isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except Exception:
            return value.encode("utf-8")
    if tp in (datetime.datetime, datetime.date, datetime.time) and isinstance(value, str):
        try:
            return tp.fromisoformat(value.replace("Z", "+00:00") if tp is datetime.datetime else value)
        except ValueError:
            raise _bad(name, "an ISO 8601 %s" % tp.__name__) from None
    if tp is uuid.UUID and isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError:
            raise _bad(name, "a UUID") from None
    if isinstance(tp, type) and issubclass(tp, pathlib.PurePath) and isinstance(value, str):
        return tp(value)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(value)
        except ValueError:
            if isinstance(value, str) and value in tp.__members__:
                return tp[value]
            raise _bad(name, "one of %s" % [m.value for m in tp]) from None
    if origin is tuple and isinstance(value, list):
        if args and not (len(args) == 2 and args[1] is Ellipsis):
            if len(value) != len(args):
                raise _bad(name, "an array of %d items" % len(args))
            return tuple(coerce(v, a, name) for v, a in zip(value, args))
        item = args[0] if args else typing.Any
        return tuple(coerce(v, item, name) for v in value)
    if (origin in _LIST_ORIGINS or origin in _SET_ORIGINS) and isinstance(value, list):
        item = args[0] if args else typing.Any
        items = [coerce(v, item, name) for v in value]
        return set(items) if origin is set else frozenset(items) if origin is frozenset else items
    if tp in (tuple, set, frozenset) and isinstance(value, list):
        return tp(value)
    if origin in _DICT_ORIGINS and isinstance(value, dict) and len(args) == 2:
        key_type, value_type = args
        return {coerce(k, key_type, name): coerce(v, value_type, name) for k, v in value.items()}
    if _is_typeddict(tp) and isinstance(value, dict):
        hints = _hints(tp)
        return {k: coerce(v, hints.get(k, typing.Any), name) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type) and isinstance(value, dict):
        hints = _hints(tp)
        fields = {f.name for f in dataclasses.fields(tp) if f.init}
        unknown = [k for k in value if k not in fields]
        if unknown:
            raise _bad(name, "an object without %s" % ", ".join(sorted(unknown)))
        return tp(**{k: coerce(v, hints.get(k, typing.Any), name) for k, v in value.items()})
    if isinstance(tp, type) and hasattr(tp, "model_validate") and isinstance(value, dict):
        return tp.model_validate(value)
    return value


def _matches(value, tp):
    """True when a JSON value already has the JSON type of an annotation (picks the union arm)."""
    try:
        schema = schema_for(tp)
    except UnsupportedType:
        return False
    kind = schema.get("type")
    if "enum" in schema:
        return value in schema["enum"]
    if kind is None:
        return True
    return {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "array": isinstance(value, list),
        "object": isinstance(value, dict),
        "null": value is None,
    }.get(kind, False)


def to_jsonable(value, strict=False, _depth=0):
    """A JSON-compatible copy of a return value (dataclasses, enums, tuples, sets, dates …)."""
    if _depth > 100:
        raise ValueError("value nests too deeply")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value, strict, _depth + 1)
    if isinstance(value, dict):
        return {str(k.value if isinstance(k, enum.Enum) else k): to_jsonable(v, strict, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, strict, _depth + 1) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [to_jsonable(v, strict, _depth + 1) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name), strict, _depth + 1) for f in dataclasses.fields(value)}
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (uuid.UUID, pathlib.PurePath)):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if strict:
        raise TypeError("not JSON-serialisable")
    if hasattr(value, "model_dump"):
        return to_jsonable(value.model_dump(), strict, _depth + 1)
    if inspect.isgenerator(value) or isinstance(value, (range, collections.abc.Iterator)):
        return [to_jsonable(v, strict, _depth + 1) for v in value]
    if hasattr(value, "__dict__") and not callable(value):
        return {k: to_jsonable(v, strict, _depth + 1) for k, v in vars(value).items() if not k.startswith("_")}
    return repr(value)


# ---------------------------------------------------------------------------------------------
# Static analysis (ast): warnings, __main__ block, argparse parameters, imports
# ---------------------------------------------------------------------------------------------

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
    return warnings, has_main, _argparse_parameters(tree), imports


def _is_main_guard(node):
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    test = node.test
    sides = [test.left] + list(test.comparators)
    names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
    consts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
    return bool(names and consts and isinstance(test.ops[0], ast.Eq))


_ARG_TYPES = {"int": "integer", "float": "number", "str": "string", "bool": "boolean"}


def _literal(node):
    try:
        return ast.literal_eval(node)
    except Exception:
        return None


def _argparse_parameters(tree):
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
        if action in ("store_true", "store_false"):
            kind = "boolean"
            if default is None:
                default = action == "store_false"
        elif action == "count":
            kind = "integer"
        elif action in ("append", "extend") or nargs in ("*", "+") or (isinstance(nargs, int) and nargs > 1):
            kind = "array"
        required = bool(_literal(kw["required"])) if "required" in kw else False
        if flag is None:
            required = nargs not in ("?", "*") and "default" not in kw
        param = {"name": name, "type": kind, "required": required}
        if flag:
            param["flag"] = flag
        help_text = _literal(kw["help"]) if "help" in kw else None
        if isinstance(help_text, str):
            param["description"] = help_text
        choices = _literal(kw["choices"]) if "choices" in kw else None
        if isinstance(choices, (list, tuple)) and choices:
            extra = "one of: %s" % ", ".join(str(c) for c in choices)
            param["description"] = ("%s (%s)" % (param["description"], extra)) if "description" in param else extra
        if default is not None and not required:
            param["default"] = default
        params.append(param)
    return params


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


# ---------------------------------------------------------------------------------------------
# Output isolation: protocol on the original stdout, user output captured
# ---------------------------------------------------------------------------------------------


class OutputCapture:
    """Moves fd 0/1 away from user code: the protocol keeps private dups, fd 1 writes go to a temp file."""

    def __init__(self):
        sys.stdout.flush()
        self.proto_out = os.fdopen(os.dup(1), "wb", buffering=0)
        self.proto_in = os.fdopen(os.dup(0), "rb", buffering=0)
        try:
            self.capture_fd, path = tempfile.mkstemp(prefix="toolport-stdout-")
            os.unlink(path)
        except OSError:
            # No writable temp dir: user output is dropped rather than allowed near the protocol.
            self.capture_fd = os.open(os.devnull, os.O_RDWR)
        os.dup2(self.capture_fd, 1)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        self.stdout = sys.stdout
        self.lock = threading.Lock()

    def write_message(self, message):
        data = (json.dumps(message, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8")
        with self.lock:
            self.proto_out.write(data)

    def take(self):
        """What user code wrote to stdout since the last take (bounded), then resets the buffer."""
        try:
            sys.stdout.flush()
        except Exception:
            pass
        if sys.stdout is not self.stdout:
            sys.stdout = self.stdout
        try:
            size = os.lseek(1, 0, os.SEEK_CUR)
        except OSError:
            return ""
        if size <= 0:
            return ""
        data = os.pread(1, min(size, MAX_CAPTURE), 0)
        os.ftruncate(1, 0)
        os.lseek(1, 0, os.SEEK_SET)
        text = data.decode("utf-8", errors="replace")
        if size > MAX_CAPTURE:
            text += "\n… [%d more bytes cut]" % (size - MAX_CAPTURE)
        return text


# ---------------------------------------------------------------------------------------------
# MCP server
# ---------------------------------------------------------------------------------------------


class ScriptTool:
    """Script mode: one tool that runs the script in a fresh interpreter with CLI arguments."""

    def __init__(self, path, name, description, params):
        self.path = path
        self.name = name
        self.params = params
        properties = {}
        required = []
        for p in params:
            kind = p.get("type", "string")
            schema = {"type": "array", "items": {}} if kind == "array" else {"type": kind}
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
        self.description = description or "Runs %s with command-line arguments." % os.path.basename(path)

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
            [sys.executable, self.path] + argv,
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


class Server:
    """The MCP server loop: a reader thread feeds messages; the main thread runs calls one at a time."""

    def __init__(self, tools, io_capture):
        self.tools = {t.name: t for t in tools}
        self.io = io_capture
        self.inbox = queue.Queue()
        self.current_id = None
        self.cancelled = set()
        self.loop = None
        self.task = None
        self.state_lock = threading.Lock()
        self.done = threading.Event()

    def reader(self):
        for raw in iter(self.io.proto_in.readline, b""):
            line = raw.strip()
            if not line:
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self.io.write_message({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
                continue
            if isinstance(message, dict) and message.get("method") == "notifications/cancelled":
                self.cancel((message.get("params") or {}).get("requestId"))
                continue
            self.inbox.put(message)
        # stdin closed: finish what is queued, but a call stuck past the grace period must not
        # keep an orphaned process alive (MCP stdio shutdown: close stdin, wait, then signal).
        self.inbox.put(_EOF)
        if not self.done.wait(EOF_GRACE_SECONDS):
            os._exit(0)

    def cancel(self, request_id):
        with self.state_lock:
            if len(self.cancelled) > 1000:
                self.cancelled.clear()  # ids of calls that had already finished; never needed again
            self.cancelled.add(request_id)
            if request_id is None or request_id != self.current_id:
                return
            if self.task is not None and self.loop is not None:
                self.loop.call_soon_threadsafe(self.task.cancel)
            else:
                signal.pthread_kill(threading.main_thread().ident, signal.SIGUSR1)

    def _on_sigusr1(self, _signum, _frame):
        with self.state_lock:
            active = self.current_id is not None and self.current_id in self.cancelled
        if active:
            raise CallCancelled()

    def run(self):
        signal.signal(signal.SIGUSR1, self._on_sigusr1)
        threading.Thread(target=self.reader, name="toolport-reader", daemon=True).start()
        while True:
            message = self.inbox.get()
            if message is _EOF:
                self.done.set()
                return
            if isinstance(message, list):
                replies = [r for r in (self.handle(m) for m in message) if r is not None]
                if replies:
                    self.io.write_message(replies)
                continue
            reply = self.handle(message)
            if reply is not None:
                self.io.write_message(reply)

    def handle(self, message):
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Invalid Request"}}
        method = message.get("method")
        request_id = message.get("id")
        params = message.get("params") or {}
        if method is None:
            return None  # a response to something we never asked: ignore
        if "id" not in message:
            return None  # notifications (initialized, progress …) need no reply
        try:
            if method == "initialize":
                result = self.initialize(params)
            elif method == "ping":
                result = {}
            elif method == "tools/list":
                result = {"tools": [t.definition() for t in self.tools.values()]}
            elif method == "tools/call":
                result = self.call(request_id, params)
                if result is None:
                    return None
            elif method in ("resources/list", "prompts/list", "resources/templates/list"):
                result = {method.split("/")[0] if "templates" not in method else "resourceTemplates": []}
            else:
                return _error(request_id, -32601, "Method not found: %s" % method)
        except InvalidParams as exc:
            return _error(request_id, -32602, str(exc))
        return {"jsonrpc": "2.0", "id": request_id, "result": result}

    def initialize(self, params):
        requested = params.get("protocolVersion")
        version = requested if requested in PROTOCOL_VERSIONS else PROTOCOL_VERSIONS[0]
        return {
            "protocolVersion": version,
            "capabilities": {"tools": {"listChanged": False}},
            "serverInfo": {"name": "toolport-python", "version": RUNNER_VERSION},
        }

    def call(self, request_id, params):
        name = params.get("name")
        arguments = params.get("arguments") or {}
        tool = self.tools.get(name)
        if tool is None:
            raise InvalidParams("Unknown tool: %s" % name)
        if not isinstance(arguments, dict):
            raise InvalidParams("arguments must be an object")
        with self.state_lock:
            if request_id in self.cancelled:
                self.cancelled.discard(request_id)
                return None
            self.current_id = request_id
        try:
            if isinstance(tool, ScriptTool):
                result = tool.run(arguments)
            else:
                result = self.call_function(tool, arguments)
        except CallCancelled:
            result = None
        except BaseException as exc:  # user code may raise anything (even SystemExit); report it
            result = _exception_result(exc)
        finally:
            with self.state_lock:
                self.current_id = None
                self.task = None
                was_cancelled = request_id in self.cancelled
                self.cancelled.discard(request_id)
        logs = self.io.take()
        if result is None or was_cancelled:
            return None  # cancelled: the client no longer expects a reply
        if logs:
            result["content"].append({"type": "text", "text": "[stdout]\n" + logs})
            result.setdefault("_meta", {})["logs"] = logs
        return result

    def call_function(self, tool, arguments):
        positional, keywords = tool.bind(arguments)
        if tool.is_async:
            if self.loop is None:
                self.loop = asyncio.new_event_loop()
                asyncio.set_event_loop(self.loop)
            with self.state_lock:
                self.task = self.loop.create_task(tool.func(*positional, **keywords))
                task = self.task
            try:
                value = self.loop.run_until_complete(task)
            except asyncio.CancelledError:
                raise CallCancelled() from None
        else:
            value = tool.func(*positional, **keywords)
            if inspect.isawaitable(value):
                value = asyncio.run(_await(value))
        data = to_jsonable(value)
        text = json.dumps(data, ensure_ascii=False)
        if isinstance(data, dict) and not (tool.wrap_result and tool.output_schema is not None):
            structured = data
        else:
            structured = {"result": data}
        return {"content": [{"type": "text", "text": text}], "structuredContent": structured}


async def _await(value):
    return await value


class InvalidParams(Exception):
    pass


def _error(request_id, code, message):
    return {"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}}


def _exception_result(exc):
    kind = type(exc).__name__
    message = str(exc)
    if isinstance(exc, MemoryError):
        limit = _MEMORY_MB[0]
        message = message or "out of memory"
        if limit:
            message += " (memory limit %s MB)" % limit
    if isinstance(exc, SystemExit):
        message = "script called exit(%s)" % (exc.code,)
    text = "%s: %s" % (kind, message) if message else kind
    frames = exc.__traceback__
    # Drop the runner's own frames: the traceback should start in the user's code.
    while frames is not None and frames.tb_next is not None and frames.tb_frame.f_code.co_filename == __file__:
        frames = frames.tb_next
    tb = "".join(traceback.format_exception(type(exc), exc, frames))
    return {
        "content": [{"type": "text", "text": text}],
        "isError": True,
        "_meta": {"exception_type": kind, "traceback": tb[-8000:]},
    }


_MEMORY_MB = [None]


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def _set_memory_limit(megabytes):
    if not megabytes:
        return
    import resource

    limit = int(megabytes) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _MEMORY_MB[0] = str(megabytes)


def _fail(message, code=2):
    sys.stderr.write("toolport-runner: %s\n" % message)
    sys.stderr.flush()
    os._exit(code)


def cmd_serve(options):
    script = options["script"]
    if not os.path.isfile(script):
        _fail("script not found: %s" % script)
    _set_memory_limit(options.get("memory_mb"))
    io_capture = OutputCapture()
    if options.get("mode", "functions") == "script":
        try:
            params = json.loads(options.get("params_json") or "[]")
        except ValueError as exc:
            _fail("--params-json is not valid JSON: %s" % exc)
        if not isinstance(params, list) or not all(isinstance(p, dict) and isinstance(p.get("name"), str) for p in params):
            _fail("--params-json must be a list of {name, type, …} objects")
        name = options.get("tool_name") or os.path.splitext(os.path.basename(script))[0]
        tools = [ScriptTool(os.path.abspath(script), name, options.get("description"), params)]
    else:
        try:
            module = load_module(script)
        except SyntaxError as exc:
            _fail("syntax error in %s line %s: %s" % (os.path.basename(script), exc.lineno, exc.msg))
        except ModuleNotFoundError as exc:
            _fail("script imports missing module '%s'" % exc.name)
        except BaseException as exc:
            _fail("importing the script failed: %s: %s" % (type(exc).__name__, exc))
        only = set(options["functions"]) if options.get("functions") else None
        tools, skipped = collect_functions(module, only)
        if only:
            found = {t.name for t in tools}
            for name in sorted(only - found):
                reason = next((s["reason"] for s in skipped if s["name"] == name), "not defined in the script")
                _fail("function '%s' cannot be served: %s" % (name, reason))
        leftover = io_capture.take()
        if leftover:
            sys.stderr.write(leftover if leftover.endswith("\n") else leftover + "\n")
    Server(tools, io_capture).run()
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
    }
    try:
        with open(script, "rb") as fh:
            source = fh.read()
    except OSError as exc:
        _fail("cannot read script: %s" % exc.strerror)
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


def parse_args(argv):
    if len(argv) < 2 or argv[0] not in ("serve", "analyze"):
        _fail("usage: toolport_runner.py serve|analyze SCRIPT.py [options]")
    options = {"command": argv[0], "script": argv[1]}
    names = {
        "--functions", "--mode", "--params-json", "--tool-name", "--description", "--memory-mb", "--timeout-ms",
        "--env-file", "--drop-env",
    }
    i = 2
    while i < len(argv):
        key = argv[i]
        if key not in names or i + 1 >= len(argv):
            _fail("unknown or incomplete option: %s" % key)
        value = argv[i + 1]
        if key == "--functions":
            options["functions"] = [f.strip() for f in value.split(",") if f.strip()]
        elif key == "--mode":
            if value not in ("functions", "script"):
                _fail("--mode must be functions or script")
            options["mode"] = value
        elif key in ("--memory-mb", "--timeout-ms"):
            if not value.isdigit():
                _fail("%s must be a whole number" % key)
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
        _fail("cannot read --env-file: %s" % exc)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if not isinstance(values, dict):
        _fail("--env-file must hold a JSON object")
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


if __name__ == "__main__":
    main(sys.argv[1:])
