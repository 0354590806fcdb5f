"""Exact JSON for the values the evaluator produces, so cached results need no re-evaluation.

Strings, booleans, ``None`` and integers up to 64 bits are themselves; everything else is a list
whose first item names the type (lists included, so nothing is ambiguous):

    ["l", ...] list   ["t", ...] tuple   ["d", k1, v1, k2, v2, ...] dict (in order)
    ["F", ...] frozenset  ["S", ...] set (in iteration order)   ["i", "-1f"] big integer (hex)
    ["f", "0.1"] float (``repr``)   ["n", "7ff8000000000000"] NaN (its 64 bits, sign included)
    ["c", float, float] complex   ["b", "00ff"] bytes   ["u"] UNRESOLVED

A value must come back as a fresh evaluation would give it, ``repr`` included, and a set's
iteration order depends on the order its items were added and, for strings, on the process's
hash seed; so a set that does not iterate in the stored order once rebuilt raises ``NotExact``
and the caller evaluates again instead. Anything malformed raises ``ValueError``.
"""

from __future__ import annotations

import struct
from typing import Any

from dssync.models import UNRESOLVED

_SMALL = 1 << 63
_MAX_DEPTH = 64
"""Deeper than anything the evaluator accepts (``MAX_DEPTH``); a damaged entry cannot recurse."""


class NotExact(ValueError):
    """The stored value cannot be rebuilt exactly in this process (a set's order)."""


def _float(x: float) -> list[str]:
    return ["n", struct.pack(">d", x).hex()] if x != x else ["f", repr(x)]


def encode_value(value: Any, depth: int = 0) -> Any:
    """``value`` as plain JSON data; ``ValueError`` for a type the evaluator never produces."""
    t = type(value)
    if t is str or t is bool or value is None:
        return value
    if t is int:
        return value if -_SMALL < value < _SMALL else ["i", format(value, "x")]
    if depth > _MAX_DEPTH:
        raise ValueError("value nested too deeply to store")
    if t is list or t is tuple or t is frozenset or t is set:
        tag = "l" if t is list else "t" if t is tuple else "F" if t is frozenset else "S"
        return [tag, *(encode_value(v, depth + 1) for v in value)]
    if t is dict:
        out: list[Any] = ["d"]
        for k, v in value.items():
            out.append(encode_value(k, depth + 1))
            out.append(encode_value(v, depth + 1))
        return out
    if t is float:
        return _float(value)
    if t is complex:
        return ["c", _float(value.real), _float(value.imag)]
    if t is bytes:
        return ["b", value.hex()]
    if value is UNRESOLVED:
        return ["u"]
    raise ValueError(f"cannot store a value of type {t.__name__}")


def _decode_set(kind: type, items: list[Any]) -> Any:
    try:
        value = kind(items)
    except TypeError:
        raise ValueError("malformed set") from None
    if len(value) != len(items) or any(a is not b for a, b in zip(value, items)):
        raise NotExact("a set does not iterate in its stored order here")
    return value


def _decode_dict(items: list[Any]) -> dict[Any, Any]:
    keys = items[0::2]
    try:
        value = dict(zip(keys, items[1::2]))
    except TypeError:
        raise ValueError("malformed dict") from None
    if len(items) % 2 or len(value) != len(keys):
        raise ValueError("malformed dict")
    return value


def _decode_float(data: Any) -> float:
    value = decode_value(data)
    if type(value) is not float:
        raise ValueError("malformed complex")
    return value


def decode_value(data: Any, depth: int = 0) -> Any:
    """The value ``encode_value`` described; ``ValueError`` (or ``NotExact``) if it cannot be."""
    t = type(data)
    if t is str or t is int or t is bool or data is None:
        return data
    if t is not list or not data or depth > _MAX_DEPTH:
        raise ValueError("malformed value")
    tag = data[0]
    if tag == "l":
        return [decode_value(v, depth + 1) for v in data[1:]]
    if tag == "t":
        return tuple([decode_value(v, depth + 1) for v in data[1:]])
    if tag == "d":
        return _decode_dict([decode_value(v, depth + 1) for v in data[1:]])
    if tag == "F" or tag == "S":
        items = [decode_value(v, depth + 1) for v in data[1:]]
        return _decode_set(frozenset if tag == "F" else set, items)
    arg = data[1] if len(data) == 2 else None
    if tag == "f" and type(arg) is str:
        return float(arg)
    if tag == "n" and type(arg) is str and len(arg) == 16:
        return struct.unpack(">d", bytes.fromhex(arg))[0]
    if tag == "i" and type(arg) is str:
        return int(arg, 16)
    if tag == "b" and type(arg) is str:
        return bytes.fromhex(arg)
    if tag == "c" and len(data) == 3:
        return complex(_decode_float(data[1]), _decode_float(data[2]))
    if tag == "u" and len(data) == 1:
        return UNRESOLVED
    raise ValueError("malformed value")
