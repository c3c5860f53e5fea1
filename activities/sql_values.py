"""JSON in and out of PostgreSQL: bind parameters converted to the types the
statement declares for them (a date from an ISO string, a numeric from a
number or a string), and rows made JSON (dates as ISO strings, numerics as
numbers when exact, else strings, uuids as strings)."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from activities.base import NodeError

_INTEGERS = {"int2", "int4", "int8", "oid"}
_FLOATS = {"float4", "float8"}
_TEXT = {"text", "varchar", "bpchar", "name", "citext", "char"}


def to_params(types: tuple, values: list[Any]) -> list[Any]:
    """One value per `$n` the statement declares, each converted to its type."""
    if len(values) != len(types):
        raise NodeError("sql_params", f"the statement takes {len(types)} parameter(s), `params` has {len(values)}")
    return [_param(value, kind.name, kind.kind, n) for n, (kind, value) in enumerate(zip(types, values), start=1)]


def _param(value: Any, name: str, kind: str, n: int) -> Any:
    if value is None:
        return None
    if kind == "array":
        if not isinstance(value, list):
            raise NodeError("sql_params", f"parameter ${n} is an array ({name}): give a list")
        return [_param(item, name.removeprefix("_"), "scalar", n) for item in value]
    try:
        return _scalar(value, name)
    except (TypeError, ValueError, InvalidOperation, ArithmeticError):
        shown = json.dumps(value, default=str)[:60]
        raise NodeError("sql_params", f"parameter ${n} ({name}) cannot be {shown}") from None


def _scalar(value: Any, name: str) -> Any:
    if name in _INTEGERS:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError(name)
        return int(value)
    if name in _FLOATS:
        if isinstance(value, bool):
            raise ValueError(name)
        return float(value)
    if name == "numeric":
        if isinstance(value, bool):
            raise ValueError(name)
        return Decimal(str(value))
    if name == "bool":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if not isinstance(value, bool):
            raise ValueError(name)
        return value
    if name == "uuid":
        return uuid.UUID(str(value))
    if name == "date":
        return date.fromisoformat(value)
    if name in ("timestamp", "timestamptz"):
        moment = datetime.fromisoformat(value)
        if name == "timestamptz" and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment
    if name in ("time", "timetz"):
        return time.fromisoformat(value)
    if name == "interval":
        return timedelta(seconds=float(value))
    if name == "bytea":
        return value.encode() if isinstance(value, str) else bytes(value)
    if name in _TEXT and not isinstance(value, str):
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value).lower() \
            if isinstance(value, bool) else str(value)
    return value  # json/jsonb (codecs on the connection), and types asyncpg takes as they are


def to_json(value: Any) -> Any:
    """One column value as JSON data."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            return str(value)
        if value == value.to_integral_value():
            return int(value)
        as_float = float(value)
        return as_float if Decimal(repr(as_float)) == value else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "\\x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    return str(value)  # uuid, inet, ranges, geometry: their text form


def row_json(record) -> dict[str, Any]:
    return {key: to_json(value) for key, value in record.items()}
