"""Return values as JSON: dataclasses, enums, tuples, sets, dates, bytes …"""

import base64
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import inspect
import json
import pathlib
import uuid


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


NO_DEFAULT = object()


def jsonable_default(value):
    """The value as JSON, or a sentinel when it has no faithful JSON form."""
    try:
        converted = to_jsonable(value, strict=True)
        json.dumps(converted)
        return converted
    except Exception:
        return NO_DEFAULT
