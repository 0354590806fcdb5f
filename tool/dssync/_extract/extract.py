"""Build a module's constant table from its bytes, with libcst.

A module is parsed a piece at a time (a few dozen lines, cut before a top-level statement,
preferably one that starts a paragraph), each piece's bindings read by the one walk
(``walk.Walk``) and its tree let go before the next is parsed, so the memory a table costs
grows with the constants, not with libcst's tree of the whole module. What a piece gives
depends on its text alone (and on the comment run it continues), so the tables of one run
share it (``ReadMemo``): consecutive releases of a module, or the two sides of a diff, share
most of their pieces word for word, and each is parsed once."""

from __future__ import annotations

import bisect
import hashlib
import re
from typing import Any, Callable, Iterable, Iterator, NamedTuple

from dssync._extract.decode import SourceText, decode_source, line_starts, token_estimate
from dssync._extract.evaluate import literal_value
from dssync._extract.parse import NotPython, parse_module
from dssync._extract.resolve import Resolver, known_references, mentions
from dssync._extract.stack import deeply
from dssync._extract.unparse import normalize, star_slice
from dssync._extract.walk import RawBinding, Walk
from dssync._extract.written import MAX_SOURCE, as_written
from dssync.errors import DssyncError
from dssync.models import UNRESOLVED, Augment, Binding, Constant, ConstantTable

CHUNK_LINES = 60
"""A module is parsed about this many lines at a time. Small pieces keep libcst's tree (about
1 KB a token) out of memory, and let a piece read once serve every text that holds it."""

PARAGRAPH_SLACK = 60
"""How much further a cut may go to fall where a paragraph (a blank line) begins: such cuts
fall in the same places when lines are added or removed elsewhere, so pieces repeat."""

MAX_PIECE_TOKENS = 400_000
"""The most tokens parsed at once (about 400 MB of libcst's tree): more than any real
statement, a fifth of what ``decode.MAX_TOKENS`` lets through for a whole module."""

_STATEMENT = r"(?!(?:else|elif|except|finally)\b)[A-Za-z_]"
_CUT = re.compile(r"(?:\A|(?<=\n)|(?<=\r))" + _STATEMENT)
"""Lines that may begin a top-level statement: at column 0, not continuing an ``if``/``try``."""
_PARAGRAPH = re.compile(r"(?:(?<=\n\n)|(?<=\r\n\r\n)|(?<=\r\r))"
                        rf"(?:{_STATEMENT}|(?=#[^\r\n]*(?:\r\n?|\n)"
                        rf"(?:[ \t\f]*(?:#[^\r\n]*)?(?:\r\n?|\n))*{_STATEMENT}))")
"""Lines after a blank line that may begin a top-level statement or its comment. A comment
at column 0 may also sit inside a class or function body (a line commented out between two
methods): it begins a statement's comment only when the next line with code is at column 0."""


def _pieces(text: str, path: str, size: int = CHUNK_LINES,
            known: Callable[[str], bool] = lambda piece: False
            ) -> Iterator[tuple[int, str, Any]]:
    """``(first line, text, tree)`` pieces of a module, each cut where the text before it parses.

    A candidate cut inside a string, a bracket or a decorated definition leaves a piece that
    does not parse; the piece then grows (doubling its reach, so a module that is one long
    string costs a few parses, not one per line) until it parses or takes the rest. A piece
    ``known(piece)`` has been read before: it is not parsed again (its tree is None).
    """
    starts = line_starts(text)
    first = 1
    while True:
        reach = size
        while True:
            cut = _cut_at_or_after(text, starts, first + reach)
            begin = starts[first - 1]
            if cut is None:
                piece = text[begin:]
                _check_piece(piece, first, path)
                yield first, piece, None if known(piece) else parse_module(piece, path, first)
                return
            piece = text[begin:starts[cut - 1]]
            _check_piece(piece, first, path)
            if known(piece):
                tree = None
            else:
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
    """The first paragraph start at or after ``line`` (within ``PARAGRAPH_SLACK`` lines), else
    the first candidate line; None at the end of the module."""
    if line >= len(starts):
        return None
    at = starts[line - 1]
    window = starts[min(line + PARAGRAPH_SLACK, len(starts)) - 1]
    found = _PARAGRAPH.search(text, at, window) or _CUT.search(text, at)
    return None if found is None else bisect.bisect_right(starts, found.start())


