"""Read the same files at many tags, as fast as each kind of source allows.

- git answers every (tag, path) through one ``cat-file`` process (``fetch_many``);
- GitHub is asked one request at a time: its rules for API clients forbid concurrent requests
  (secondary rate limits), and breaking them gets the client blocked for a while;
- other sources (the package index) are asked through a small thread pool, after one first
  request on its own so the shared project listing and HTTP session exist before the threads do.

A file missing at a tag is not an error: it is reported as ``None``, once the same path in the
other layout (``pkg/...`` <-> ``src/pkg/...``, see ``dssync._source.layout``) has been looked for
too. A file found there is reported under the path asked for, its origin naming where it was.
"""

from __future__ import annotations

from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from typing import Callable, Sequence

from dssync._source.interface import Fetched, UpstreamSource
from dssync._source.layout import layout_candidates
from dssync.errors import NotFound

DEFAULT_WORKERS = 8

Pair = tuple[str, str]


def _fetch_tag(source: UpstreamSource, tag: str, paths: Sequence[str]) -> dict[str, Fetched | None]:
    result = _fetch_present(source, tag, paths)
    moved = {path: layout_candidates(path)[1] for path in paths if result[path] is None}
    if moved:
        again = _fetch_present(source, tag, list(moved.values()))
        result.update((path, again[other]) for path, other in moved.items())
    return result


def _fetch_present(source: UpstreamSource, tag: str,
                   paths: Sequence[str]) -> dict[str, Fetched | None]:
    try:
        got = source.fetch(tag, paths)
        return {p: got.get(p) for p in paths}
    except NotFound:
        if len(paths) == 1:
            return {paths[0]: None}
    # One of several paths is missing: ask for each alone to learn which.
    result: dict[str, Fetched | None] = {}
    for path in paths:
        try:
            result[path] = source.fetch(tag, [path])[path]
        except NotFound:
            result[path] = None
    return result


def fetch_across(source: UpstreamSource, tags: Sequence[str], paths: Sequence[str], *,
                 workers: int = DEFAULT_WORKERS,
                 on_tag: Callable[[], None] = lambda: None) -> dict[Pair, Fetched | None]:
    """Every ``(tag, path)``'s content, or None where the path does not exist at that tag."""
    tags, paths = list(dict.fromkeys(tags)), list(dict.fromkeys(paths))
    result: dict[Pair, Fetched | None] = {}
    fetch_many = getattr(source, "fetch_many", None)
    if fetch_many is not None:
        got = fetch_many([(t, p) for t in tags for p in paths], missing_ok=True)
        moved = {(t, p): (t, layout_candidates(p)[1]) for t in tags for p in paths
                 if (t, p) not in got}
        if moved:
            again = fetch_many(list(moved.values()), missing_ok=True)
            got.update((pair, again[other]) for pair, other in moved.items() if other in again)
        for tag in tags:
            for path in paths:
                result[(tag, path)] = got.get((tag, path))
            on_tag()
        return result

    def store(tag: str, got: dict[str, Fetched | None]) -> None:
        for path in paths:
            result[(tag, path)] = got.get(path)
        on_tag()

    serial = getattr(source, "kind", "") == "github" or workers <= 1 or len(tags) <= 1
    if serial:
        for tag in tags:
            store(tag, _fetch_tag(source, tag, paths))
        return result
    first, rest = tags[0], tags[1:]
    store(first, _fetch_tag(source, first, paths))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dssync-fetch")
    try:
        futures = {pool.submit(_fetch_tag, source, tag, paths): tag for tag in rest}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for future in done:
                store(futures[future], future.result())  # re-raises a worker's error here
    finally:
        # On an error (or Ctrl-C) queued fetches are dropped rather than run to no purpose.
        pool.shutdown(wait=True, cancel_futures=True)
    return result
