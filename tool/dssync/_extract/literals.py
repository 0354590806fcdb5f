"""The values of literal tokens as libcst keeps them (text as written), and the shape of a string.

Python's own parser folds what the text spells: ``0x_1f`` is 31, ``"a" 'b'`` is one string
``'ab'``, ``"x" f"{y}"`` one f-string with a constant part and a replacement field. The
normalizer, the evaluator and the reference finder all need the folded form; it is computed
here, once, from libcst's nodes, without running or importing anything.
"""

from __future__ import annotations

import re
from typing import Any, NamedTuple, Sequence

import libcst as cst

_SIMPLE = {"\\": "\\", "'": "'", '"': '"', "a": "\a", "b": "\b", "f": "\f", "n": "\n",
           "r": "\r", "t": "\t", "v": "\v"}
_ESCAPE = re.compile(r"\\(\r\n|[\s\S])([0-7]{0,2})")
"""A backslash, the character after it (a line end counts as one) and up to two more octal
digits; what the escape needs beyond that (hex digits, a name) is read by ``_escape``."""

_LINE_END = re.compile(r"\r\n?")


_BASES = {"x": 16, "o": 8, "b": 2}


def int_value(text: str) -> int:
    text = text.replace("_", "")
    base = _BASES.get(text[1:2].lower(), 10) if text[:1] == "0" else 10
    # A base named explicitly: Python limits only decimal text to 4,300 digits.
    return int(text[2:], base) if base != 10 else int(text)


def float_value(text: str) -> float:
    return float(text.replace("_", ""))


def imaginary_value(text: str) -> complex:
    return complex(0.0, float(text[:-1].replace("_", "")))


def number_value(node: cst.BaseNumber) -> int | float | complex:
    if type(node) is cst.Integer:
        return int_value(node.value)
    if type(node) is cst.Float:
        return float_value(node.value)
    return imaginary_value(node.value)  # type: ignore[attr-defined]


def _split(token: str) -> tuple[str, str, str]:
    """``(prefix in lower case, quote, body)`` of a string token such as ``rb'''x'''``."""
    i = 0
    while token[i] not in "'\"":
        i += 1
    prefix = token[:i].lower()
    quote = token[i:i + 3] if token[i:i + 3] in ('"""', "'''") else token[i]
    return prefix, quote, token[i + len(quote): len(token) - len(quote)]


def decode_body(body: str, raw: bool, is_bytes: bool) -> str:
    """The characters a string body stands for (for bytes, one character per byte).

    Python reads a file with its line ends made ``\\n`` before it sees a string, so a
    ``\\r\\n`` inside a triple-quoted string is one ``\\n``; escapes are read unless ``raw``.
    """
    if "\r" in body:
        body = _LINE_END.sub("\n", body)
    if raw or "\\" not in body:
        return body
    out = []
    pos = 0
    for m in _ESCAPE.finditer(body):
        if m.start() < pos:
            continue  # inside an escape longer than the pattern (``\\x41``, ``\\N{...}``)
        out.append(body[pos:m.start()])
        value, pos = _escape(m, body, is_bytes)
        out.append(value)
    out.append(body[pos:])
    return "".join(out)


_HEX = frozenset("0123456789abcdefABCDEF")


def _escape(m: re.Match, body: str, is_bytes: bool) -> tuple[str, int]:
    """The value of the escape ``m`` starts, and where the text after it resumes."""
    ch, digits = m.group(1), m.group(2)
    if ch in "01234567":
        code = int(ch + digits, 8)
        return chr(code & 0xFF if is_bytes else code), m.end()
    if ch == "\n" or ch == "\r\n":
        return "", m.end(1)  # a backslash at the end of a line joins it to the next
    simple = _SIMPLE.get(ch)
    if simple is not None:
        return simple, m.end(1)
    start = m.end(1)
    width = {"x": 2} if is_bytes else {"x": 2, "u": 4, "U": 8}
    if ch in width:
        text = body[start:start + width[ch]]
        if len(text) != width[ch] or not _HEX.issuperset(text):
            raise ValueError(f"truncated \\{ch} escape")
        return chr(int(text, 16)), start + width[ch]
    if ch == "N" and not is_bytes:
        end = body.find("}", start)
        if not body.startswith("{", start) or end < 0:
            raise ValueError("malformed \\N character escape")
        import unicodedata

        try:
            return unicodedata.lookup(body[start + 1:end]), end + 1
        except KeyError:
            raise ValueError("unknown Unicode character name") from None
    return "\\" + ch, start  # an unknown escape stays as written