class Fact(NamedTuple):
    """What one binding contributes to its module's table: the walk's binding with its value
    read (normalized text, literal, names mentioned) and its tree let go, unless the resolver
    will need it (a value that is not a literal)."""

    name: str
    kind: str
    line: int
    end_line: int
    source: str
    conditional: bool
    index: int | None  # type: ignore[assignment]  # shadows tuple.index, on purpose
    op: str
    comment: str
    normalized: str
    written: str
    """The value as written (``written``), or "" where that is its normalized text."""
    literal: Any
    names: tuple[str, ...]
    node: Any

    def shifted(self, lines: int) -> Fact:
        """The same binding in a piece that starts ``lines`` lines further down."""
        return Fact(self.name, self.kind, self.line + lines, self.end_line + lines, self.source,
                    self.conditional, self.index, self.op, self.comment, self.normalized,
                    self.written, self.literal, self.names, self.node)


class ReadMemo:
    """What the tables one run reads share: the facts of values by their text, and the facts
    of pieces by their text (and the comment run they continue)."""

    __slots__ = ("values", "pieces")

    def __init__(self) -> None:
        self.values: ValueMemo = {}
        self.pieces: dict[tuple[str, str], tuple[list[Fact], str]] = {}


def read_facts(source: SourceText, path: str, memo: ReadMemo | None = None) -> Iterator[Fact]:
    """Every binding in the module, in source order, read a piece at a time."""
    pieces = memo.pieces if memo is not None else None
    values = memo.values if memo is not None else None
    carried = ""

    def known(piece: str) -> bool:
        return pieces is not None and (piece, carried) in pieces

    for first, piece, tree in _pieces(source.text, path, known=known):
        key = (piece, carried)
        if tree is None:
            found, carried = pieces[key]  # type: ignore[index]
        else:
            try:
                walk = Walk(tree, 1, carried)
                raws = walk.bindings()
            except RecursionError:
                raise DssyncError("cannot read: too deeply nested", path=path, line=first,
                                  hint="dssync refuses inputs it cannot read safely") from None
            found = facts_of(raws, values, first - 1)
            if pieces is not None:
                pieces[key] = (found, walk.pending)
            carried = walk.pending
        yield from (f.shifted(first - 1) for f in found) if first > 1 else found


def raw_bindings(source: SourceText, path: str) -> Iterator[RawBinding]:
    """Every binding in the module with libcst's nodes, read a piece at a time (for tests
    and tools; the table is built from ``read_facts``)."""
    carried = ""
    for first, tree in parsed_pieces(source, path):
        walk = Walk(tree, first, carried)
        yield from walk.bindings()
        carried = walk.pending


def parsed_pieces(source: SourceText, path: str) -> Iterator[tuple[int, Any]]:
    """libcst's tree of each piece of the module, with the line the piece starts at: the
    module read as extraction reads it, for what needs more of it than its constants (the
    class statements a class rename compares)."""
    for first, _, tree in _pieces(source.text, path):
        yield first, tree


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


ValueFacts = tuple[str, Any, tuple[str, ...], str]
"""What a value's text gives, whatever module it is in: its normalized form, its literal value
(or ``UNRESOLVED``), when it is not a literal the names it mentions, and its written form."""

ValueMemo = dict[str, ValueFacts]
"""``ValueFacts`` by the value's source text: the releases a history walk extracts share most
of their values word for word, and an expression's tree (hence all three facts) depends on its
text alone."""


def written_text(rb: RawBinding, normalized: str) -> str:
    """The value as written (``written.as_written``); "" where that is its normalized text, or
    the value is too long to be worth it, or cannot be written so."""
    if rb.source == normalized or len(rb.source) > MAX_SOURCE:
        return ""
    text = as_written(rb.written if rb.star is not None else rb.value, rb.star)  # type: ignore[arg-type]
    return "" if text is None or text == normalized else text


