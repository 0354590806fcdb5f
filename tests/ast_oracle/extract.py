"""Build a module's constant table from its bytes, with the standard library's ``ast``.

Reading needs no concrete syntax tree: positions and the source text give each value as
written, and ``ast.parse`` is some twenty times faster than libcst's parser, which is only
imported by ``update`` to rewrite a file."""

from __future__ import annotations

import ast
import bisect
import gc
import hashlib
import re
import warnings
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from ast_oracle.collect import BindingCollector, RawBinding, sites
from dssync._extract.decode import SourceText, decode_source, token_estimate
from ast_oracle.evaluate import literal_value
from ast_oracle.resolve import Resolver, known_references, mentions
from ast_oracle.slices import SourceSlicer, line_starts
from dssync.errors import DssyncError
from dssync.models import UNRESOLVED, Augment, Binding, Constant, ConstantTable


def parse_ast(source: SourceText, path: str) -> ast.Module:
    """The standard AST of a module, or one clear error naming where it fails to parse."""
    return _parse(source.text, path, 1)


def _parse(text: str, path: str, first_line: int) -> ast.Module:
    try:
        return _compile(text)
    except SyntaxError as exc:
        raise DssyncError(
            f"not valid Python: {exc.msg}",
            path=path,
            line=exc.lineno + first_line - 1 if exc.lineno else None,
            column=exc.offset,
            hint="fix the syntax error (or check that this is the right file)",
        ) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="dssync refuses inputs Python itself cannot compile") from None


def _compile(text: str) -> ast.Module:
    with warnings.catch_warnings():
        # Python's warnings about upstream's code (invalid escapes, ``1if``) are not ours
        # to print: the report is the one place dssync speaks about upstream.
        warnings.simplefilter("ignore")
        return ast.parse(text)


CHUNK_LINES = 2000
"""A long module is parsed this many lines at a time (cut before a top-level statement), so
the syntax tree of a 200,000-line module never sits in memory whole: the tree costs about
2 KB a line, the table built from it a tenth of that."""

MAX_PIECE_TOKENS = 400_000
"""The most tokens parsed at once (about 200 MB of syntax tree): more than any real statement,
a tenth of what ``decode.MAX_TOKENS`` lets through for a whole module."""

_CUT = re.compile(r"(?:\A|(?<=\n)|(?<=\r))(?!(?:else|elif|except|finally)\b)[A-Za-z_]")
"""Lines that may begin a top-level statement: at column 0, not continuing an ``if``/``try``."""


def _pieces(text: str, path: str, size: int = CHUNK_LINES) -> Iterator[tuple[int, str, ast.Module]]:
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
                yield first, text[begin:], _parse(text[begin:], path, first)
                return
            piece = text[begin:starts[cut - 1]]
            _check_piece(piece, first, path)
            try:
                tree = _compile(piece)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
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
    for first, piece, tree in _pieces(source.text, path):
        yield from BindingCollector(SourceSlicer(piece), first).collect(sites(tree.body))


def normalize(node: ast.expr, source: str) -> str:
    """The canonical text of a value: ``ast.unparse``, which drops formatting and quote style.

    A few values cannot be unparsed (an integer too long to print in decimal); their source
    text with white space folded stands in, so they still compare by what was written.
    """
    try:
        return ast.unparse(node)
    except (ValueError, RecursionError):
        return "<source> " + " ".join(source.split())


ValueFacts = tuple[str, Any, tuple[str, ...]]
"""What a value's text gives, whatever module it is in: its normalized form, its literal value
(or ``UNRESOLVED``) and, when it is not a literal, the names it mentions."""

ValueMemo = dict[str, ValueFacts]
"""``ValueFacts`` by the value's source text: the releases a history walk extracts share most
of their values word for word, and an expression's tree (hence all three facts) depends on its
text alone."""


def value_facts(node: ast.expr, source: str) -> ValueFacts:
    literal = literal_value(node)
    return normalize(node, source), literal, mentions(node) if literal is UNRESOLVED else ()


def build_constants(raw: Iterable[RawBinding], memo: ValueMemo | None = None,
                    ) -> tuple[dict[str, Constant], dict[str, ast.expr]]:
    """Group raw bindings by name: the last one wins; augments after it modify it.

    Syntax trees are let go as soon as their text and literal value are known; only the
    expressions a literal cannot stand for (references, calls) are kept for the resolver, so
    a long module's trees never pile up. ``memo`` lends the facts of values seen before.
    """
    bindings: dict[str, list[Binding]] = {}
    augments: dict[str, list[Augment]] = {}
    nodes: dict[str, ast.expr] = {}
    mentioned: dict[str, tuple[str, ...]] = {}
    order: dict[str, int] = {}
    deleted: set[str] = set()
    for position, rb in enumerate(raw):
        if rb.kind == "delete":
            if not rb.conditional and rb.name in bindings:
                deleted.add(rb.name)
            continue
        facts = memo.get(rb.source) if memo is not None else None
        if facts is None:
            facts = value_facts(rb.value, rb.source)
            if memo is not None:
                memo[rb.source] = facts
        normalized, literal, names = facts
        if rb.kind == "bind":
            if literal is UNRESOLVED:
                nodes.setdefault(normalized, rb.value)
                mentioned.setdefault(normalized, names)
            bindings.setdefault(rb.name, []).append(
                Binding(rb.line, rb.end_line, rb.source, normalized, rb.conditional, rb.index,
                        literal)
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


@contextmanager
def collector_paused() -> Iterator[None]:
    """Building tables allocates hundreds of thousands of small objects and no cycles; while
    they pile up, the cyclic collector would walk every live object again and again to find
    nothing (a 200,000-line module took 3x the time of a 100,000-line one instead of 2x; a
    history walk spent a third of its time serializing tables in it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def extract_table(data: bytes, path: str, memo: ValueMemo | None = None) -> ConstantTable:
    """The constant table of a module's bytes; ``memo`` is shared by the tables of one walk."""
    source = decode_source(data, path)
    return table_of(raw_bindings(source, path), path, hashlib.sha256(data).hexdigest(), memo)


def table_of(raw: Iterable[RawBinding], path: str, sha256: str,
             memo: ValueMemo | None = None) -> ConstantTable:
    """The table of a module's raw bindings, every value resolved."""
    with collector_paused():
        constants, nodes = build_constants(raw, memo)
        table = ConstantTable(path=path, constants=constants, sha256=sha256)
        table.resolved = Resolver(constants, nodes).resolve_all()
    return table
