"""``-v`` lines come from several download threads at once: each must reach stderr whole, in one
write, never two messages on one line or a newline on its own (review F11)."""

from __future__ import annotations

import sys
import threading
import time

from dssync._source.chain import _stderr


class SlowStream:
    """A stream that records each ``write`` and yields to other threads in the middle of it."""

    def __init__(self) -> None:
        self.writes: list[str] = []
        self._guard = threading.Lock()

    def write(self, text: str) -> int:
        time.sleep(0.001)  # let another thread write now, if nothing stops it
        with self._guard:
            self.writes.append(text)
        return len(text)

    def flush(self) -> None:
        pass


def test_each_log_line_is_one_write(monkeypatch):
    stream = SlowStream()
    monkeypatch.setattr(sys, "stderr", stream)
    _stderr("pypi:deepspeed: the cache answered that v0.3.7 is deepspeed-0.3.7.tar.gz")
    assert stream.writes == ["pypi:deepspeed: the cache answered that v0.3.7 is "
                             "deepspeed-0.3.7.tar.gz\n"]


def test_lines_logged_from_many_threads_stay_whole(monkeypatch):
    stream = SlowStream()
    monkeypatch.setattr(sys, "stderr", stream)
    start = threading.Barrier(8)

    def worker(n: int) -> None:
        start.wait()
        for i in range(20):
            _stderr(f"worker {n} line {i}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = "".join(stream.writes).split("\n")
    assert lines.pop() == ""
    assert sorted(lines) == sorted(f"worker {n} line {i}" for n in range(8) for i in range(20))