def decode_token(token: str) -> tuple[str, str]:
    """``(prefix, value)`` of a plain string token; bytes come back as latin-1 text."""
    prefix, _, body = _split(token)
    is_bytes = "b" in prefix
    if is_bytes and not body.isascii():
        raise ValueError("bytes can only contain ASCII literal characters")
    return prefix, decode_body(body, "r" in prefix, is_bytes)


class Field(NamedTuple):
    """A replacement field of an f-string: ``{expression!conversion:spec}``."""

    expression: cst.BaseExpression
    conversion: str | None
    spec: tuple[Part, ...] | None
    """The format spec's own parts (constants and nested fields); None without a colon."""


Part = str | Field


class Folded(NamedTuple):
    """What a string node (plain, f-string or implicit concatenation) folds to."""

    kind: str
    """``str``, ``bytes`` or ``joined`` (an f-string)."""
    value: str | bytes | None = None
    parts: tuple[Part, ...] = ()
    """For ``joined``: constant text (adjacent pieces merged, empty ones dropped) and fields."""
    u_prefix: bool = False
    """The first piece is written ``u"..."``: Python keeps that mark on a plain string."""


_STRING_TYPES = (cst.SimpleString, cst.FormattedString, cst.ConcatenatedString)


def _pieces(node: cst.BaseExpression, out: list) -> None:
    if type(node) is cst.ConcatenatedString:
        _pieces(node.left, out)
        _pieces(node.right, out)
    else:
        out.append(node)


def fold(node: cst.BaseExpression) -> Folded:
    """The folded form of a string node; ``ValueError`` for what Python would refuse."""
    pieces: list = []
    _pieces(node, pieces)
    joined = any(type(p) is cst.FormattedString for p in pieces)
    first_u = False
    kinds = set()
    parts: list[Part] = []
    for i, piece in enumerate(pieces):
        if type(piece) is cst.SimpleString:
            prefix, value = decode_token(piece.value)
            kinds.add("b" in prefix)
            if i == 0:
                first_u = "u" in prefix
            parts.append(value)
        else:
            kinds.add(False)
            prefix = piece.start.rstrip("'\"").lower()  # ``rf"""`` -> ``rf``
            parts.extend(_fstring_parts(piece.parts, "r" in prefix))
    if len(kinds) > 1:
        raise ValueError("cannot mix bytes and nonbytes literals")
    if not joined:
        text = "".join(parts)  # type: ignore[arg-type]
        if True in kinds:
            return Folded("bytes", text.encode("latin-1"))
        return Folded("str", text, u_prefix=first_u)
    return Folded("joined", parts=_merged(parts))


def _merged(parts: list[Part]) -> tuple[Part, ...]:
    out: list[Part] = []
    for part in parts:
        if isinstance(part, str):
            if not part:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += part
                continue
        out.append(part)
    return tuple(out)


_BRACES = re.compile(r"\{\{|\}\}")


def _literal_text(raw_text: str, raw: bool) -> str:
    """An f-string's constant text: ``{{`` and ``}}`` are braces of its syntax, read before
    any escape is (``\\x7b`` is a brace of the value)."""
    pieces = _BRACES.split(raw_text)
    out = [decode_body(pieces[0], raw, False)]
    for brace, piece in zip(_BRACES.findall(raw_text), pieces[1:]):
        out.append(brace[0])
        out.append(decode_body(piece, raw, False))
    return "".join(out)


def _fstring_parts(contents: Sequence[Any], raw: bool) -> list[Part]:
    out: list[Part] = []
    for item in contents:
        if type(item) is cst.FormattedStringText:
            out.append(_literal_text(item.value, raw))
            continue
        conversion = item.conversion
        spec = None
        if item.format_spec is not None:
            spec = _merged(_fstring_parts(item.format_spec, raw))
        if item.equal is not None:
            # ``{x = }`` shows its own text, then the value: ``repr`` unless told otherwise.
            out.append(_debug_text(item))
            if conversion is None and spec is None:
                conversion = "r"
        out.append(Field(item.expression, conversion, spec))
    return out


def _debug_text(item: cst.FormattedStringExpression) -> str:
    equal = item.equal
    assert equal is not None
    return (code_of(item.whitespace_before_expression) + code_of(item.expression)
            + code_of(item.whitespace_after_expression) + code_of(equal))


_BARE = cst.Module(body=[])


def code_of(node: cst.CSTNode) -> str:
    """A node's text as libcst writes it (line ends as ``\\n``, indentation of four spaces)."""
    return _BARE.code_for_node(node)


def is_string(node: cst.CSTNode) -> bool:
    return isinstance(node, _STRING_TYPES)
