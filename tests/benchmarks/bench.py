"""dssync's performance targets (issue 13), measured as whole processes, side by side.

Run from the repository root with the development venv (see README.md in this directory):

    .venv/bin/python tests/benchmarks/bench.py                  # all groups, updates README.md
    .venv/bin/python tests/benchmarks/bench.py --only startup   # one group (see --help)
    .venv/bin/python tests/benchmarks/bench.py --profile DIR    # also write pyinstrument profiles

Every command runs as a separate process, the way a user runs it. Noise from other work on the
machine is cancelled by measuring each target as a ratio to a floor timed in the same rounds,
interleaved, and by taking medians: ``python -c "import libcst"``, and the floor of any libcst
extractor, ``import libcst`` plus ``libcst.parse_module`` of the two files. CPU time (user +
sys of the child) is shown next to wall time: when the machine is busy, wall time grows and CPU
time barely moves, so a target that passes on CPU time but fails on wall time points at
contention.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(REPO / "tests"), str(REPO)]

import generate  # noqa: E402  (tests/benchmarks/generate.py)

TAG = "v0.9.0"
OLD_TAG = "v0.7.7"
UPSTREAM_PATH = "deepspeed/runtime/constants.py"
HISTORY_PATH = "pkg/constants.py"
GROUPS = ("startup", "history", "impact", "scaling", "update", "griffe", "adopt")
HEAVY = ("libcst", "deepdiff", "requests", "urllib3", "cachecontrol", "rich", "msgpack",
         "filelock", "platformdirs", "packaging", "charset_normalizer", "idna", "certifi")
README_START = "<!-- results:start -->"
README_END = "<!-- results:end -->"

BIN = Path(sys.executable).parent
DSSYNC = str(BIN / "dssync")
FLOOR = [sys.executable, "-c", "import libcst"]
PARSE_FLOOR = [sys.executable, "-c", "import libcst, sys; "
               "[libcst.parse_module(open(f, 'rb').read()) for f in sys.argv[1:]]"]
"""The floor of any libcst extractor: the import, then the parse of each file named after it."""


class BenchError(Exception):
    def __init__(self, message: str, stderr: str = "") -> None:
        super().__init__(message)
        self.stderr = stderr


def bench_env() -> dict[str, str]:
    """The environment of every measured process.

    PYTHONDONTWRITEBYTECODE would make every process compile dssync from source, which no real
    installation does; DSSYNC_CACHE_DIR is dropped because each command names its cache.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("DSSYNC_CACHE_DIR", None)
    return env


ENV = bench_env()


# -- running and timing ----------------------------------------------------------------------

@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    rc: int


