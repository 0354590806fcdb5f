"""Dotted module names of constants files, and whether an import names one of them.

A vendored file is imported under names that depend on how the consumer set up its packages:
``vendored.deepspeed.runtime.constants``, ``myproj.vendored.deepspeed.runtime.constants``, or
upstream's own ``deepspeed.runtime.constants``. So a module matches when one dotted name ends
with the other, component by component, and the shorter has at least two components (a bare
``constants`` would match every constants module); equal names always match.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Sequence

MIN_SUFFIX = 2


def dotted_name(path: str) -> str:
    """``a/b/c.py`` -> ``a.b.c``; ``a/b/__init__.py`` -> ``a.b``."""
    p = PurePosixPath(path.replace("\\", "/"))
    parts = list(p.parts)
    if parts and parts[0] in ("/", "."):
        parts = parts[1:]
    if parts and parts[-1].endswith(".py"):
        parts[-1] = parts[-1][: -len(".py")]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _common_suffix(a: list[str], b: list[str]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


@dataclass(frozen=True)
class ModuleTarget:
    """One constants file, under every dotted name it may be imported as."""

    key: str
    """The file's identity in reports (the upstream path)."""
    names: tuple[str, ...]

    def match(self, module: str) -> int:
        """How strongly ``module`` names this file: components in common, 0 for no match."""
        parts = module.split(".")
        best = 0
        for name in self.names:
            mine = name.split(".")
            common = _common_suffix(parts, mine)
            if common == len(parts) == len(mine):
                best = max(best, common + 1000)
            elif common == min(len(parts), len(mine)) and common >= MIN_SUFFIX:
                best = max(best, common)
        return best


def best_target(module: str, targets: Sequence[ModuleTarget]) -> ModuleTarget | None:
    """The file ``module`` names; None when it names none, or two equally well."""
    scored = [(t.match(module), t) for t in targets]
    scored = [(s, t) for s, t in scored if s > 0]
    if not scored:
        return None
    top = max(s for s, _ in scored)
    winners = [t for s, t in scored if s == top]
    return winners[0] if len(winners) == 1 else None


def package_of(path: str) -> str:
    """The dotted package a file's relative imports start from."""
    p = path.replace("\\", "/")
    if p.endswith("/__init__.py") or p == "__init__.py":
        return dotted_name(p)
    return dotted_name(p).rpartition(".")[0]


def resolve_relative(module: str | None, level: int, package: str) -> str | None:
    """The absolute module ``from <level dots><module> import ...`` means in ``package``."""
    if level == 0:
        return module
    parts = package.split(".") if package else []
    if level - 1 > len(parts):
        return None
    base = parts[: len(parts) - (level - 1)]
    full = base + (module.split(".") if module else [])
    return ".".join(full) if full else None