def value_facts(rb: RawBinding) -> ValueFacts:
    try:
        normalized = normalized_text(rb)
        literal = literal_value(rb.value)
        return (normalized, literal, mentions(rb.value) if literal is UNRESOLVED else (),
                written_text(rb, normalized))
    except ValueError as exc:  # a literal Python's compiler let through but cannot mean
        raise DssyncError(f"cannot read the value of {rb.name}: {exc}", line=rb.line,
                          hint="check the literal's escapes") from None


def facts_of(raw: Iterable[RawBinding], memo: ValueMemo | None = None,
             shift: int = 0) -> list[Fact]:
    """The facts of the walk's bindings (``shift``: lines before the piece they come from,
    for error messages). ``memo`` lends the facts of values seen before."""
    out = []
    for rb in raw:
        if rb.kind == "delete":
            out.append(Fact(rb.name, rb.kind, rb.line, rb.end_line, "", rb.conditional, None, "",
                            rb.comment, "", "", UNRESOLVED, (), None))
            continue
        # ``*REST`` takes a slice of the text it shares with its neighbours: not lent.
        shared = memo is not None and rb.star is None
        facts = memo.get(rb.source) if shared else None  # type: ignore[union-attr]
        if facts is None:
            try:
                facts = value_facts(rb)
            except DssyncError as exc:
                exc.line = (exc.line or 0) + shift
                raise
            if shared:
                memo[rb.source] = facts  # type: ignore[index]
        normalized, literal, names, written = facts
        # Syntax trees are let go as soon as their text and literal value are known; only the
        # expressions a literal cannot stand for (references, calls) are kept for the resolver.
        node = rb.value if literal is UNRESOLVED or rb.kind != "bind" else None
        out.append(Fact(rb.name, rb.kind, rb.line, rb.end_line, rb.source, rb.conditional,
                        rb.index, rb.op, rb.comment, normalized, written, literal, names, node))
    return out


def build_constants(facts: Iterable[Fact]) -> tuple[dict[str, Constant], dict[str, Any]]:
    """Group bindings by name: the last one wins; augments after it modify it."""
    bindings: dict[str, list[Binding]] = {}
    augments: dict[str, list[Augment]] = {}
    nodes: dict[str, Any] = {}
    mentioned: dict[str, tuple[str, ...]] = {}
    order: dict[str, int] = {}
    deleted: set[str] = set()
    for position, f in enumerate(facts):
        if f.kind == "delete":
            if not f.conditional and f.name in bindings:
                deleted.add(f.name)
            continue
        if f.kind == "bind":
            if f.literal is UNRESOLVED:
                nodes.setdefault(f.normalized, f.node)
                mentioned.setdefault(f.normalized, f.names)
            bindings.setdefault(f.name, []).append(
                Binding(f.line, f.end_line, f.source, f.normalized, f.conditional, f.index,
                        f.literal, f.comment, f.written))
            augments[f.name] = []
            order[f.name] = position
            deleted.discard(f.name)
        elif f.name in bindings and f.name not in deleted:
            nodes.setdefault(f.normalized, f.node)
            augments[f.name].append(Augment(f.line, f.op, f.source, f.normalized, f.written))
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


@deeply  # the pieces are parsed and walked as the table is built
def extract_table(data: bytes, path: str, memo: ReadMemo | None = None) -> ConstantTable:
    """The constant table of a module's bytes; ``memo`` is shared by the tables of one run."""
    source = decode_source(data, path)
    return _table(read_facts(source, path, memo), path, hashlib.sha256(data).hexdigest())


@deeply
def table_of(raw: Iterable[RawBinding], path: str, sha256: str) -> ConstantTable:
    """The table of a module's bindings as the walk found them (``update`` reads a whole
    module once, for its table and its layout)."""
    return _table(facts_of(raw), path, sha256)


def _table(facts: Iterable[Fact], path: str, sha256: str) -> ConstantTable:
    try:
        constants, nodes = build_constants(facts)
    except DssyncError as exc:
        exc.path = exc.path or path
        raise
    table = ConstantTable(path=path, constants=constants, sha256=sha256)
    table.resolved = Resolver(constants, nodes).resolve_all()
    return table
