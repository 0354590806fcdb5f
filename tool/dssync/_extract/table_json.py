"""Constant tables as JSON, and a cache of parsed tables keyed by the content's sha256.

Walking a hundred upstream tags parses the same few file contents again and again, so a table,
once built, is kept in the cache with everything ``extract_table`` computed: names, bindings,
augments, references, each binding's literal and each constant's resolved value (values in the
exact encoding of ``value_json``), so loading one parses and evaluates nothing. When a value
cannot be stored (a type the encoding does not name), the table is stored without values, which
are recomputed from the normalized text with the evaluator and resolver ``extract_table`` uses,
so a loaded table always equals a freshly extracted one.

Each constant is stored as a JSON text of its own: consecutive releases share most constants
word for word, so a walk that loads many tables (``Memo``) decodes each distinct constant once.

The cache key carries ``FORMAT_VERSION``, dssync's version and Python's minor version: a change
in the extractor must not be hidden by old entries, and what libcst's parser accepts follows
the Python it runs on (the normalized text itself no longer depends on it).
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from dssync._extract.stack import deeply
from dssync._extract.value_json import decode_value, encode_value
from dssync.models import UNRESOLVED, Augment, Binding, Constant, ConstantTable

if TYPE_CHECKING:
    from dssync.cache import Cache

FORMAT_VERSION = 5
"""3 (issue 13): bindings carry their documenting comment. 3 (issue 15, on another branch):
the reader refuses what ``_extract.guard`` refuses (a table read before would hide it). 4: both,
so that neither branch's tables are taken for the other's, and each value as written. 5: sets
stored in ``value_json``'s canonical order, not the iteration order of the process that stored
them (which another process could not rebuild, so it evaluated the whole table again)."""
NAMESPACE = "tables"

SAME_AS_LITERAL = ["="]
"""A resolved value that is the winning binding's literal itself (``value_json`` never
produces a list starting with ``=``)."""

_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False)
"""Built once: ``json.dumps`` with any option builds a new encoder at every call."""

class Memo:
    """What the tables one walk loads share: constants already decoded, by their stored text,
    and what extraction read before (``extract.ReadMemo``: the facts of values and pieces)."""

    __slots__ = ("constants", "values", "pieces")

    def __init__(self) -> None:
        self.constants: dict[str, Constant] = {}
        self.values: dict = {}
        self.pieces: dict = {}


def cache_key(sha256: str) -> str:
    from dssync import __version__

    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"table/v{FORMAT_VERSION}/dssync-{__version__}/py{py}/{sha256}"


def _record(c: Constant, exact: bool) -> str:
    bindings = [[b.line, b.end_line, b.source, b.normalized, b.conditional, b.index,
                 encode_value(b.literal) if exact else None, b.comment, b.written]
                for b in c.bindings]
    augments = [[a.line, a.op, a.source, a.normalized, a.written] for a in c.augments]
    return _ENCODER.encode([c.name, bindings, augments, list(c.references)])


def _resolved_to_json(table: ConstantTable) -> list[Any]:
    out = []
    for name, c in table.constants.items():
        value = table.value_of(name)
        literal = c.binding.literal
        out.append(SAME_AS_LITERAL if value is literal and literal is not UNRESOLVED
                   else encode_value(value))
    return out


def table_to_json(table: ConstantTable) -> dict[str, Any]:
    """What ``table_from_json`` needs to rebuild ``table``; plain JSON types only."""
    try:
        resolved = _resolved_to_json(table)
        records = [_record(c, True) for c in table.constants.values()]
    except (ValueError, RecursionError):
        resolved = None  # stored without values: they are recomputed on loading
        records = [_record(c, False) for c in table.constants.values()]
    return {"format": FORMAT_VERSION, "sha256": table.sha256, "constants": records,
            "resolved": resolved}


def _bad(what: str) -> ValueError:
    return ValueError(f"malformed table: {what}")


def _binding(item: Any, exact: bool) -> Binding:
    line, end_line, source, normalized, conditional, index, literal, comment, written = item
    if (type(line) is not int or type(end_line) is not int or type(source) is not str
            or type(normalized) is not str or type(conditional) is not bool
            or not (index is None or type(index) is int) or type(comment) is not str
            or type(written) is not str):
        raise _bad("binding")
    return Binding(line, end_line, source, normalized, conditional, index,
                   decode_value(literal) if exact else UNRESOLVED, comment, written)


def _constant(item: Any, exact: bool) -> Constant:
    name, items, augment_items, refs = item
    if type(name) is not str or type(items) is not list or not items:
        raise _bad("constant")
    bindings = tuple(_binding(item, exact) for item in items)
    augments = []
    for line, op, source, normalized, written in augment_items:
        if (type(line) is not int or type(op) is not str or type(source) is not str
                or type(normalized) is not str or type(written) is not str):
            raise _bad("augment")
        augments.append(Augment(line, op, source, normalized, written))
    if type(refs) is not list or not all(type(r) is str for r in refs):
        raise _bad("references")
    return Constant(name, bindings[-1], tuple(refs), bindings, tuple(augments))


def _constants(records: Any, exact: bool, memo: Memo | None) -> dict[str, Constant]:
    if type(records) is not list:
        raise _bad("constants")
    if not all(type(r) is str for r in records):
        raise _bad("constant")
    shared = memo.constants if memo is not None and exact else {}
    # The records not decoded before, read by one JSON parse rather than one each.
    fresh = [r for r in records if r not in shared]
    items = json.loads(f"[{','.join(fresh)}]")
    if len(items) != len(fresh):  # a damaged record held a comma of its own
        raise _bad("constant")
    for record, item in zip(fresh, items):
        shared[record] = _constant(item, exact)
    constants: dict[str, Constant] = {}
    for record in records:
        const = shared[record]
        constants[const.name] = const
    if len(constants) != len(records):
        raise _bad("a name stored twice")
    return constants


def _resolved(constants: dict[str, Constant], stored: list[Any]) -> dict[str, Any]:
    if len(stored) != len(constants):
        raise _bad("resolved values do not match the constants")
    resolved = {}
    for (name, c), value in zip(constants.items(), stored):
        if value == SAME_AS_LITERAL:
            if c.binding.literal is UNRESOLVED:
                raise _bad("no literal to stand for the value")
            resolved[name] = c.binding.literal
        else:
            resolved[name] = decode_value(value)
    return resolved


@deeply
def _recomputed(constants: dict[str, Constant]) -> tuple[dict[str, Constant], dict[str, Any]]:
    """Literals and resolved values evaluated afresh, as ``extract_table`` evaluates them."""
    from dataclasses import replace

    from dssync._extract.evaluate import literal_value
    from dssync._extract.parse import parse_expression
    from dssync._extract.resolve import Resolver

    nodes: dict = {}  # each text parsed once, shared by the literals and the resolver

    def literal(text: str) -> Any:
        if text not in nodes:
            nodes[text] = parse_expression(text)
        node = nodes[text]
        return literal_value(node) if node is not None else UNRESOLVED

    out: dict[str, Constant] = {}
    for name, c in constants.items():
        bindings = tuple(replace(b, literal=literal(b.normalized)) for b in c.bindings)
        out[name] = replace(c, binding=bindings[-1], bindings=bindings)
        for aug in c.augments:
            literal(aug.normalized)  # the resolver reads each operand's tree
    return out, Resolver(out, nodes).resolve_all()


def table_from_json(data: Any, path: str, memo: Memo | None = None) -> ConstantTable:
    """The table ``table_to_json`` described; ``ValueError`` if ``data`` is not such a table.

    ``memo`` lends constants decoded for earlier tables to this one (they are immutable).
    """
    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise ValueError("unknown table format")
        sha256 = data.get("sha256", "")
        stored = data["resolved"]
        if type(sha256) is not str or not (stored is None or type(stored) is list):
            raise _bad("header")
        records = data["constants"]
        resolved = None
        if stored is not None:
            constants = _constants(records, True, memo)
            resolved = _resolved(constants, stored)
        if resolved is None:
            constants, resolved = _recomputed(_constants(records, False, None))
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed table: {type(exc).__name__}") from None
    except RecursionError:
        raise ValueError("malformed table: nested too deeply") from None
    table = ConstantTable(path=path, constants=constants, sha256=sha256)
    table.resolved = resolved
    return table


def cached_table(data: bytes, path: str, cache: Cache | None,
                 memo: Memo | None = None) -> ConstantTable | None:
    """The table of ``data`` if ``cache`` holds it (a damaged or outdated entry is a miss)."""
    if cache is None:
        return None
    import hashlib

    sha256 = hashlib.sha256(data).hexdigest()
    cached = cache.read_json(NAMESPACE, cache_key(sha256))
    if cached is None:
        return None
    try:
        table = table_from_json(cached, path, memo)
    except ValueError:
        return None
    return table if table.sha256 == sha256 else None


def store_table(table: ConstantTable, cache: Cache | None) -> None:
    """Keep ``table`` (extracted from content whose sha256 it carries) for later runs."""
    if cache is not None and table.sha256:
        # Derived from content the cache keeps: a table lost to a crash is extracted again.
        cache.write_json(NAMESPACE, cache_key(table.sha256), table_to_json(table), durable=False)


def load_table(data: bytes, path: str, cache: Cache | None, memo: Memo | None = None) -> ConstantTable:
    """``extract_table(data, path)``, answered from ``cache`` when this content was seen before.

    A damaged or outdated entry counts as a miss and is replaced. Errors in the content itself
    (not Python, bad encoding) are raised as ``extract_table`` raises them, and not cached.
    """
    table = cached_table(data, path, cache, memo)
    if table is not None:
        return table
    from dssync._extract.extract import extract_table  # only for content not seen before

    table = extract_table(data, path, memo)  # type: ignore[arg-type]  # a Memo is a ReadMemo
    store_table(table, cache)
    return table
