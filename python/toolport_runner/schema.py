"""JSON Schema from type annotations (str/int/float/bool, containers, unions, Literal, Enum, TypedDict, dataclasses)."""

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import inspect
import pathlib
import types
import typing
import uuid

from .serialize import NO_DEFAULT, jsonable_default


class UnsupportedType(Exception):
    """An annotation with no JSON Schema equivalent (the function is skipped, with this reason)."""


NONE_TYPE = type(None)
UNION_TYPES = (typing.Union,) + ((types.UnionType,) if hasattr(types, "UnionType") else ())
_SIMPLE = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    NONE_TYPE: {"type": "null"},
    bytes: {"type": "string", "contentEncoding": "base64"},
    datetime.datetime: {"type": "string", "format": "date-time"},
    datetime.date: {"type": "string", "format": "date"},
    datetime.time: {"type": "string", "format": "time"},
    uuid.UUID: {"type": "string", "format": "uuid"},
    decimal.Decimal: {"type": "number"},
}
LIST_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence, collections.abc.Iterable)
SET_ORIGINS = (set, frozenset, collections.abc.Set, collections.abc.MutableSet)
DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def is_typeddict(tp):
    return isinstance(tp, type) and issubclass(tp, dict) and hasattr(tp, "__required_keys__")


def _type_name(tp):
    return getattr(tp, "__qualname__", None) or getattr(tp, "__name__", None) or repr(tp)


def type_hints(obj):
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
    if origin in UNION_TYPES:
        return {"anyOf": [schema_for(a, seen) for a in args]}
    if origin is typing.Literal:
        values = [v.value if isinstance(v, enum.Enum) else v for v in args]
        schema = {"enum": values}
        kinds = {json_type(v) for v in values}
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
    if origin in LIST_ORIGINS:
        return {"type": "array", "items": schema_for(args[0], seen)} if args else {"type": "array"}
    if origin in SET_ORIGINS:
        schema = {"type": "array", "uniqueItems": True}
        if args:
            schema["items"] = schema_for(args[0], seen)
        return schema
    if origin in DICT_ORIGINS:
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not typing.Any:
            schema["additionalProperties"] = schema_for(args[1], seen)
        return schema
    if tp in (list, tuple) or tp in LIST_ORIGINS:
        return {"type": "array"}
    if tp in (set, frozenset):
        return {"type": "array", "uniqueItems": True}
    if tp is dict or tp in DICT_ORIGINS:
        return {"type": "object"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        values = [m.value for m in tp]
        kinds = {json_type(v) for v in values}
        schema = {"enum": values}
        if len(kinds) == 1 and None not in kinds:
            schema = {"type": kinds.pop(), "enum": values}
        return schema
    if isinstance(tp, type) and issubclass(tp, pathlib.PurePath):
        return {"type": "string"}
    if tp in seen:
        return {"type": "object"}
    if is_typeddict(tp):
        hints = type_hints(tp)
        required_keys = getattr(tp, "__required_keys__", frozenset())
        props = {name: schema_for(hint, seen | {tp}) for name, hint in hints.items()}
        schema = {"type": "object", "properties": props}
        required = [name for name in hints if name in required_keys]
        if required:
            schema["required"] = required
        return schema
    if dataclasses.is_dataclass(tp) and isinstance(tp, type):
        hints = type_hints(tp)
        props = {}
        required = []
        for field in dataclasses.fields(tp):
            if not field.init:
                continue
            prop = schema_for(hints.get(field.name, typing.Any), seen | {tp})
            if field.default is not dataclasses.MISSING:
                default = jsonable_default(field.default)
                if default is not NO_DEFAULT:
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


def json_type(value):
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
