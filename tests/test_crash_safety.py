"""Crash safety: ``dssync update`` killed with SIGKILL at random points, hundreds of times.

After every kill the vendored file is exactly the old bytes or exactly the new bytes, never a
mix or a truncation, and in configured mode the lock is exactly the old lock or exactly the new
one, never ahead of the files (a lock that names content which is not on disk would make the
next ``status`` lie). A file written just before the kill with its lock entry not yet written
is allowed: the next ``dssync update`` recognises it and records it, which is checked too.

Kill times are of two kinds: uniform over the process's measured lifetime, and aimed at the
writes (the parent watches for dssync's temporary file and kills within a few milliseconds of
its appearance, before or after the rename). Some runs are whole ``dssync`` processes started
from scratch; most are forked from a "zygote" interpreter that has already imported dssync, so
that the half second of imports (during which nothing can be written) is not paid per kill and
the kills land where files are written. Either way the CLI's own ``main`` runs in a process of
its own and dies by SIGKILL. ``DSSYNC_TEST_KILLS`` sets the number of kills (default 200,
shared between the modes; ``DSSYNC_TEST_SEED`` replays a run).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from test_faults import check_cache, child_env, run_dssync, start_dssync

try:
    from gitrepo import make_repo
except ImportError:  # run with the repository root, not tests/, on sys.path
    from tests.gitrepo import make_repo

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="SIGKILL, fork and /proc")

KILLS = int(os.environ.get("DSSYNC_TEST_KILLS", "200"))
WORKERS = max(2, min(4, (os.cpu_count() or 2) + 1))
SEED = int(os.environ.get("DSSYNC_TEST_SEED", str(random.randrange(2**32))))
TMP_SUFFIX = ".dssync-tmp"


def _module(version: int, count: int = 150) -> bytes:
    """A constants module big enough that writing it is not instantaneous."""
    lines = [f'"""Constants, release {version}."""\n', "\n"]
    for i in range(count):
        value = i * version if i % 7 else f'"name_{i}_{version}"'
        lines.append(f"# constant {i}\nCONST_{i} = {value}\n")
    if version > 1:
        lines.append(f"ADDED_IN_{version} = {version}\n")
    return "".join(lines).encode()


OLD = _module(1)
UP = _module(2)
OTHER_OLD = b"A = 1\nB = 'b'\n"
OTHER_UP = b"A = 2\nB = 'b'\nC = 3\n"


ZYGOTE = r"""
import json, os, sys
if sys.path and sys.path[0] in ("", os.getcwd()):
    del sys.path[0]
