"""JSON arguments converted to the annotated Python types before a call."""

import base64
import dataclasses
import datetime
import decimal
import enum
import inspect
import pathlib
import typing
import uuid

from .schema import (
    DICT_ORIGINS,
    LIST_ORIGINS,
    NONE_TYPE,
    SET_ORIGINS,
    UNION_TYPES,
    UnsupportedType,
    is_typeddict,
    schema_for,
    type_hints,
)


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
    if origin in UNION_TYPES:
        if value is None and NONE_TYPE in args:
            return None
        arms = [a for a in args if a is not NONE_TYPE]
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
    if (origin in LIST_ORIGINS or origin in SET_ORIGINS) and isinstance(value, list):
        item = args[0] if args else typing.Any
        items = [coerce(v, item, name) for v in value]
        return set(items) if origin is set else frozenset(items) if origin is frozenset else items
    if tp in (tuple, set, frozenset) and isinstance(value, list):
        return tp(value)
    if origin in DICT_ORIGINS and isinstance(value, dict) and len(args) == 2:
        key_type, value_type = args
        return {coerce(k, key_type, name): coerce(v, value_type, name) for k, v in value.items()}
    if is_typeddict(tp) and isinstance(value, dict):
        hints = type_hints(tp)
        return {k: coerce(v, hints.get(k, typing.Any), name) for k, v in value.items()}
    if dataclasses.is_dataclass(tp) and isinstance(tp, type) and isinstance(value, dict):
        hints = type_hints(tp)
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
