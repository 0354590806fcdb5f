"""Constant tables as JSON, and a cache of parsed tables keyed by the content's sha256.

Walking a hundred upstream tags parses the same few file contents again and again; parsing with
libcst is the slow step, so a table, once built, is kept in the cache. Only what the extractor
read from the source is stored (names, bindings, augments, references); each binding's literal
and the resolved values are recomputed from the normalized text with the same evaluator and
resolver ``extract_table`` uses, so a loaded table equals a freshly extracted one.

The cache key carries ``FORMAT_VERSION``, dssync's version and Python's minor version: the
normalized text comes from ``ast.unparse``, whose output may differ between Python versions,
and a change in the extractor must not be hidden by old entries.
"""

from __future__ import annotations

import sys
from typing import Any

from dssync.models import Augment, Binding, Constant, ConstantTable

FORMAT_VERSION = 1
NAMESPACE = "tables"


def cache_key(sha256: str) -> str:
    from dssync import __version__

    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    return f"table/v{FORMAT_VERSION}/dssync-{__version__}/py{py}/{sha256}"


def _binding_to_json(b: Binding) -> list[Any]:
    return [b.line, b.end_line, b.source, b.normalized, b.conditional, b.index]


def table_to_json(table: ConstantTable) -> dict[str, Any]:
    """What ``table_from_json`` needs to rebuild ``table``; plain JSON types only."""
    constants = []
    for c in table.constants.values():
        constants.append({
            "name": c.name,
            "bindings": [_binding_to_json(b) for b in c.bindings],
            "augments": [[a.line, a.op, a.source, a.normalized] for a in c.augments],
            "references": list(c.references),
        })
    return {"format": FORMAT_VERSION, "sha256": table.sha256, "constants": constants}


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError("expected an integer")
    return value


def _binding_from_json(item: Any, nodes: dict) -> Binding:
    from dssync._extract.evaluate import literal_value
    from dssync._extract.resolve import parse_expression
    from dssync.models import UNRESOLVED

    line, end_line, source, normalized, conditional, index = item
    if not isinstance(conditional, bool) or not (index is None or isinstance(index, int)):
        raise ValueError("malformed binding")
    if _str(normalized) not in nodes:
        nodes[normalized] = parse_expression(normalized)
    node = nodes[normalized]
    literal = literal_value(node) if node is not None else UNRESOLVED
    return Binding(_int(line), _int(end_line), _str(source), normalized, conditional, index,
                   literal)


def table_from_json(data: Any, path: str) -> ConstantTable:
    """The table ``table_to_json`` described; ``ValueError`` if ``data`` is not such a table."""
    from dssync._extract.resolve import Resolver

    try:
        if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
            raise ValueError("unknown table format")
        constants: dict[str, Constant] = {}
        nodes: dict = {}  # each text parsed once, shared by the literals and the resolver
        for item in data["constants"]:
            name = _str(item["name"])
            bindings = tuple(_binding_from_json(b, nodes) for b in item["bindings"])
            if not bindings:
                raise ValueError(f"{name} has no binding")
            augments = tuple(Augment(_int(a[0]), _str(a[1]), _str(a[2]), _str(a[3]))
                             for a in item["augments"])
            refs = tuple(_str(r) for r in item["references"])
            constants[name] = Constant(name, bindings[-1], refs, bindings, augments)
        sha256 = _str(data.get("sha256", ""))
    except (KeyError, TypeError, IndexError) as exc:
        raise ValueError(f"malformed table: {type(exc).__name__}") from None
    table = ConstantTable(path=path, constants=constants, sha256=sha256)
    table.resolved = Resolver(constants, nodes).resolve_all()
    return table


def load_table(data: bytes, path: str, cache) -> ConstantTable:
    """``extract_table(data, path)``, answered from ``cache`` when this content was seen before.

    A damaged or outdated entry counts as a miss and is replaced. Errors in the content itself
    (not Python, bad encoding) are raised as ``extract_table`` raises them, and not cached.
    """
    import hashlib

    sha256 = hashlib.sha256(data).hexdigest()
    key = cache_key(sha256)
    cached = cache.read_json(NAMESPACE, key) if cache is not None else None
    if cached is not None:
        try:
            table = table_from_json(cached, path)
        except ValueError:
            table = None
        if table is not None and table.sha256 == sha256:
            return table
    from dssync._extract.extract import extract_table  # libcst: only for content not seen before

    table = extract_table(data, path)
    if cache is not None:
        cache.write_json(NAMESPACE, key, table_to_json(table))
    return table