def run_once(cmd: Sequence[str], *, ok: Sequence[int] = (0, 1), stdout=None,
             cwd: Path = REPO) -> Run:
    """Run ``cmd`` to completion; wall time, the child's CPU time and peak RSS (os.wait4)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(list(map(str, cmd)), cwd=cwd, env=ENV, stdin=subprocess.DEVNULL,
                                stdout=stdout if stdout is not None else subprocess.DEVNULL,
                                stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        if rc not in ok:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-2000:]
            raise BenchError(f"{' '.join(map(str, cmd))} exited with {rc}:\n{tail}", tail)
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, rc)


def capture(cmd: Sequence[str], *, ok: Sequence[int] = (0, 1), cwd: Path = REPO) -> str:
    proc = subprocess.run(list(map(str, cmd)), cwd=cwd, env=ENV, capture_output=True, check=False)
    if proc.returncode not in ok:
        raise BenchError(f"{' '.join(map(str, cmd))} exited with {proc.returncode}:\n"
                         f"{proc.stderr.decode('utf-8', 'replace')[-2000:]}")
    return proc.stdout.decode("utf-8", "replace")


@dataclass
class Series:
    name: str
    runs: list[Run] = field(default_factory=list)

    @property
    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def rss(self) -> float:
        return max(r.rss_mb for r in self.runs)


@dataclass
class Case:
    name: str
    cmd: Sequence[str]
    before: Callable[[], None] | None = None
    """Runs untimed before each timed run (e.g. dropping the parsed-table cache)."""
    ok: Sequence[int] = (0, 1)
    cwd: Path = REPO


def rounds(count: int, budget: float, minimum: int) -> Iterator[int]:
    """Round numbers; after ``minimum`` rounds, stop before a round would overrun ``budget`` s."""
    start = time.monotonic()
    for i in range(count):
        elapsed = time.monotonic() - start
        if i >= minimum and elapsed + elapsed / i > budget:
            return
        yield i


def interleave(cases: Sequence[Case], count: int, *, budget: float = 1e9,
               minimum: int = 1) -> dict[str, Series]:
    """Each round runs every case once, in order, so slow phases of the machine hit all alike."""
    out = {c.name: Series(c.name) for c in cases}
    for _ in rounds(count, budget, minimum):
        for case in cases:
            if case.before is not None:
                case.before()
            out[case.name].runs.append(run_once(case.cmd, ok=case.ok, cwd=case.cwd))
    return out


# -- results ---------------------------------------------------------------------------------

@dataclass
class Row:
    target: str
    measured: str
    limit: str
    passed: bool
    cpu: str = ""
    """The same measure computed on CPU time, as a check against machine noise."""


@dataclass
class Results:
    rows: list[Row] = field(default_factory=list)
    series: list[Series] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)
        print(f"  note: {text}", flush=True)

    def keep(self, series: dict[str, Series]) -> None:
        self.series.extend(series.values())


def _verdict(ok: bool) -> str:
    return "pass" if ok else "fail"


def ratio_row(results: Results, target: str, num: Series, den: Series, limit: float, *,
              strict: bool = False) -> None:
    wall, cpu = num.wall / den.wall, num.cpu / den.cpu
    ok = (lambda v: v < limit) if strict else (lambda v: v <= limit)
    results.rows.append(Row(target, f"{wall:.2f} ({num.wall:.3f} s / {den.wall:.3f} s)",
                            f"{'<' if strict else '<='} {limit}", ok(wall),
                            f"{cpu:.2f} ({_verdict(ok(cpu))})"))


def info_row(results: Results, target: str, num: Series, den: Series) -> None:
    """A measured comparison with no limit (a side-by-side figure)."""
    results.rows.append(Row(target, f"{num.wall / den.wall:.2f} ({num.wall:.3f} s / {den.wall:.3f} s)",
                            "(none)", True, f"{num.cpu / den.cpu:.2f}"))


def seconds_row(results: Results, target: str, s: Series, limit: float) -> None:
    results.rows.append(Row(target, f"{s.wall:.2f} s", f"< {limit} s", s.wall < limit,
                            f"{s.cpu:.2f} s ({_verdict(s.cpu < limit)})"))


def table(results: Results) -> str:
    lines = ["| Target | Measured (wall, median) | Limit | Result | Same on CPU time |",
             "|---|---|---|---|---|"]
    for r in results.rows:
        lines.append(f"| {r.target} | {r.measured} | {r.limit} | "
                     f"{'pass' if r.passed else '**FAIL**'} | {r.cpu} |")
    lines += ["", "| Process | Runs | Wall (median) | CPU (median) | Peak RSS (max) |",
              "|---|---|---|---|---|"]
    for s in results.series:
        lines.append(f"| {s.name} | {len(s.runs)} | {s.wall:.3f} s | {s.cpu:.3f} s | "
                     f"{s.rss:.0f} MB |")
    return "\n".join(lines)


def machine() -> dict[str, str]:
    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = len(os.sched_getaffinity(0))
    except AttributeError:
        nproc = os.cpu_count() or 0
    from importlib.metadata import version

    return {
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(nproc),
        "cpu": model,
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": f"{platform.system()} {platform.release()}",
        "libcst": version("libcst"),
        "dssync": version("dssync"),
    }


def report(results: Results, info: dict[str, str], load: tuple[str, str]) -> str:
    head = (f"Machine: {info['nproc']} CPUs ({info['cpu']}), {info['python']}, {info['os']}; "
            f"libcst {info['libcst']}, dssync {info['dssync']}.  \n"
            f"Date: {info['date']}. Groups run: {', '.join(results.groups)}. "
            f"Load average (1 min) before/after: {load[0]} / {load[1]}.")
    notes = "\n".join(f"- {n}" for n in results.notes)
    return f"{head}\n\n{table(results)}\n\nNotes from the run:\n\n{notes}\n"


def write_readme(text: str) -> None:
    path = HERE / "README.md"
    block = f"{README_START}\n{text}{README_END}"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if README_START in old and README_END in old:
        new = re.sub(re.escape(README_START) + r".*?" + re.escape(README_END),
                     lambda _: block, old, flags=re.S)
    else:
        new = old.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    path.write_text(new, encoding="utf-8")


# -- shared setup ----------------------------------------------------------------------------

def prepare_bytecode() -> None:
    """Compile dssync once, as an installation would have it (see ``bench_env``)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "tool" / "dssync")],
                   env=ENV, check=True, stdout=subprocess.DEVNULL)


