"""Values as the source writes them, for people: ``0x023100`` stays ``0x023100``, not ``143616``.

Comparison uses the normalized form (``unparse.normalize``), so ``0x10`` and ``16`` are one
value and re-wrapping a list is no drift. A reviewer, though, holds the report against the
file, so a report shows each value the way it is written, with only what cannot change its
meaning folded:
- white space, line breaks and comments between tokens, and redundant parentheses, exactly as
  the normalized form folds them (the text is the normalizer's, with each literal's own text in
  place of its value);
- in a string literal, the quote character (``"x"`` is shown ``'x'``, as the normalized form
  shows it) and a ``u`` prefix; upper-case prefixes are shown in lower case. Nothing that
  changes the value is touched: an ``r`` or ``b`` prefix and every escape stay as written, and
  the folded literal is checked to read as the same value, else it is shown as written.
Numbers keep their base, underscores, exponent and case (``0o755``, ``1_000_000``, ``1E-3``).
An f-string is shown in the normalized form. A multi-line string keeps its line breaks when it
is the whole value; inside a larger value it is shown normalized (``'a\\nb'``), so a value is
one line unless it is one text.

Extraction writes it from libcst's node while it has the node, and the table keeps it (only
where it differs from the normalized form), so a report never parses anything for it.
"""

from __future__ import annotations

import re

import libcst as cst

from dssync._extract.literals import decode_token, fold, is_string
from dssync._extract.unparse import TEST, Writer, star_slice

MAX_SOURCE = 20_000
"""Longer values are shown normalized: a report cuts them to a few lines anyway."""

_QUOTED = re.compile(r"(?P<prefix>[A-Za-z]*)(?P<quote>'''|\"\"\"|'|\")", re.ASCII)
_NUMBERS = (cst.Integer, cst.Float, cst.Imaginary)


def as_written(node: cst.BaseExpression, star: tuple[int | None, int | None] | None = None
               ) -> str | None:
    """``node`` as written, folded as this module says (for ``*REST``, the slice ``star`` of
    it); None if it cannot be written so (the normalized form stands in)."""
    writer = _AsWritten(node)
    try:
        if star is not None:
            return star_slice(node, *star, writer=writer)
        return writer.write(node, TEST)
    except (ValueError, RecursionError):  # ``Unwritable`` among them
        return None


class _AsWritten(Writer):
    """The normalizer, writing each literal as its source does. Inside an f-string's
    replacement fields (``avoid``) it writes as the normalizer does: an f-string is shown
    normalized, parts and all."""

    def __init__(self, whole: cst.BaseExpression) -> None:
        super().__init__(False)
        self.whole = whole
        """The value itself: the one string that may keep its line breaks."""

    def number(self, node: cst.BaseNumber, outer: int) -> str:
        return Writer.number(self, node, outer) if self.avoid else node.value  # type: ignore[attr-defined]

    def string(self, node: cst.BaseExpression, outer: int) -> str:
        if not self.avoid:
            shown = _string(node)
            if shown is not None and (node is self.whole or ("\n" not in shown and "\r" not in shown)):
                return shown
        return Writer.string(self, node, outer)

    def attribute(self, node: cst.Attribute, outer: int) -> str:
        if _is_literal(node.value):  # ``(1).real``: the normalizer's spelling keeps it an attribute
            return Writer.attribute(Writer(self.avoid), node, outer)
        return Writer.attribute(self, node, outer)

    methods = {**Writer.methods, cst.Integer: number,  # noqa: RUF012 - one table per class
               cst.Float: number, cst.Imaginary: number,
               cst.SimpleString: string, cst.ConcatenatedString: string,
               cst.FormattedString: string, cst.Attribute: attribute}


def _is_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, _NUMBERS) or (is_string(node) and _tokens(node) is not None)


def _tokens(node: cst.BaseExpression) -> list[str] | None:
    """The string tokens of a plain string or an implicit concatenation of them, as written;
    None for an f-string (or a concatenation holding one)."""
    out: list[str] = []
    pending = [node]
    while pending:
        piece = pending.pop()
        if type(piece) is cst.ConcatenatedString:
            pending += [piece.right, piece.left]
        elif type(piece) is cst.SimpleString:
            out.append(piece.value)
        else:
            return None
    return out


def _string(node: cst.BaseExpression) -> str | None:
    """A string literal (or several, concatenated) with the quotes and prefixes folded where
    that keeps the value; None for an f-string or a text too long to show."""
    tokens = _tokens(node)
    if tokens is None or sum(map(len, tokens)) > MAX_SOURCE:
        return None
    folded = [_fold_quotes(t) for t in tokens]
    if folded != tokens and not _reads_as(folded, node):
        return " ".join(tokens)
    return " ".join(folded)


def _fold_quotes(token: str) -> str:
    match = _QUOTED.match(token)
    if match is None:
        return token
    prefix, quote = match["prefix"], match["quote"]
    body = token[match.end():len(token) - len(quote)]
    folded = quote.replace('"', "'")
    if "'" in body:
        folded = quote  # the other quote would need escapes the source did not write
    return prefix.lower().replace("u", "") + folded + body + folded


def _reads_as(tokens: list[str], node: cst.BaseExpression) -> bool:
    """The folded tokens stand for the same value as the node (read by the extractor's own
    reader of string literals, never evaluated)."""
    try:
        value = fold(node).value
        parts = [decode_token(t) for t in tokens]
    except ValueError:
        return False
    text = "".join(v for _, v in parts)
    is_bytes = {"b" in prefix for prefix, _ in parts}
    if is_bytes == {True}:
        return isinstance(value, bytes) and text.encode("latin-1") == value
    return is_bytes == {False} and isinstance(value, str) and text == value
