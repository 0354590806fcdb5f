"""Where nodes stand in a module's text, from one pass of libcst's code generator.

libcst writes a module back token by token, exactly as it was read: the tokens written before
a node give its line and column, the tokens it writes give its text. ``record`` notes where a
few wanted nodes begin and end in one such pass. (libcst's ``PositionProvider`` works the
same way for every node of the module, about ten times slower.)
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import libcst as cst
from libcst._nodes.internal import CodegenState

_NOTHING = nullcontext()


class _Recorder(CodegenState):
    """libcst's code generator, noting where each wanted node's tokens begin and end.

    ``CodegenState`` is libcst's own (its ``PositionProvider`` extends it the same way); it is
    not exported, but it is the one way to follow the writing of a module node by node."""

    def __init__(self, module: cst.Module, wanted: set[int]) -> None:
        super().__init__(default_indent=module.default_indent,
                         default_newline=module.default_newline)
        self.wanted = wanted
        self.spans: dict[int, list[int]] = {}

    def before_codegen(self, node: cst.CSTNode) -> None:
        if id(node) in self.wanted:
            self.spans[id(node)] = [len(self.tokens), len(self.tokens)]

    def after_codegen(self, node: cst.CSTNode) -> None:
        span = self.spans.get(id(node))
        if span is not None:
            span[1] = len(self.tokens)

    def record_syntactic_position(self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None,
                                  end_node: cst.CSTNode | None = None) -> Any:
        # The base class makes a generator-based context manager per node to do nothing
        # (a third of the pass); one shared do-nothing context serves every node.
        return _NOTHING


class Spans:
    """Where recorded nodes begin and end among the tokens of the module's text."""

    def __init__(self, tokens: list[str], spans: dict[int, list[int]]) -> None:
        self.tokens = tokens
        self.spans = spans
        self._at: dict[int, tuple[int, int]] = {}
        """Token index -> (line, column) where that token starts."""
        line, column, at = 1, 0, 0
        for mark in sorted({i for span in spans.values() for i in span}):
            chunk = "".join(tokens[at:mark])  # the text between two marks, read at C speed
            end = max(chunk.rfind("\n"), chunk.rfind("\r"))
            if end < 0:
                column += len(chunk)
            else:
                line += _line_ends(chunk)
                column = len(chunk) - end - 1
            at = mark
            self._at[mark] = (line, column)

    def line(self, node: cst.CSTNode) -> int:
        return self._at[self.spans[id(node)][0]][0]

    def column(self, node: cst.CSTNode) -> int:
        """0-based, in characters."""
        return self._at[self.spans[id(node)][0]][1]

    def end_line(self, node: cst.CSTNode) -> int:
        return self._at[self.spans[id(node)][1]][0]

    def text(self, node: cst.CSTNode) -> str:
        start, end = self.spans[id(node)]
        return "".join(self.tokens[start:end])


def _line_ends(token: str) -> int:
    return token.count("\n") + token.count("\r") - token.count("\r\n")


def record(module: cst.Module, wanted: set[int]) -> Spans:
    """Write ``module`` out once, noting where each node whose ``id`` is in ``wanted`` begins
    and ends."""
    state = _Recorder(module, wanted)
    module._codegen(state)
    return Spans(state.tokens, state.spans)
