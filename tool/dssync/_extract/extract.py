"""Build a module's constant table from its bytes, with libcst.

A long module is parsed a piece at a time, each piece's bindings read by the one walk
(``walk.Walk``) and its tree let go before the next is parsed, so the memory a table costs
grows with the constants, not with libcst's tree of the whole module."""

from __future__ import annotations

import bisect
import hashlib
import re
from typing import Any, Dict, Iterable, Iterator, Tuple

from dssync._extract.decode import SourceText, decode_source, line_starts, token_estimate
from dssync._extract.evaluate import literal_value
from dssync._extract.gcpause import collector_paused
from dssync._extract.parse import NotPython, parse_module
from dssync._extract.resolve import Resolver, known_references, mentions
from dssync._extract.unparse import normalize, star_slice
from dssync._extract.walk import RawBinding, Walk
from dssync.errors import DssyncError
from dssync.models import UNRESOLVED, Augment, Binding, Constant, ConstantTable


CHUNK_LINES = 2000
"""A long module is parsed this many lines at a time (cut before a top-level statement), so
the syntax tree of a 200,000-line module never sits in memory whole: libcst's tree costs
about 1 KB a token, the table built from it a tenth of that."""

MAX_PIECE_TOKENS = 400_000
"""The most tokens parsed at once (about 400 MB of libcst's tree): more than any real
statement, a fifth of what ``decode.MAX_TOKENS`` lets through for a whole module."""

_CUT = re.compile(r"(?:\A|(?<=\n)|(?<=\r))(?!(?:else|elif|except|finally)\b)[A-Za-z_]")
"""Lines that may begin a top-level statement: at column 0, not continuing an ``if``/``try``."""


def _pieces(text: str, path: str, size: int = CHUNK_LINES
            ) -> Iterator[tuple[int, str, Any]]:
    """``(first line, text, tree)`` pieces of a module, each cut where the text before it parses.

    A candidate cut inside a string, a bracket or a decorated definition leaves a piece that
    does not parse; the piece then grows (doubling its reach, so a module that is one long
    string costs a few parses, not one per line) until it parses or takes the rest.
    """
    starts = line_starts(text)
    first = 1
    while True:
        reach = size
        while True:
            cut = _cut_at_or_after(text, starts, first + reach)
            begin = starts[first - 1]
            if cut is None:
                _check_piece(text[begin:], first, path)
                yield first, text[begin:], parse_module(text[begin:], path, first)
                return
            piece = text[begin:starts[cut - 1]]
            _check_piece(piece, first, path)
            try:
                tree = parse_module(piece, path, first)
            except NotPython:
                reach *= 2
                continue
            yield first, piece, tree
            first = cut
            break


def _check_piece(piece: str, first: int, path: str) -> None:
    if len(piece) <= MAX_PIECE_TOKENS:
        return
    tokens = token_estimate(piece.encode("utf-8", "surrogatepass"))
    if tokens > MAX_PIECE_TOKENS:
        last = first + len(line_starts(piece)) - 1
        raise DssyncError(
            f"lines {first}-{last} cannot be read apart (one statement, or no line where a "
            f"statement starts) and hold about {tokens} tokens; the limit is {MAX_PIECE_TOKENS}",
            path=path, line=first,
            hint="dssync reads constants modules; a statement this large would take gigabytes "
                 "to parse")


def _cut_at_or_after(text: str, starts: list[int], line: int) -> int | None:
    """The first candidate line at or after ``line``, or None at the end of the module."""
    if line >= len(starts):
        return None
    found = _CUT.search(text, starts[line - 1])
    return None if found is None else bisect.bisect_right(starts, found.start())


def raw_bindings(source: SourceText, path: str) -> Iterator[RawBinding]:
    """Every binding in the module, in source order, read a piece at a time."""
    walk = None
    for first, _, tree in _pieces(source.text, path):
        walk = Walk(tree, first, walk.docs if walk is not None else None)
        try:
            found = walk.bindings()
        except RecursionError:
            raise DssyncError("cannot read: too deeply nested", path=path, line=first,
                              hint="dssync refuses inputs it cannot read safely") from None
        yield from found


def normalized_text(rb: RawBinding) -> str:
    """The canonical text of a binding's value (see ``unparse``).

    A few values cannot be written that way (an f-string whose replacement field needs a
    backslash, an integer too long to print in decimal, an expression nested too deeply to
    write); their source text with white space folded stands in, so they still compare by
    what was written.
    """
    try:
        if rb.star is not None:
            return star_slice(rb.written, *rb.star)  # type: ignore[arg-type]
        return normalize(rb.value)
    except (ValueError, RecursionError):  # ``Unwritable`` among them
        return "<source> " + " ".join(rb.source.split())