def drop(path: Path) -> Callable[[], None]:
    return lambda: shutil.rmtree(path, ignore_errors=True)


def prime_cache(cache: Path) -> None:
    """Upstream content in ``cache``: copied from the user cache if there, then one normal run.

    The normal run also re-asks the index which archive the tag is once the cached answer is
    older than ten minutes, so the measured runs that follow read nothing from the network.
    """
    from dssync.cache import default_cache_root

    user = default_cache_root()
    for ns in ("archives", "members", "refs"):
        if (user / ns).is_dir() and not (cache / ns).exists():
            shutil.copytree(user / ns, cache / ns)
    run_once([DSSYNC, "diff", "--tag", TAG, "--cache-dir", cache])


def imported(cmd: Sequence[str], before: Callable[[], None] | None = None) -> str:
    """Which heavy packages ``cmd`` imports, with their cumulative import times (-X importtime)."""
    if before is not None:
        before()
    script = Path(cmd[0])
    proc = subprocess.run([sys.executable, "-X", "importtime", str(script), *map(str, cmd[1:])],
                          cwd=REPO, env=ENV, capture_output=True, check=False)
    cumulative: dict[str, int] = {}
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            top = m.group(4).split(".")[0]
            cumulative[top] = max(cumulative.get(top, 0), int(m.group(2)))
    heavy = [f"{p} {cumulative[p] / 1000:.0f} ms" for p in HEAVY if p in cumulative]
    return ", ".join(heavy) if heavy else "none of " + "/".join(HEAVY[:6])


# -- groups ----------------------------------------------------------------------------------

@dataclass
class Options:
    work: Path
    rounds: int
    history_rounds: int
    scaling_lines: int
    scaling_edits: int
    scaling_runs: int
    update_lines: int
    update_runs: int
    griffe_venv: Path | None
    profile: Path | None
    profile_lines: int
    adopt_runs: int = 3


def network_requests(cmd: Sequence[str]) -> list[str]:
    """The upstream requests ``cmd -v`` logs, with the host left out (it names a registry)."""
    proc = subprocess.run([*map(str, cmd), "-v"], cwd=REPO, env=ENV, capture_output=True,
                          check=False)
    lines = proc.stderr.decode("utf-8", "replace").splitlines()
    asked = [ln for ln in lines if re.match(r"(GET|HEAD|POST) ", ln)]
    return [re.sub(r"[a-z][a-z0-9+.-]*://[^/\s]+", "<index>", ln) for ln in asked]


def age_tag_answers(cache: Path, days: float = 2.0) -> Callable[[], None]:
    """Make every cached "which archive is this tag" answer ``days`` old, as a cache left
    since the day before yesterday would hold them. Entries are sealed (issue 15): each is
    unsealed, aged and sealed again, and finding none to age is an error, so the row that
    claims old answers cannot silently time fresh ones."""
    from dssync.cache import seal_line, unseal

    def before() -> None:
        stamp = time.time() - days * 86400
        aged = 0
        for entry in (cache / "refs").rglob("*"):
            if not entry.is_file():
                continue
            payload = unseal(entry.read_bytes(), entry.name)
            try:
                data = json.loads(payload) if payload is not None else None
            except ValueError:
                continue
            if isinstance(data, dict) and "checked_at" in data:
                data["checked_at"] = stamp
                body = json.dumps(data, sort_keys=True).encode("utf-8")
                entry.write_bytes(seal_line(body, entry.name) + body)
                aged += 1
        if not aged:
            raise BenchError(f"no cached tag answer to age under {cache / 'refs'}")
    return before


