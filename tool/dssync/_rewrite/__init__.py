"""Rewrite a vendored constants module in place, constant by constant, with libcst.

``merge(vendored_bytes, upstream_bytes, ...)`` returns a ``MergeResult`` with the new bytes and
the plan that produced them; nothing here touches the file system.
"""

from dssync._rewrite.merge import MODES, MergeResult, merge
from dssync._rewrite.plan import MergePlan, Selection

__all__ = ["MODES", "MergePlan", "MergeResult", "Selection", "merge"]