ValueFacts = Tuple[str, Any, Tuple[str, ...]]
"""What a value's text gives, whatever module it is in: its normalized form, its literal value
(or ``UNRESOLVED``) and, when it is not a literal, the names it mentions."""

ValueMemo = Dict[str, ValueFacts]
"""``ValueFacts`` by the value's source text: the releases a history walk extracts share most
of their values word for word, and an expression's tree (hence all three facts) depends on its
text alone."""


def value_facts(rb: RawBinding) -> ValueFacts:
    try:
        normalized = normalized_text(rb)
        literal = literal_value(rb.value)
        return normalized, literal, mentions(rb.value) if literal is UNRESOLVED else ()
    except ValueError as exc:  # a literal Python's compiler let through but cannot mean
        raise DssyncError(f"cannot read the value of {rb.name}: {exc}", line=rb.line,
                          hint="check the literal's escapes") from None


def build_constants(raw: Iterable[RawBinding], memo: ValueMemo | None = None,
                    ) -> tuple[dict[str, Constant], dict[str, Any]]:
    """Group raw bindings by name: the last one wins; augments after it modify it.

    Syntax trees are let go as soon as their text and literal value are known; only the
    expressions a literal cannot stand for (references, calls) are kept for the resolver, so
    a long module's trees never pile up. ``memo`` lends the facts of values seen before.
    """
    bindings: dict[str, list[Binding]] = {}
    augments: dict[str, list[Augment]] = {}
    nodes: dict[str, Any] = {}
    mentioned: dict[str, tuple[str, ...]] = {}
    order: dict[str, int] = {}
    deleted: set[str] = set()
    for position, rb in enumerate(raw):
        if rb.kind == "delete":
            if not rb.conditional and rb.name in bindings:
                deleted.add(rb.name)
            continue
        # ``*REST`` takes a slice of the text it shares with its neighbours: not lent.
        shared = memo is not None and rb.star is None
        facts = memo.get(rb.source) if shared else None  # type: ignore[union-attr]
        if facts is None:
            facts = value_facts(rb)
            if shared:
                memo[rb.source] = facts  # type: ignore[index]
        normalized, literal, names = facts
        if rb.kind == "bind":
            if literal is UNRESOLVED:
                nodes.setdefault(normalized, rb.value)
                mentioned.setdefault(normalized, names)
            bindings.setdefault(rb.name, []).append(
                Binding(rb.line, rb.end_line, rb.source, normalized, rb.conditional, rb.index,
                        literal, rb.comment)
            )
            augments[rb.name] = []
            order[rb.name] = position
            deleted.discard(rb.name)
        elif rb.name in bindings and rb.name not in deleted:
            nodes.setdefault(normalized, rb.value)
            augments[rb.name].append(Augment(rb.line, rb.op, rb.source, normalized))
    # ``del X`` at module level (a helper cleaned up after use) leaves no constant X behind.
    ordered = sorted((n for n in bindings if n not in deleted),
                     key=lambda n: (bindings[n][-1].line, order[n]))
    constants: dict[str, Constant] = {}
    known = dict.fromkeys(ordered)
    for name in ordered:
        binding = bindings[name][-1]
        scope = name.rpartition(".")[0] or None
        refs = known_references(mentioned.get(binding.normalized, ()), scope, known)
        refs = tuple(r for r in refs if r != name)
        constants[name] = Constant(name, binding, refs, tuple(bindings[name]), tuple(augments[name]))
    return constants, nodes


def extract_table(data: bytes, path: str, memo: ValueMemo | None = None) -> ConstantTable:
    """The constant table of a module's bytes; ``memo`` is shared by the tables of one walk."""
    source = decode_source(data, path)
    return table_of(raw_bindings(source, path), path, hashlib.sha256(data).hexdigest(), memo)


def table_of(raw: Iterable[RawBinding], path: str, sha256: str,
             memo: ValueMemo | None = None) -> ConstantTable:
    """The table of a module's raw bindings, every value resolved."""
    with collector_paused():
        try:
            constants, nodes = build_constants(raw, memo)
        except DssyncError as exc:
            exc.path = exc.path or path
            raise
        table = ConstantTable(path=path, constants=constants, sha256=sha256)
        table.resolved = Resolver(constants, nodes).resolve_all()
    return table