def group_startup(opts: Options, results: Results) -> None:
    """Targets 1-3: warm ``diff --tag`` vs ``import libcst``; the cold two-file diff and a warm
    ``update --dry-run`` vs the floor of any libcst extractor on the same pair."""
    cache = opts.work / "cache"
    prime_cache(cache)
    old, new = deepspeed_files(opts, cache)
    every = [DSSYNC, "diff", "--tag", TAG, "--cache-dir", cache]
    cold2 = [DSSYNC, "diff", old, new, "--no-cache"]
    update = [DSSYNC, "update", "--tag", TAG, "--dry-run", "--cache-dir", cache]
    cases = [
        Case("python -c 'import libcst' (floor)", FLOOR),
        Case("import libcst + parse_module of both files (extractor floor)",
             [*PARSE_FLOOR, old, new]),
        Case("diff --tag, 6 files, warm", every),
        Case("diff --tag, 6 files, warm, tag answers 2 days old", every, age_tag_answers(cache)),
        Case("diff OLD.py NEW.py --no-cache (cold)", cold2),
        Case("update --tag --dry-run, warm", update),
    ]
    for case in cases:  # warm-up: bytecode of every module these paths import, tables cached
        if case.before:
            case.before()
        run_once(case.cmd)
    s = interleave(cases, opts.rounds)
    floor, parse_floor, warm, aged, cold, upd = (s[c.name] for c in cases)
    ratio_row(results, "1. warm `diff --tag` / import libcst", warm, floor, 0.5)
    ratio_row(results, "1. the same, tag answers 2 days old", aged, floor, 0.5)
    ratio_row(results, "2. cold two-file `diff --no-cache` / extractor floor", cold, parse_floor, 1.3)
    ratio_row(results, "3. warm `update --dry-run` / extractor floor", upd, parse_floor, 1.5)
    results.keep(s)
    age_tag_answers(cache)()
    asked = network_requests(every)
    results.note("warm `diff --tag` with tag answers 2 days old asks upstream: "
                 + ("; ".join(asked) if asked else "nothing"))
    results.note(f"imports, warm `diff --tag`: {imported(every)}")
    results.note(f"imports, warm `update --dry-run`: {imported(update)}")
    results.note(f"two-file pair: DeepSpeed {UPSTREAM_PATH} at {OLD_TAG} and {TAG}")


def deepspeed_files(opts: Options, cache: Path) -> tuple[Path, Path]:
    """The DeepSpeed pair as two files in the work directory."""
    folder = opts.work / "deepspeed"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for tag, content in deepspeed_pair(cache).items():
        path = folder / f"constants_{tag}.py"
        path.write_bytes(content)
        paths.append(path)
    return paths[0], paths[1]


def history_repo(opts: Options) -> Path:
    from gitrepo import make_repo

    repo = opts.work / "history" / "repo"
    if not (repo / ".git").is_dir():
        shutil.rmtree(repo, ignore_errors=True)
        make_repo(repo, generate.release_history(tags=130, lines=450, path=HISTORY_PATH))
    return repo


def group_history(opts: Options, results: Results) -> None:
    """Target 4: ``history`` over 130 tags of a 450-line module in a local git repository,
    default (text) output."""
    repo = history_repo(opts)
    cache = opts.work / "history" / "cache"
    cmd = [DSSYNC, "history", "--source", f"git:{repo}", "--upstream-path", HISTORY_PATH,
           "--cache-dir", cache]
    drop(cache)()
    capture(cmd, ok=(0,))  # warm-up
    out = json.loads(capture([*cmd, "--format", "json"], ok=(0,)))  # a check of what is measured
    tags = len(out.get("tags", []))
    results.note(f"history repository: {tags} tags of a ~450-line module "
                 f"({HISTORY_PATH}), {distinct_blobs()} distinct contents")
    cases = [Case("history, 130 tags, cold", cmd, drop(cache), ok=(0,)),
             Case("history, 130 tags, warm", cmd, ok=(0,))]
    s = interleave(cases, opts.history_rounds, budget=150, minimum=1)
    cold, warm = s[cases[0].name], s[cases[1].name]
    seconds_row(results, "4a. `history` 130 tags, text, cold", cold, 4.0)
    seconds_row(results, "4b. `history` 130 tags, text, warm", warm, 0.5)
    results.keep(s)
    results.note(f"imports, history warm (text output): {imported(cmd)}")


