"""JSON in and out the way Toxiproxy's Go server does it, so error bodies match the real server's.

Go's ``encoding/json`` differs from Python's ``json`` in ways a client can see: keys match struct
fields case-insensitively, ``null`` leaves a field unchanged, a type error does not stop the other
fields from being set (the first error is reported), trailing data after the first value is
ignored, and its error messages have their own wording. This module reproduces those rules for the
few flat structs the API decodes.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass
from typing import Any


class GoJSONError(Exception):
    """A decode error, worded like Go's (without the API's "bad request body: " prefix)."""


class _Number(float):
    """A JSON number that remembers its literal text (Go quotes it in type errors)."""

    literal: str

    def __new__(cls, literal: str) -> _Number:
        obj = super().__new__(cls, float(literal))
        obj.literal = literal
        return obj


def _number(literal: str) -> _Number:
    return _Number(literal)


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_refuse_constant)
_LITERALS = ("null", "true", "false")


def _quote_char(c: str) -> str:
    if c == "'":
        return "'\\''"
    if c == '"':
        return "'\"'"
    return "'" + json.dumps(c)[1:-1] + "'"


def _container_at(doc: str, pos: int) -> str:
    """The innermost open bracket ('{' or '[') before pos, skipping strings."""
    stack: list[str] = []
    in_string = escaped = False
    for c in doc[:pos]:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "{[":
            stack.append(c)
        elif c in "}]" and stack:
            stack.pop()
    return stack[-1] if stack else ""


def _go_syntax_message(exc: json.JSONDecodeError) -> str:
    doc, pos, msg = exc.doc, exc.pos, exc.msg
    if pos >= len(doc):
        return "unexpected EOF"
    c = doc[pos]
    rest = doc[pos:]
    if msg.startswith("Expecting value"):
        for literal in _LITERALS:
            if literal.startswith(rest):
                return "unexpected EOF"
            if c == literal[0]:
                i = next(i for i, (a, b) in enumerate(zip(rest, literal, strict=False)) if a != b)
                expecting = _quote_char(literal[i])
                return f"invalid character {_quote_char(rest[i])} in literal {literal} (expecting {expecting})"
        return f"invalid character {_quote_char(c)} looking for beginning of value"
    if msg.startswith("Expecting property name"):
        return f"invalid character {_quote_char(c)} looking for beginning of object key string"
    if msg.startswith("Expecting ':'"):
        return f"invalid character {_quote_char(c)} after object key"
    if msg.startswith("Expecting ','"):
        where = "object key:value pair" if _container_at(doc, pos) == "{" else "array element"
        return f"invalid character {_quote_char(c)} after {where}"
    if msg.startswith("Unterminated string"):
        return "unexpected EOF"
    if msg.startswith("Invalid control character"):
        return f"invalid character {_quote_char(c)} in string literal"
    if msg.startswith("Invalid \\u"):
        return f"invalid character {_quote_char(c)} in \\u hexadecimal character escape"
    if msg.startswith("Invalid \\escape"):
        bad = doc[pos + 1] if pos + 1 < len(doc) else c
        return f"invalid character {_quote_char(bad)} in string escape code"
    return f"invalid character {_quote_char(c)} looking for beginning of value"


def loads(body: bytes) -> Any:
    """Decode the first JSON value of body like Go's json.Decoder.Decode (trailing data ignored)."""
    doc = body.decode("utf-8", errors="replace")
    start = len(doc) - len(doc.lstrip(" \t\r\n"))
    if start == len(doc):
        raise GoJSONError("EOF")
    try:
        value, _end = _DECODER.raw_decode(doc, start)
    except json.JSONDecodeError as exc:
        raise GoJSONError(_go_syntax_message(exc)) from None
    except ValueError as exc:  # NaN / Infinity, which Go does not accept
        raise GoJSONError(f"invalid character {_quote_char(str(exc)[0])} looking for beginning of value") from None
    return value


def go_kind(value: Any) -> str:
    """The JSON kind Go names in "cannot unmarshal KIND into ..."."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


# Go type name -> validator returning the Python value, or None on a type error.
_INT_RANGES = {"int": 63, "int64": 63}
_FLOAT32_MAX = 3.4028234663852886e38


def _convert(value: Any, go_type: str) -> tuple[bool, Any]:
    if go_type == "string":
        return isinstance(value, str), value
    if go_type == "bool":
        return isinstance(value, bool), value
    if isinstance(value, bool) or not isinstance(value, float):
        return False, None
    if go_type == "float32":
        ok = math.isfinite(value) and abs(value) <= _FLOAT32_MAX
        return ok, float(value)
    literal = value.literal
    try:
        number = int(literal)
    except ValueError:
        return False, None
    bits = _INT_RANGES[go_type]
    return -(2**bits) <= number < 2**bits, number


def _type_error(value: Any, struct: str, path: str, go_type: str) -> str:
    kind = go_kind(value)
    if kind == "number" and go_type not in ("string", "bool"):
        kind = f"number {value.literal}"
    return f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} of type {go_type}"


@dataclass(frozen=True)
class Struct:
    """A flat Go struct: its name in error messages and its JSON fields (name -> Go type).

    A field whose Go type is a ``Struct`` is a nested object (e.g. a toxic's attributes).
    """

    name: str
    go_type: str
    fields: dict[str, Any]


def decode_into(value: Any, spec: Struct, target: dict[str, Any], path: str = "") -> str | None:
    """Set target's fields from value like Go would; return the first error message or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        if path:
            return f"json: cannot unmarshal {go_kind(value)} into Go struct field {path} of type {spec.go_type}"
        return f"json: cannot unmarshal {go_kind(value)} into Go value of type {spec.go_type}"
    first_error: str | None = None
    lowered = {name.lower(): name for name in spec.fields}
    for key, item in value.items():
        field = key if key in spec.fields else lowered.get(key.lower())
        if field is None or item is None:
            continue
        go_type = spec.fields[field]
        field_path = f"{path.split('.', 1)[1]}.{field}" if "." in path else field
        if isinstance(go_type, Struct):
            nested = target.setdefault(field, {})
            error = decode_into(item, go_type, nested, f"{spec.name}.{field_path}")
        else:
            ok, converted = _convert(item, go_type)
            error = None if ok else _type_error(item, spec.name, field_path, go_type)
            if ok:
                target[field] = converted
        first_error = first_error or error
    return first_error


def float32_value(value: float) -> float | int:
    """value rounded to a Go float32, as the shortest number that prints like Go's json.Marshal."""
    f32 = struct.unpack("f", struct.pack("f", value))[0]
    if f32 == int(f32) and abs(f32) < 1e21:
        return int(f32)
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            return float(text)
    return f32


def dumps(value: Any) -> bytes:
    """Compact JSON like Go's json.Marshal (no spaces, non-ASCII kept, HTML characters escaped)."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_default)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text.encode("utf-8")


def _default(value: Any) -> Any:
    raise TypeError(f"not JSON serialisable: {value!r}")
