"""Build a module's constant table from its bytes."""

from __future__ import annotations

import ast
import hashlib
from typing import Iterable

from dssync._extract.collect import BindingCollector, RawBinding, sites
from dssync._extract.decode import SourceText, decode_source
from dssync._extract.evaluate import literal_value
from dssync._extract.resolve import Resolver, references
from dssync.errors import DssyncError
from dssync.models import Augment, Binding, Constant, ConstantTable


def parse_trees(source: SourceText, path: str):
    """Both syntax trees of a module, or one clear error naming where it fails to parse."""
    try:
        tree = ast.parse(source.text, filename=path)
    except SyntaxError as exc:
        raise DssyncError(
            f"not valid Python: {exc.msg}",
            path=path,
            line=exc.lineno,
            column=exc.offset,
            hint="fix the syntax error (or check that this is the right file)",
        ) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="dssync refuses inputs Python itself cannot compile") from None
    import libcst as cst

    try:
        module = cst.parse_module(source.text)
    except cst.ParserSyntaxError as exc:
        raise DssyncError(f"libcst cannot parse this file: {exc.message}", path=path,
                          line=exc.raw_line, column=exc.raw_column + 1,
                          hint="simplify the syntax near this point") from None
    except (RecursionError, MemoryError) as exc:
        raise DssyncError(f"cannot parse: {type(exc).__name__}: too deeply nested or too large",
                          path=path, hint="dssync refuses inputs it cannot parse safely") from None
    return module, tree


def build_constants(raw: Iterable[RawBinding]) -> tuple[dict[str, Constant], dict[str, ast.expr]]:
    """Group raw bindings by name: the last one wins; augments after it modify it."""
    bindings: dict[str, list[Binding]] = {}
    augments: dict[str, list[Augment]] = {}
    nodes: dict[str, ast.expr] = {}
    all_nodes: list[tuple[str, ast.expr]] = []
    for rb in raw:
        normalized = ast.unparse(rb.value)
        nodes.setdefault(normalized, rb.value)
        if rb.kind == "bind":
            bindings.setdefault(rb.name, []).append(
                Binding(rb.line, rb.end_line, rb.source, normalized, rb.conditional, rb.index,
                        literal_value(rb.value))
            )
            augments[rb.name] = []
            all_nodes.append((rb.name, rb.value))
        elif rb.name in bindings:
            augments[rb.name].append(Augment(rb.line, rb.op, rb.source, normalized))
    ordered = sorted(bindings, key=lambda n: (bindings[n][-1].line, n))
    constants: dict[str, Constant] = {}
    known = dict.fromkeys(bindings)
    for name in ordered:
        binding = bindings[name][-1]
        scope = name.rpartition(".")[0] or None
        refs = references(nodes[binding.normalized], scope, known)
        refs = tuple(r for r in refs if r != name)
        constants[name] = Constant(name, binding, refs, tuple(bindings[name]), tuple(augments[name]))
    return constants, nodes


def extract_table(data: bytes, path: str) -> ConstantTable:
    source = decode_source(data, path)
    module, tree = parse_trees(source, path)
    collector = BindingCollector(module)
    constants, nodes = build_constants(collector.collect(sites(module, tree, path)))
    table = ConstantTable(path=path, constants=constants, sha256=hashlib.sha256(data).hexdigest())
    table.resolved = Resolver(constants, nodes).resolve_all()
    return table
