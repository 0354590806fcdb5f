"""Reports to look at: what the browser tests lay out at a desktop's and a phone's width, and
what ``python -m tests.screenshots`` photographs for the documentation when upstream cannot be
reached.

The drift report compares the two DeepSpeed-like modules of tests/fixtures/ds_like (a config
example of several lines whose one line changed, added and removed keys) and adds the golden
fixture's files (markup, pipes and odd paths) and a module with the longest names of the kind
real constants modules have.
"""

from __future__ import annotations

from pathlib import Path

from tests.golden.fixture import fixed_report

from dssync._diff.engine import diff_tables
from dssync._extract.extract import extract_table
from dssync.models import DriftReport, UpstreamWeb

FIXTURES = Path(__file__).parent / "fixtures" / "ds_like"
LONG_NAMES = (
    "ZERO_OPTIMIZATION_STAGE3_PARAM_PERSISTENCE_THRESHOLD_DEFAULT",
    "PIPELINE_PARALLEL_ACTIVATION_CHECKPOINT_INTERVAL",
    "ValidationMode.CHECKPOINT_TAG_VALIDATION_FAIL",
)


def drift_showcase() -> DriftReport:
    old = extract_table((FIXTURES / "old_constants.py").read_bytes(), "old_constants.py")
    new = extract_table((FIXTURES / "new_constants.py").read_bytes(), "new_constants.py")
    main = diff_tables(old, new, vendored="vendored/example_runtime/runtime/config_constants.py",
                       upstream="example_runtime/runtime/config_constants.py")
    main.locked_tag = "v0.7.7"
    long_old = extract_table("".join(f"{n.split('.')[-1]} = {i}\n" for i, n in enumerate(LONG_NAMES[:2])).encode(),
                             "long.py")
    long_new = extract_table(("".join(f"{n} = {i + 1}\n" for i, n in enumerate(LONG_NAMES[:2]))
                              + "class ValidationMode:\n    CHECKPOINT_TAG_VALIDATION_FAIL = 'FAIL'\n").encode(),
                             "long.py")
    long_names = diff_tables(long_old, long_new, vendored="vendored/example_runtime/a/rather/deep/"
                             "package/path/with_long_module_names.py", upstream="long.py")
    others = fixed_report().files
    for f in others:
        f.locked_tag = None
    return DriftReport(files=[main, long_names, *others], tag="v0.9.0",
                       notes=["upstream v0.9.0 read from pypi:example-runtime"],
                       web=UpstreamWeb("https://github.com/example/runtime"))
