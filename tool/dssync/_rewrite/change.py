"""Give changed constants upstream's value expression, leaving the rest of each statement
(target, annotation, spacing, trailing comment) as the vendored file has it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import libcst as cst


class ChangeValues(cst.CSTTransformer):
    """Puts new value nodes in place of old ones, found by identity; the statements around them
    keep their text."""

    def __init__(self, values: Mapping[int, cst.CSTNode], skip: frozenset[int] = frozenset()) -> None:
        super().__init__()
        self.values = values
        """``id`` of a node of the module being transformed -> its replacement."""
        self.skip = skip
        """``id`` of statements known to hold none of those nodes: not worth walking into."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        return id(node) not in self.skip

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> Any:
        replacement = self.values.get(id(original_node))
        return updated_node if replacement is None else replacement
