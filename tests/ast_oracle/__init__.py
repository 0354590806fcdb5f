"""dssync's extractor as it was before libcst became its one parser: the standard library's
``ast``, with each value's text cut from the source by the AST's positions.

Kept only as an oracle for the tests (tests/test_oracle.py): the libcst extractor must give
the same constant tables (names, lines, source text, normalized text, literal and resolved
values, references) on generated modules and on real DeepSpeed releases. Nothing in
tool/dssync imports it.
"""

from ast_oracle.extract import extract_table

__all__ = ["extract_table"]
