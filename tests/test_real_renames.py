"""Renames on real DeepSpeed release pairs, read from the real package index through dssync's
own package-index source (skipped where the index cannot be reached).

Every consecutive pair of DeepSpeed's 124 releases on the index (2,577 pairs of differing
modules with constants) was diffed: 17 renames before renames were kept within one scope, 8
of them across classes. Now the 9 renames within one scope remain, two classes renamed as a
whole carry 7 of the others, and the last is no rename at all. A few of each are pinned here,
with the pair from the issue: ``module_inject/replace_policy.py`` 0.6.7 -> 0.7.6, where
``HFGPTNEOLayerPolicy._orig_layer_class`` was "renamed" to ``HFOPTLayerPolicy._orig_layer_class``,
two classes 446 lines apart that both hold ``None``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dssync._source.interface import SourceContext
from dssync._source.package_index import PackageIndexSource
from dssync.cache import Cache
from dssync.cli import main
from dssync.errors import SourceUnavailable

pytestmark = pytest.mark.network

REPLACE_POLICY = "deepspeed/module_inject/replace_policy.py"
ELASTICITY = "deepspeed/elasticity/constants.py"
OP_BASE = "deepspeed/ops/transformer/inference/op_binding/base.py"
ZERO = "deepspeed/runtime/zero/constants.py"
COORDINATOR = "deepspeed/runtime/zero/partitioned_param_coordinator.py"
STAGE3 = "deepspeed/runtime/zero/stage3.py"

WANTED = {
    "v0.5.8": [STAGE3], "v0.5.9": [STAGE3],
    "v0.5.10": [ZERO], "v0.6.0": [ZERO],
    "v0.6.3": [COORDINATOR], "v0.6.4": [COORDINATOR],
    "v0.6.7": [REPLACE_POLICY], "v0.7.6": [REPLACE_POLICY],
    "v0.7.3": [REPLACE_POLICY], "v0.7.4": [REPLACE_POLICY],
    "v0.9.2": [ELASTICITY, OP_BASE], "v0.9.3": [ELASTICITY, OP_BASE],
}


@pytest.fixture(scope="module")
def releases(tmp_path_factory) -> Path:
    """The files above, each written to ``<dir>/<tag>/<path>``."""
    root = tmp_path_factory.mktemp("deepspeed")
    ctx = SourceContext(cache=Cache(root / "cache"), max_retry_seconds=20.0, timeout=(10.0, 60.0))
    source = PackageIndexSource("deepspeed", ctx)
    try:
        for tag, paths in WANTED.items():
            for path, fetched in source.fetch(tag, paths).items():
                assert fetched.origin.archive == f"deepspeed-{tag[1:]}.tar.gz"
                target = root / tag / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(fetched.content)
    except SourceUnavailable as exc:
        pytest.skip(f"the package index cannot be reached: {exc}")
    finally:
        source.close()
    return root


def diff(releases: Path, old: str, new: str, path: str, capsys) -> dict:
    code = main(["diff", str(releases / old / path), str(releases / new / path), "--format", "json",
                 "--no-cache"])
    out, err = capsys.readouterr()
    assert code == 1 and err == "", err
    return json.loads(out)["files"][0]


def renames(found: dict) -> list[tuple[str, str]]:
    return [(r["old_name"], r["new_name"]) for r in found["renamed"]]


def test_two_classes_holding_none_are_not_one_constant_renamed(releases, capsys):
    found = diff(releases, "v0.6.7", "v0.7.6", REPLACE_POLICY, capsys)
    assert renames(found) == [] and found["renamed_classes"] == []
    assert "HFGPTNEOLayerPolicy._orig_layer_class" in {r["name"] for r in found["removed"]}
    assert "HFOPTLayerPolicy._orig_layer_class" in {a["name"] for a in found["added"]}
    # 0.7.4 moved hf_model_config from DSPolicy into a new class: a move, not a rename either.
    found = diff(releases, "v0.7.3", "v0.7.4", REPLACE_POLICY, capsys)
    assert renames(found) == [] and found["renamed_classes"] == []
    assert "DSPolicy.hf_model_config" in {r["name"] for r in found["removed"]}


def test_the_genuine_renames_of_the_sweep_are_still_found(releases, capsys):
    found = diff(releases, "v0.9.2", "v0.9.3", ELASTICITY, capsys)
    assert renames(found) == [("MODEL_PARLLEL_SIZE", "MODEL_PARALLEL_SIZE"),
                              ("MODEL_PARLLEL_SIZE_DEFAULT", "MODEL_PARALLEL_SIZE_DEFAULT")]
    assert [r["old_as_written"] for r in found["renamed"]] == ["'model_parallel_size'", "1"]
    found = diff(releases, "v0.5.10", "v0.6.0", ZERO, capsys)
    assert ("ZERO_OPTIMIZATION_GATHER_FP16_WEIGHTS_ON_MODEL_SAVE_DEFAULT",
            "ZERO_OPTIMIZATION_GATHER_16BIT_WEIGHTS_ON_MODEL_SAVE_DEFAULT") in renames(found)
    # Within one class: judged on the names within it.
    found = diff(releases, "v0.9.2", "v0.9.3", OP_BASE, capsys)
    assert renames(found) == [("BaseOp.inference_cuda_module", "BaseOp.inference_module")]


def test_classes_renamed_as_a_whole(releases, capsys):
    found = diff(releases, "v0.6.3", "v0.6.4", COORDINATOR, capsys)
    assert found["renamed_classes"] == [{
        "old_name": "TraceMode", "new_name": "ZeRoTraceMode", "old_line": 36, "new_line": 37,
        "constants": ["RECORD", "COMPLETE", "INVALID"]}]
    assert renames(found) == []
    assert not any(r["name"].startswith("TraceMode.") for r in found["removed"])
    found = diff(releases, "v0.5.8", "v0.5.9", STAGE3, capsys)
    [renamed] = found["renamed_classes"]
    assert (renamed["old_name"], renamed["new_name"]) == ("FP16_DeepSpeedZeroOptimizer_Stage3",
                                                          "DeepSpeedZeroOptimizer_Stage3")
    assert renamed["constants"] == ["state", "param_groups", "loss_scale", "cur_scale"]
