"""Exact JSON for the values the evaluator produces, so cached results need no re-evaluation.

Strings, booleans, ``None`` and integers up to 64 bits are themselves; everything else is a list
whose first item names the type (lists included, so nothing is ambiguous):

    ["l", ...] list   ["t", ...] tuple   ["d", k1, v1, k2, v2, ...] dict (in order)
    ["F", ...] frozenset  ["S", ...] set (see below)   ["i", "-1f"] big integer (hex)
    ["f", "0.1"] float (``repr``)   ["n", "7ff8000000000000"] NaN (its 64 bits, sign included)
    ["c", float, float] complex   ["b", "00ff"] bytes   ["u"] UNRESOLVED

A value must come back as a fresh evaluation would give it, ``repr`` included. A set's
iteration order depends on the order its members were added and, for strings, on the process's
hash seed, so every set dssync builds is built by ``canonical_set``: its members added in one
order that depends on neither (sorted by their encoding here). A set is stored in that order, and
rebuilt by adding its members in that order again, so it iterates as a fresh evaluation's does
in whatever process reads it. Anything malformed raises ``ValueError``.
"""

from __future__ import annotations

import json
import struct
from typing import Any, Iterable

from dssync.models import UNRESOLVED

_SMALL = 1 << 63
_MAX_DEPTH = 64
"""Deeper than anything the evaluator accepts (``bounds.MAX_DEPTH``); a damaged entry cannot
recurse."""


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
    if t is list or t is tuple:
        return ["l" if t is list else "t", *(encode_value(v, depth + 1) for v in value)]
    if t is frozenset or t is set:
        return ["F" if t is frozenset else "S", *_in_canonical_order(value, depth + 1)]
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


def _in_canonical_order(members: Iterable[Any], depth: int) -> list[Any]:
    """The encodings of a set's members, in the order ``canonical_set`` adds them."""
    encoded = [encode_value(m, depth) for m in members]
    return [e for _, e in sorted(((_sort_key(e), e) for e in encoded), key=lambda p: p[0])]


def _sort_key(encoded: Any) -> str:
    return json.dumps(encoded, ensure_ascii=False, separators=(",", ":"))


def canonical_set(members: Iterable[Any]) -> frozenset[Any]:
    """A frozenset of ``members``, the first of equal ones kept (as Python's ``{...}`` keeps
    it), built by adding them in the order of their encodings: it iterates the same as this set
    read back from the cache, whatever order the members came in. (The evaluator never lets a
    set's order into another value, so only ``repr`` shows it.)"""
    kept = list(dict.fromkeys(members))
    try:
        return frozenset(sorted(kept, key=lambda m: _sort_key(encode_value(m))))
    except ValueError:  # a member the encoding cannot name: no order to keep
        return frozenset(kept)


def _decode_set(kind: type, items: list[Any]) -> Any:
    try:
        value = kind(items)
    except TypeError:
        raise ValueError("malformed set") from None
    if len(value) != len(items):
        raise ValueError("malformed set: a member stored twice")
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
    """The value ``encode_value`` described; ``ValueError`` if it cannot be."""
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
