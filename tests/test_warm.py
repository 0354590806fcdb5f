"""Warm runs never parse: a second run of any command reads what the first one cached.

libcst is dssync's one parser, and importing it alone takes longer than a whole warm run; so
each command is run twice, as a user runs it (a child process), and the second run must not
import libcst at all (``python -X importtime`` lists every module a process imports).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.gitrepo import make_repo

V1 = b'''"""Constants."""

# Steps
STEPS = "steps"
STEPS_DEFAULT = 10

# FP16 initial dynamic scale loss power
FP16_POWER_DEFAULT = 32
OLD = "old"
# Iterates in an order of the process's hash seed: each run below has its own.
MODES = {"train", "eval", "infer", "export", "serve", "tune", "debug", "trace", "bench", "test"}
'''
V2 = V1.replace(b"= 32", b"= 0x10").replace(b'OLD = "old"\n', b'NEW = "new"\n')
CONSUMER = b"from pkg.constants import FP16_POWER_DEFAULT, OLD\n\nprint(FP16_POWER_DEFAULT, OLD)\n"


def run(project: Path, cache: Path, *args: str, hash_seed: int | None = None
        ) -> tuple[int, str, set[str]]:
    """Exit code, stdout and the top-level packages the run imported."""
    env = {**os.environ, "DSSYNC_CACHE_DIR": str(cache)}
    if hash_seed is not None:
        env["PYTHONHASHSEED"] = str(hash_seed)
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "dssync", *args],
                          cwd=project, env=env, capture_output=True, timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    imported = set()
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            imported.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    messages = [ln for ln in err.splitlines() if not ln.startswith("import time:")]
    assert proc.returncode in (0, 1), messages
    return proc.returncode, proc.stdout.decode("utf-8", "replace"), imported


@pytest.fixture
def project(tmp_path):
    repo = make_repo(tmp_path / "up", [("v1.0.0", {"pkg/constants.py": V1}),
                                       ("v2.0.0", {"pkg/constants.py": V2})])
    root = tmp_path / "project"
    (root / "app").mkdir(parents=True)
    (root / "app" / "use.py").write_bytes(CONSUMER)
    (root / "dssync.toml").write_text(
        f'sources = ["git:{repo.path}"]\nlock = "vendored/dssync.lock"\n'
        '[[files]]\nvendored = "vendored/pkg/constants.py"\nupstream = "pkg/constants.py"\n')
    code, _, _ = run(root, tmp_path / "cache", "vendor", "--tag", "v1.0.0")
    assert code == 0
    return root


@pytest.mark.parametrize("args", [
    ("diff", "--tag", "v2.0.0"),
    ("update", "--tag", "v1.0.0", "--dry-run"),  # nothing to apply
    ("history",),
    ("identify",),
    ("impact", "--tag", "v2.0.0", "app"),
], ids=["diff", "update", "history", "identify", "impact"])
def test_the_second_run_of_a_command_does_not_import_libcst(project, tmp_path, args):
    cache = tmp_path / "cache"
    first = run(project, cache, *args)
    second = run(project, cache, *args)
    assert first[:2] == second[:2]
    assert "libcst" not in second[2]


def test_status_of_an_edited_file_reads_tables_from_the_cache(project, tmp_path):
    vendored = project / "vendored" / "pkg" / "constants.py"
    vendored.write_bytes(V1.replace(b"= 10", b"= 20"))
    cache = tmp_path / "cache"
    first = run(project, cache, "status")
    second = run(project, cache, "status")
    assert first[:2] == second[:2] and "STEPS_DEFAULT" in second[1]
    assert "libcst" not in second[2]


def test_a_two_file_diff_with_a_cache_parses_each_content_once(tmp_path):
    (tmp_path / "a.py").write_bytes(V1)
    (tmp_path / "b.py").write_bytes(V2)
    cache = tmp_path / "cache"
    first = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache))
    second = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache))
    assert first[:2] == second[:2] and first[0] == 1
    assert "libcst" in first[2] and "libcst" not in second[2]
    assert "# FP16 initial dynamic scale loss power" in second[1]
    # The value as written comes from the cached table: no parser needed for it either.
    assert "FP16_POWER_DEFAULT: 32 -> 0x10" in second[1]


def test_a_class_renamed_as_a_whole_is_judged_from_the_cache_on_a_warm_run(tmp_path):
    # The class statements a rename compares are not in the tables: their shapes are cached
    # by the module's hash, so the second run parses neither side to say the same.
    old = b"class Mode:\n    A = 1\n\n    def run(self):\n        return Mode.A\n"
    (tmp_path / "a.py").write_bytes(old)
    (tmp_path / "b.py").write_bytes(old.replace(b"Mode", b"TraceMode"))
    cache = tmp_path / "cache"
    first = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache))
    second = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache))
    assert first[:2] == second[:2] and "class Mode renamed to TraceMode" in second[1]
    assert "libcst" not in second[2]
    # A class whose body differs is still told apart when its answer comes from the cache.
    (tmp_path / "b.py").write_bytes(old.replace(b"Mode", b"TraceMode").replace(b"A\n", b"A + 1\n"))
    for _ in range(2):
        assert "renamed to" not in run(tmp_path, cache, "diff", "a.py", "b.py",
                                       "--cache-dir", str(cache))[1]


def test_sets_of_strings_are_read_from_the_cache_by_a_process_with_another_hash_seed(tmp_path):
    # A set of strings iterates in an order that depends on the process's hash seed: the
    # cache must not store that order, or every later process would evaluate the table again.
    old = (b'MODES = {"train", "eval", "infer", "export", "serve", "tune"}\n'
           b'KINDS = frozenset({"a", "b", "c"})\n'
           b'BY_MODE = {"train": {"fp16", "bf16", "fp32"}, "eval": {"fp32"}}\n'
           b'TAGS = ({"x", "y"}, {"y", "z"})\n')
    (tmp_path / "a.py").write_bytes(old)
    (tmp_path / "b.py").write_bytes(old.replace(b'"tune"}', b'"tune", "debug"}'))
    cache = tmp_path / "cache"
    first = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache), hash_seed=1)
    for seed in (2, 3):
        again = run(tmp_path, cache, "diff", "a.py", "b.py", "--cache-dir", str(cache),
                    hash_seed=seed)
        assert again[:2] == first[:2] and first[0] == 1 and "MODES" in first[1]
        assert "libcst" not in again[2]
