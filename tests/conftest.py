"""Test-session settings shared by every test module."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="session")
def _private_cache_dir(tmp_path_factory):
    """dssync's default cache is the user's; tests (and the dssync processes they start) use
    one of their own, so they neither depend on nor disturb what a developer has cached."""
    previous = os.environ.get("DSSYNC_CACHE_DIR")
    os.environ["DSSYNC_CACHE_DIR"] = str(tmp_path_factory.mktemp("dssync-cache"))
    yield
    if previous is None:
        os.environ.pop("DSSYNC_CACHE_DIR", None)
    else:
        os.environ["DSSYNC_CACHE_DIR"] = previous