def group_impact(opts: Options, results: Results) -> None:
    """Target 5: ``impact --tag v0.9.0 .`` on this repository, cold (no cached tables or uses;
    upstream's files cached, so no network) and warm."""
    cache = opts.work / "cache"
    prime_cache(cache)
    cmd = [DSSYNC, "impact", "--tag", TAG, ".", "--cache-dir", cache]

    def cold() -> None:
        drop(cache / "tables")()
        drop(cache / "uses")()

    cases = [Case("impact --tag . (this repository), cold", cmd, cold),
             Case("impact --tag . (this repository), warm", cmd)]
    for case in cases:
        if case.before:
            case.before()
        run_once(case.cmd)
    s = interleave(cases, opts.history_rounds, budget=120, minimum=3)
    seconds_row(results, "5a. `impact` on this repository, cold", s[cases[0].name], 2.0)
    seconds_row(results, "5b. `impact` on this repository, warm", s[cases[1].name], 0.5)
    results.keep(s)
    summary = capture(cmd).strip().splitlines()[-1]
    results.note(f"impact on this repository: {summary}")
    results.note(f"imports, impact warm: {imported(cmd)}")


def distinct_blobs() -> int:
    steps = generate.release_history(tags=130, lines=450, path=HISTORY_PATH)
    return len({files[HISTORY_PATH] for _, files in steps})


def module_pair_files(opts: Options, lines: int, edits: int) -> tuple[Path, Path]:
    folder = opts.work / "pairs"
    folder.mkdir(parents=True, exist_ok=True)
    a, b = folder / f"old_{lines}_{edits}.py", folder / f"new_{lines}_{edits}.py"
    if not (a.exists() and b.exists()):
        subprocess.run([sys.executable, HERE / "generate.py", "pair", str(lines),
                        str(edits), a, b], check=True, env=ENV)
    return a, b


def group_scaling(opts: Options, results: Results) -> None:
    """Target 5: a generated module against an edited copy; double the size, time and memory."""
    n = opts.scaling_lines
    cases = []
    for lines in (n, 2 * n):
        a, b = module_pair_files(opts, lines, opts.scaling_edits)
        cases.append(Case(f"diff two files, {lines:,} lines, --no-cache",
                          [DSSYNC, "diff", a, b, "--no-cache"], ok=(1,)))
    try:
        s = interleave(cases, opts.scaling_runs, budget=200, minimum=1)
    except BenchError as exc:
        # e.g. an input size limit: the target is missed, the other groups still run.
        why = (exc.stderr.strip().splitlines() or [str(exc)])[-1]
        results.rows.append(Row(f"6. scaling, {n:,} and {2 * n:,} lines", "dssync refused to run",
                                "runs", False))
        results.note(f"scaling: dssync failed on the generated module: {why}")
        return
    small, big = s[cases[0].name], s[cases[1].name]
    ratio_row(results, f"6a. time {2 * n:,} lines / {n:,} lines", big, small, 2.2)
    for series, lines in ((small, n), (big, 2 * n)):
        results.rows.append(Row(f"6b. peak RSS, {lines:,} lines", f"{series.rss:.0f} MB",
                                "< 400 MB", series.rss < 400))
    results.keep(s)
    results.note(f"scaling inputs: {n:,} and {2 * n:,}-line generated modules, each against a "
                 f"copy with {opts.scaling_edits} edits (changed values, removed and added "
                 "constants)")


