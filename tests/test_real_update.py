"""``update`` on real DeepSpeed releases (issue 14), read from the real package index through
dssync's own package-index source (skipped where the index cannot be reached).

A project vendors five modules of DeepSpeed 0.7.7 (``dssync vendor``, which writes the lock),
then updates them to 0.9.0 and to the latest release. Afterwards ``diff`` finds no drift,
pyflakes finds no undefined name that neither release has, pycodestyle no E30x error the
0.7.7 file did not have, and every attribute docstring is upstream's.
"""

from __future__ import annotations

import json
import textwrap
from itertools import pairwise
from pathlib import Path

import libcst as cst
import pytest
from dssync._source.interface import SourceContext
from dssync._source.package_index import PackageIndexSource
from dssync.cache import Cache
from dssync.cli import main
from dssync.errors import SourceUnavailable
from lint_checks import e30_errors, undefined_names

pytestmark = pytest.mark.network

FILES = ["deepspeed/runtime/constants.py", "deepspeed/constants.py",
         "deepspeed/runtime/zero/config.py", "deepspeed/monitor/config.py",
         "deepspeed/runtime/config_utils.py"]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    """A cache with the releases in it: the index is asked once, the CLI reads the cache."""
    root = tmp_path_factory.mktemp("real-update-cache")
    ctx = SourceContext(cache=Cache(root), max_retry_seconds=20.0, timeout=(10.0, 60.0))
    source = PackageIndexSource("deepspeed", ctx)
    try:
        source.fetch("v0.7.7", FILES)
    except SourceUnavailable as exc:
        pytest.skip(f"the package index cannot be reached: {exc}")
    finally:
        source.close()
    return root


def release(cache_dir: Path, tag: str) -> dict[str, bytes]:
    ctx = SourceContext(cache=Cache(cache_dir), max_retry_seconds=20.0, timeout=(10.0, 60.0))
    source = PackageIndexSource("deepspeed", ctx)
    try:
        return {path: got.content for path, got in source.fetch(tag, FILES).items()}
    finally:
        source.close()


def attribute_docstrings(data: bytes) -> dict[tuple[str, str], str]:
    """(class, field) -> the docstring after it, for ``x: T = v`` followed by a bare string."""
    module = cst.parse_module(data.decode("utf-8"))
    out = {}
    for stmt in module.body:
        if not isinstance(stmt, cst.ClassDef) or not isinstance(stmt.body, cst.IndentedBlock):
            continue
        body = stmt.body.body
        for first, after in pairwise(body):
            if not (isinstance(first, cst.SimpleStatementLine)
                    and isinstance(first.body[0], (cst.AnnAssign, cst.Assign))):
                continue
            small = first.body[0]
            target = small.target if isinstance(small, cst.AnnAssign) else small.targets[0].target
            if isinstance(target, cst.Name) and isinstance(after, cst.SimpleStatementLine) \
                    and isinstance(after.body[0], cst.Expr) \
                    and isinstance(after.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
                out[(stmt.name.value, target.value)] = module.code_for_node(after.body[0].value)
    return out


@pytest.fixture
def project(tmp_path, cache_dir, monkeypatch, capsys):
    root = tmp_path / "proj"
    root.mkdir()
    entries = "".join(f'\n[[tool.dssync.files]]\nvendored = "vendored/{p}"\nupstream = "{p}"\n'
                      for p in FILES)
    (root / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.dssync]
        sources = ["pypi:deepspeed"]
        lock = "dssync.lock"
        """) + entries)
    monkeypatch.chdir(root)
    monkeypatch.setenv("DSSYNC_CACHE_DIR", str(cache_dir))
    code = main(["vendor", "--tag", "v0.7.7"])
    _, err = capsys.readouterr()
    assert code == 0, err
    return root


@pytest.mark.parametrize("tag", ["v0.9.0", "latest"])
def test_vendored_077_updates_cleanly(project, cache_dir, tag, capsys):
    old = {p: (project / "vendored" / p).read_bytes() for p in FILES}
    code = main(["update", "--tag", tag])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert "left" not in out and "conflict" not in out
    code = main(["diff", "--tag", tag])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    tags = {e["tag"] for e in json.loads((project / "dssync.lock").read_text())["files"]}
    assert len(tags) == 1 and (tag == "latest" or tags == {tag})
    new = release(cache_dir, tags.pop())
    for path in FILES:
        written = project / "vendored" / path
        data = written.read_bytes()
        compile(data, path, "exec")
        assert undefined_names(data) <= undefined_names(old[path]) | undefined_names(new[path]), path
        before = project / "before.py"
        before.write_bytes(old[path])
        assert e30_errors(written) <= e30_errors(before), path
        theirs = attribute_docstrings(new[path])
        ours = attribute_docstrings(data)
        assert {k: ours.get(k) for k in theirs} == theirs, path
        assert set(ours) <= set(theirs), path