import dssync.cli, dssync.commands.update, dssync.commands.status, dssync.api, dssync._update
import dssync._rewrite, dssync._rewrite.merge, dssync.atomic, dssync.lock, dssync.config
import dssync._source.git, dssync._extract.extract, dssync._diff.engine, libcst
for line in sys.stdin:
    request = json.loads(line)
    if "wait" in request:
        _, status = os.waitpid(request["wait"], 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
        continue
    pid = os.fork()
    if pid == 0:
        code = 3
        try:
            os.chdir(request["cwd"])
            null = os.open(os.devnull, os.O_RDWR)
            for fd in (0, 1, 2):
                os.dup2(null, fd)
            code = dssync.cli.main(request["args"])
        finally:
            os._exit(code)
    print(pid, flush=True)
"""
"""Forks a child per request that runs ``dssync.cli.main(args)`` in ``cwd``, its output
discarded; ``{"wait": pid}`` reaps a child and answers its exit code."""


class Zygote:
    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=child_env(), text=True)

    def _ask(self, request: dict) -> int:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline()
        assert answer, "the zygote died"
        return int(answer)

    def spawn(self, args: list[str], cwd: Path) -> int:
        return self._ask({"args": args, "cwd": str(cwd)})

    def wait(self, pid: int) -> int:
        return self._ask({"wait": pid})

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class _Forked:
    """The parts of Popen that ``_kill_at`` uses, for a zygote's child."""

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid, self.code = zygote, pid, None

    def poll(self):
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return -1
        # A child that has exited but is not yet reaped still exists as a zombie.
        with open(f"/proc/{self.pid}/stat", "rb") as stat:
            return -1 if stat.read().split(b") ", 1)[1][:1] == b"Z" else None

    def send_signal(self, sig: int) -> None:
        os.kill(self.pid, sig)

    def wait(self, timeout: float | None = None) -> int:
        if self.code is None:
            self.code = self.zygote.wait(self.pid)
        return self.code


def _launcher(mode: str, zygote: Zygote | None, args: list[str], cwd: Path):
    if mode == "fork":
        assert zygote is not None
        return _Forked(zygote, zygote.spawn(args, cwd))
    return start_dssync(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _forked_lifetime(args: list[str], cwd: Path, reset) -> float:
    """How long a forked run takes, once the zygote has finished importing."""
    zygote = Zygote()
    try:
        times = []
        for _ in range(2):
            reset()
            started = time.monotonic()
            assert zygote.wait(zygote.spawn(args, cwd)) == 0
            times.append(time.monotonic() - started)
        return times[-1]
    finally:
        zygote.close()


@dataclass
class Tally:
    old: int = 0
    new: int = 0
    mixed_lock_behind: int = 0
    """Files new on disk, lock not yet written: allowed, and recovered."""
    recovered: int = 0
    temp_left: int = 0
    """Kills that left a temporary file beside the target (garbage, never the target)."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **counts: int) -> None:
        with self.lock:
            for name, n in counts.items():
                setattr(self, name, getattr(self, name) + n)


def _kill_plan(count: int, lifetimes: dict[str, float], rng: random.Random, *,
               writes: int) -> list[tuple[str, str, float, int]]:
    """``(launch mode, kind, delay, n)``: one in six a whole process, the rest forked. Half the
    kills fall uniformly over the lifetime; the others are aimed at one of the ``writes`` files
    written: when the n-th temporary file appears (then at once or within 2 ms: while it is
    written, flushed or renamed), or just after it is gone (between one write and the next)."""
    plan = []
    for i in range(count):
        mode = "exec" if i % 6 == 0 else "fork"
        n = rng.randint(1, writes)
        roll = rng.random()
        if roll < 0.5:
            plan.append((mode, "uniform", rng.uniform(0.0, lifetimes[mode] * 1.1), n))
        elif roll < 0.8:
            plan.append((mode, "at-write", rng.choice([0.0, rng.uniform(0.0, 0.002)]), n))
        else:
            plan.append((mode, "after-write", 0.0, n))
    rng.shuffle(plan)
    return plan


def _temps(*dirs: Path) -> list[Path]:
    return [p for d in dirs for p in d.iterdir() if p.name.endswith(TMP_SUFFIX)]


def _kill_at(proc, kind: str, delay: float, nth: int, watch: list[Path],
             deadline: float) -> None:
    """SIGKILL ``proc`` as ``_kill_plan`` says, watching ``watch`` for dssync's temporary
    files; if the moment never comes (the process ends first), it is simply reaped."""
    if kind == "uniform":
        time.sleep(delay)
    else:
        seen: set[str] = set()
        while proc.poll() is None and time.monotonic() < deadline:
            now = {p.name for p in _temps(*watch)}
            seen |= now
            if len(seen) >= nth and (kind == "at-write" or not now):
                break
            time.sleep(0.0001)
        if delay:
            time.sleep(delay)
    try:
        proc.send_signal(signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=30)


def _lifetime(args: list[str], cwd: Path) -> float:
    run = run_dssync(*args, cwd=cwd)
    assert run.code == 0, run.err
    return run.seconds


# --- two local files ------------------------------------------------------------------------


def _run_workers(worker) -> None:
    with ThreadPoolExecutor(WORKERS) as pool:
        for future in [pool.submit(worker, i) for i in range(WORKERS)]:
            future.result()


def test_sigkill_during_two_file_update_leaves_old_or_new(tmp_path):
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "vendored.py").write_bytes(OLD)
    (probe / "upstream.py").write_bytes(UP)
    args = ["update", "vendored.py", "upstream.py"]
    lifetimes = {"exec": _lifetime(args, probe)}
    new = (probe / "vendored.py").read_bytes()
    assert new not in (OLD, UP) and b"ADDED_IN_2" in new
    lifetimes["fork"] = _forked_lifetime(args, probe,
                                         lambda: (probe / "vendored.py").write_bytes(OLD))
    assert (probe / "vendored.py").read_bytes() == new

    count = KILLS - KILLS // 4
    plan = _kill_plan(count, lifetimes, random.Random(SEED), writes=1)
    tally = Tally()

    def worker(index: int) -> None:
        home = tmp_path / f"w{index}"
        home.mkdir()
        (home / "upstream.py").write_bytes(UP)
        target = home / "vendored.py"
        zygote = Zygote()
        try:
            for mode, kind, delay, nth in plan[index::WORKERS]:
                target.write_bytes(OLD)
                for stale in _temps(home):
                    stale.unlink()
                proc = _launcher(mode, zygote, args, home)
                _kill_at(proc, kind, delay, nth, [home],
                         time.monotonic() + lifetimes[mode] * 3 + 5)
                data = target.read_bytes()
                assert data in (OLD, new), (
                    f"seed {SEED}: {mode}/{kind} kill ({delay:.4f}s) left {len(data)} bytes "
                    "that are neither the old nor the new file")
                leftovers = _temps(home)
                assert all(p.name.startswith(".vendored.py.") for p in leftovers), leftovers
                tally.add(old=data == OLD, new=data == new, temp_left=bool(leftovers))
        finally:
            zygote.close()
        assert (home / "upstream.py").read_bytes() == UP

    _run_workers(worker)
    print(f"lifetimes {lifetimes}, {tally}")
    assert tally.old + tally.new == count
    # Both outcomes must actually occur, or the kills missed the interesting window.
    assert tally.old > 0 and tally.new > 0, (SEED, tally)


# --- configured files with a lock -----------------------------------------------------------


UP_PATH = "pkg/constants.py"
OTHER_PATH = "pkg/other.py"


def _configure(root: Path, upstream: Path) -> None:
    (root / "pyproject.toml").write_text(
        "[tool.dssync]\n"
        f'sources = ["git:{upstream.as_posix()}"]\n'
        'lock = "dssync.lock"\n\n'
        "[[tool.dssync.files]]\n"
        'vendored = "vendor/constants.py"\n'
        f'upstream = "{UP_PATH}"\n\n'
        "[[tool.dssync.files]]\n"
        'vendored = "vendor/other.py"\n'
        f'upstream = "{OTHER_PATH}"\n')


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_sigkill_during_configured_update_never_lets_the_lock_run_ahead(tmp_path):
    upstream = tmp_path / "up"
    make_repo(upstream, [("v1", {UP_PATH: OLD, OTHER_PATH: OTHER_OLD}),
                         ("v2", {UP_PATH: UP, OTHER_PATH: OTHER_UP})])
    template = tmp_path / "template"
    (template / "vendor").mkdir(parents=True)
    _configure(template, upstream)
    run = run_dssync("vendor", "--tag", "v1", "--cache-dir", tmp_path / "cache-t", cwd=template)
    assert run.code == 0, run.err
    old_lock = (template / "dssync.lock").read_bytes()
    olds = {"constants.py": (template / "vendor/constants.py").read_bytes(),
            "other.py": (template / "vendor/other.py").read_bytes()}
    assert olds == {"constants.py": OLD, "other.py": OTHER_OLD}

    def args_for(cache: Path) -> list[str]:
        return ["update", "--tag", "v2", "--cache-dir", str(cache)]

    probe = tmp_path / "probe"
    _copy_project(template, probe)
    lifetimes = {"exec": _lifetime(args_for(tmp_path / "cache-p"), probe)}
    new_lock = (probe / "dssync.lock").read_bytes()
    news = {name: (probe / "vendor" / name).read_bytes() for name in olds}
    entries = {e["vendored"]: e for e in json.loads(new_lock)["files"]}
    assert entries["vendor/constants.py"]["tag"] == "v2"
    assert all(entries[f"vendor/{n}"]["sha256"] == _sha(d) for n, d in news.items())
    lifetimes["fork"] = _forked_lifetime(args_for(tmp_path / "cache-p"), probe,
                                         lambda: _copy_project(template, probe))
    assert (probe / "dssync.lock").read_bytes() == new_lock

    count = KILLS // 4
    plan = _kill_plan(count, lifetimes, random.Random(SEED + 1), writes=3)
    tally = Tally()
    recoveries = max(3, count // 10)

    def worker(index: int) -> None:
        home = tmp_path / f"p{index}"
        cache = tmp_path / f"cache{index}"
        zygote = Zygote()
        try:
            for mode, kind, delay, nth in plan[index::WORKERS]:
                _copy_project(template, home)
                proc = _launcher(mode, zygote, args_for(cache), home)
                _kill_at(proc, kind, delay, nth, [home, home / "vendor"],
                         time.monotonic() + lifetimes[mode] * 3 + 5)
                state = {n: (home / "vendor" / n).read_bytes() for n in olds}
                lock = (home / "dssync.lock").read_bytes()
                where = f"seed {SEED}: {mode}/{kind} kill (write {nth}, {delay:.4f}s)"
                for name, data in state.items():
                    assert data in (olds[name], news[name]), f"{where}: vendor/{name} is torn"
                assert lock in (old_lock, new_lock), f"{where}: the lock is neither old nor new"
                if lock == new_lock:
                    assert state == news, f"{where}: the lock claims files not on disk"
                behind = lock == old_lock and state != olds
                tally.add(old=state == olds and lock == old_lock, new=lock == new_lock,
                          mixed_lock_behind=behind)
                if behind:
                    with tally.lock:
                        recover = tally.recovered < recoveries
                        tally.recovered += recover
                    if recover:
                        # The next update sees files already at v2 and records them.
                        again = run_dssync(*args_for(cache), cwd=home)
                        assert again.code == 0, again.err
                        assert (home / "dssync.lock").read_bytes() == new_lock
                        assert {n: (home / "vendor" / n).read_bytes() for n in olds} == news
        finally:
            zygote.close()
        check_cache(cache, [OLD, UP, OTHER_OLD, OTHER_UP], killed=True)

    _run_workers(worker)
    print(f"lifetimes {lifetimes}, {tally}")
    assert tally.old + tally.new + tally.mixed_lock_behind == count, tally
    assert tally.old > 0 and (tally.new + tally.mixed_lock_behind) > 0, (SEED, tally)


def _copy_project(template: Path, dest: Path) -> None:
    """A fresh copy of the project (files only; kills may have left temporaries behind)."""
    import shutil

    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(template, dest)