def group_update(opts: Options, results: Results) -> None:
    """Ours, not the issue's: ``update`` of a generated module with a quarter of its lines
    edited, and of one twice the size; the time may at most double, as for reading."""
    n = opts.update_lines
    cases = []
    for lines in (n, 2 * n):
        old, new = module_pair_files(opts, lines, lines // 4)
        vendored = old.with_name(f"vendored_{lines}.py")
        cases.append(Case(f"update two files, {lines:,} lines, {lines // 4:,} edits",
                          [DSSYNC, "update", vendored, new, "--no-cache"], ok=(0,),
                          cwd=vendored.parent,  # update writes only inside the project it runs in
                          before=lambda old=old, vendored=vendored: shutil.copyfile(old, vendored)))
    s = interleave(cases, opts.update_runs, budget=150, minimum=1)
    small, big = s[cases[0].name], s[cases[1].name]
    ratio_row(results, f"(ours) `update` time {2 * n:,} lines / {n:,} lines", big, small, 2.2)
    results.keep(s)
    results.note(f"update inputs: {n:,} and {2 * n:,}-line generated modules against copies with "
                 f"{n // 4:,} and {n // 2:,} edits (values changed, constants removed and added); "
                 "the vendored file is restored before each run")


def deepspeed_pair(cache: Path) -> dict[str, bytes]:
    """DeepSpeed's runtime/constants.py at 0.7.7 and 0.9.0, from dssync's package-index source."""
    from dssync._source.interface import SourceContext
    from dssync._source.package_index import PackageIndexSource
    from dssync.cache import Cache
    from dssync.errors import DssyncError

    last: Exception | None = None
    for offline in (True, False):
        source = PackageIndexSource("deepspeed", SourceContext(cache=Cache(cache), offline=offline))
        try:
            return {tag: source.fetch(tag, [UPSTREAM_PATH])[UPSTREAM_PATH].content
                    for tag in (OLD_TAG, TAG)}
        except DssyncError as exc:
            last = exc
        finally:
            source.close()
    raise BenchError(f"cannot read DeepSpeed's {UPSTREAM_PATH}: {last}")


def griffe_python(opts: Options, results: Results) -> Path:
    venv = opts.griffe_venv or opts.work / "griffe-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"  creating griffe's venv in {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True, env=ENV)
        subprocess.run([python, "-m", "pip", "install", "--quiet", "griffe"], check=True, env=ENV)
    return python


def _names(entries) -> list[str]:
    return [e["name"] if isinstance(e, dict) and "name" in e else str(e) for e in entries]


def dssync_found(report: dict) -> str:
    f = report["files"][0]
    parts = []
    for key in ("added", "removed", "changed", "renamed"):
        items = f.get(key) or []
        if items:
            parts.append(f"{key} {len(items)}: {', '.join(_names(items))}")
    total = sum(len(f.get(k) or []) for k in ("added", "removed", "changed", "renamed"))
    return f"{total} differences — " + "; ".join(parts)


def group_griffe(opts: Options, results: Results) -> None:
    """Target 7: the same DeepSpeed pair through griffe's Python API and through dssync: what
    each detects (in the notes) and each one's time, warm and cold."""
    python = griffe_python(opts, results)
    griffe_version = capture([python, "-c", "import importlib.metadata as m; "
                                            "print(m.version('griffe'))"]).strip()
    cache = opts.work / "cache"
    if not (cache / "refs").exists():
        prime_cache(cache)
    pair = deepspeed_pair(cache)
    dirs = {}
    for tag, content in pair.items():
        pkg = opts.work / "griffe" / tag / "dsconst"
        pkg.mkdir(parents=True, exist_ok=True)
        (pkg / "__init__.py").write_bytes(b"")
        (pkg / "constants.py").write_bytes(content)
        dirs[tag] = pkg
    old, new = dirs[OLD_TAG] / "constants.py", dirs[TAG] / "constants.py"
    probe = [python, HERE / "griffe_probe.py", dirs[OLD_TAG], dirs[TAG], "constants"]
    dcache = opts.work / "griffe" / "dssync-cache"
    dss = [DSSYNC, "diff", old, new, "--cache-dir", dcache]

    found = json.loads(capture(probe, ok=(0,)))
    names = ", ".join(f"{b['name']} ({b['kind']})" for b in found["breakages"])
    results.note(f"griffe {griffe_version} (find_breaking_changes) on DeepSpeed {OLD_TAG} -> {TAG} "
                 f"runtime/constants.py: {found['count']} breakages — {names}")
    drop(dcache)()
    report = json.loads(capture([*dss, "--format", "json"]))
    results.note(f"dssync on the same pair: {dssync_found(report)}")

    cases = [Case(f"griffe {griffe_version}: visit x2 + find_breaking_changes", probe, ok=(0,)),
             Case("dssync diff OLD.py NEW.py, cold (empty --cache-dir)", dss, drop(dcache)),
             Case("dssync diff OLD.py NEW.py, warm (same --cache-dir)", dss)]
    s = interleave(cases, opts.rounds)
    g, cold, warm = (s[c.name] for c in cases)
    info_row(results, "7a. dssync warm / griffe", warm, g)
    info_row(results, "7b. dssync cold / griffe", cold, g)
    results.keep(s)
    entries = list((dcache / "tables").rglob("*")) if (dcache / "tables").is_dir() else []
    if not any(p.is_file() for p in entries):
        results.note("GAP: `dssync diff OLD.py NEW.py --cache-dir DIR` writes nothing to DIR/tables: "
                     "the two-file diff ignores the cache, so 'warm' parses both files again")
    results.note(f"imports, two-file diff cold: {imported(dss, drop(dcache))}")
    results.note(f"imports, two-file diff warm: {imported(dss)}")


def group_adopt(opts: Options, results: Results) -> None:
    """Issue 18's example on the real package index: ``dssync init`` adopting pip 23.2.1's
    vendored requests and urllib3 and DeepSpeed 0.7.7's three constants modules (the project
    ``tests/test_real_init.py`` builds), each run with an empty cache; limit one minute."""
    import pytest
    from test_real_init import build_project

    fixtures = opts.work / "adopt-fixtures"
    series = Series("init, adoption example (3 upstreams, 60 files), cold cache")
    for i in range(opts.adopt_runs):
        place = opts.work / f"adopt-{i}"
        shutil.rmtree(place, ignore_errors=True)
        root = place / "app"
        root.mkdir(parents=True)
        try:
            build_project(root, fixtures)
        except pytest.skip.Exception as exc:
            raise BenchError(f"adopt: {exc}") from None
        series.runs.append(run_once([DSSYNC, "init", "src/app/_vendor",
                                     "benchmark/third_party/DeepSpeed", "--cache-dir",
                                     place / "cache"], ok=(0,), cwd=root))
    seconds_row(results, "18. `init` adoption example, cold cache (issue 18)", series, 60.0)
    results.keep({series.name: series})


def profile(opts: Options) -> None:
    """pyinstrument profiles of the runs the targets time, as text, in ``opts.profile``."""
    out = opts.profile
    assert out is not None
    out.mkdir(parents=True, exist_ok=True)
    try:
        capture([sys.executable, "-c", "import pyinstrument"], ok=(0,))
    except BenchError:
        raise BenchError(f"--profile needs pyinstrument: {sys.executable} -m pip install pyinstrument") from None
    cache = opts.work / "cache"
    if not (cache / "refs").exists():
        prime_cache(cache)
    repo = history_repo(opts)
    hcache = opts.work / "history" / "profile-cache"
    drop(hcache)()
    a, b = module_pair_files(opts, opts.profile_lines, opts.scaling_edits)
    old, new = deepspeed_files(opts, cache)
    jobs = [
        ("diff-warm", ["diff", "--tag", TAG, "--cache-dir", cache], None),
        ("diff-two-files-cold", ["diff", old, new, "--no-cache"], None),
        ("update-warm", ["update", "--tag", TAG, "--dry-run", "--cache-dir", cache], None),
        ("history-cold", ["history", "--source", f"git:{repo}", "--upstream-path", HISTORY_PATH,
                          "--cache-dir", hcache], None),
        ("history-warm", ["history", "--source", f"git:{repo}", "--upstream-path", HISTORY_PATH,
                          "--cache-dir", hcache], None),
        ("impact-cold", ["impact", "--tag", TAG, ".", "--cache-dir", cache],
         lambda: (drop(cache / "tables")(), drop(cache / "uses")())),
        (f"scaling-{opts.profile_lines}", ["diff", a, b, "--no-cache"], None),
    ]
    for name, args, before in jobs:
        if before is not None:
            before()
        target = out / f"{name}.txt"
        interval = "0.0002" if "scaling" not in name else "0.001"
        try:
            run_once([sys.executable, "-m", "pyinstrument", "-i", interval, "-r", "text", "-o",
                      target, "-m", "dssync", *args])
        except BenchError as exc:
            print(f"\n== profile {name}: dssync failed ==\n{exc.stderr.strip()}")
            continue
        print(f"\n== profile {name} ({target}) ==")
        print("\n".join(target.read_text().splitlines()[:45]))


# -- main ------------------------------------------------------------------------------------

def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", default=",".join(GROUPS),
                   help=f"comma-separated groups to run (default: all of {','.join(GROUPS)})")
    p.add_argument("--rounds", type=int, default=9,
                   help="interleaved rounds for the startup and griffe groups (default 9, min 7 "
                        "for a published table)")
    p.add_argument("--history-rounds", type=int, default=5,
                   help="cold+warm rounds of history (default 5; fewer if a round is slow)")
    p.add_argument("--scaling-lines", type=int, default=100_000,
                   help="the smaller generated module (default 100000; the other is twice that)")
    p.add_argument("--scaling-edits", type=int, default=300)
    p.add_argument("--scaling-runs", type=int, default=5,
                   help="runs of each size (default 5, as the ratio of two medians moves with "
                        "the load of a shared machine; fewer if a run is slow)")
    p.add_argument("--update-lines", type=int, default=10_000,
                   help="the smaller module for the update group (default 10000, a quarter of "
                        "its lines edited; the other is twice that)")
    p.add_argument("--update-runs", type=int, default=5,
                   help="runs of each update size (default 5; fewer if a run is slow)")
    p.add_argument("--adopt-runs", type=int, default=3,
                   help="cold runs of init on the adoption example (default 3; needs the real "
                        "package index)")
    p.add_argument("--griffe-venv", type=Path,
                   help="griffe's venv; created there if missing (default: a temporary one)")
    p.add_argument("--work", type=Path,
                   help="keep generated inputs and caches here (default: a temporary directory)")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="after measuring, write pyinstrument text profiles to DIR")
    p.add_argument("--profile-lines", type=int, default=100_000,
                   help="size of the module for the scaling profile (default 100000)")
    p.add_argument("--write-readme", action=argparse.BooleanOptionalAction, default=None,
                   help="put the table into README.md (default: only when every group ran)")
    args = p.parse_args(argv)
    args.groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = set(args.groups) - set(GROUPS)
    if unknown:
        p.error(f"unknown group(s) {', '.join(sorted(unknown))}; choose from {', '.join(GROUPS)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not Path(DSSYNC).exists():
        print(f"bench: no dssync next to {sys.executable}; run with the venv dssync is "
              "installed in (.venv/bin/python tests/benchmarks/bench.py)", file=sys.stderr)
        return 2
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="dssync-bench-")
        work = Path(tmp.name)
    else:
        work = args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
    opts = Options(work=work, rounds=args.rounds, history_rounds=args.history_rounds,
                   scaling_lines=args.scaling_lines, scaling_edits=args.scaling_edits,
                   scaling_runs=args.scaling_runs, update_lines=args.update_lines,
                   update_runs=args.update_runs, griffe_venv=args.griffe_venv,
                   profile=args.profile, profile_lines=args.profile_lines,
                   adopt_runs=args.adopt_runs)
    info = machine()
    load_before = f"{os.getloadavg()[0]:.2f}"
    print(f"dssync benchmarks: {info['nproc']} CPUs ({info['cpu']}), {info['python']}; "
          f"work dir {work}", flush=True)
    prepare_bytecode()
    results = Results()
    runners = {"startup": group_startup, "history": group_history, "impact": group_impact,
               "scaling": group_scaling, "update": group_update, "griffe": group_griffe,
               "adopt": group_adopt}
    started = time.monotonic()
    try:
        for name in args.groups:
            t0 = time.monotonic()
            print(f"[{name}]", flush=True)
            runners[name](opts, results)
            results.groups.append(name)
            print(f"  done in {time.monotonic() - t0:.0f} s", flush=True)
        import resource

        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        results.note(f"the benchmark process itself peaked at {own:.0f} MB RSS (a child's peak RSS "
                     "is reported as at least its parent's, so smaller figures cannot show)")
        text = report(results, info, (load_before, f"{os.getloadavg()[0]:.2f}"))
        print("\n" + text)
        print(f"total {time.monotonic() - started:.0f} s")
        write = args.write_readme if args.write_readme is not None else args.groups == list(GROUPS)
        if write:
            write_readme(text)
            print(f"wrote the table into {HERE / 'README.md'}")
        if opts.profile is not None:
            profile(opts)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    finally:
        if tmp is not None:
            tmp.cleanup()
    failed = [r.target for r in results.rows
              if not r.passed and not r.target.startswith("(info)")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
