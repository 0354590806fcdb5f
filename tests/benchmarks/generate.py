"""Synthetic constants modules for the benchmarks: deterministic, varied, and evolvable.

A module is a list of *sections*, each a banner comment plus constants of several shapes (string
keys with their defaults, numbers, booleans, None, references to earlier names, arithmetic on
them, lists, dicts, tuples, multi-line containers and strings, annotated names, augmented
assignments and small classes with constant bodies), written the way DeepSpeed's
``runtime/constants.py`` is. ``Evolver`` changes a few constants per release, adds and drops
some, and sometimes changes nothing, so a run of releases shares identical blobs.
"""

from __future__ import annotations

import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_WORDS = (
    "train batch size micro step gradient accumulation clipping optimizer scheduler warmup "
    "decay lr momentum beta epsilon weight fp16 bf16 amp loss scale window hysteresis min "
    "zero stage offload param buffer bucket overlap comm reduce scatter allgather contiguous "
    "pipeline partition activation checkpoint sparse attention block local global random "
    "sliding dense fixed variable bigbird mode layout head quantize bits group round "
    "compression prune ratio dataloader seed curriculum difficulty schedule tensor parallel "
    "elastic max min gpu node autotuning metric latency throughput flops profile trace "
    "monitor tensorboard wandb csv path name job enabled type params verbose interval"
).split()


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _name(rng: random.Random, taken: set[str], parts: int = 3) -> str:
    while True:
        name = "_".join(rng.choice(_WORDS) for _ in range(parts)).upper()
        if name not in taken and not name[0].isdigit():
            taken.add(name)
            return name


@dataclass
class Item:
    """One top-level statement (possibly several lines) owning the name it binds."""

    name: str
    lines: list[str]


@dataclass
class Section:
    title: str
    items: list[Item] = field(default_factory=list)

    def render(self) -> list[str]:
        out = ["#" * 45, f"# {self.title}", "#" * 45]
        for item in self.items:
            out.extend(item.lines)
        out.append("")
        return out


class Builder:
    """Makes items of every shape; names are unique within one builder."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.taken: set[str] = set()
        self.recent: list[str] = []
        self.classes = 0

    def _value(self) -> str:
        r = self.rng.random()
        if r < 0.25:
            return repr("_".join(self.rng.choice(_WORDS) for _ in range(2)))
        if r < 0.45:
            return str(self.rng.randint(0, 1 << self.rng.randint(1, 24)))
        if r < 0.55:
            return repr(round(self.rng.uniform(0, 10), self.rng.randint(1, 6)))
        if r < 0.65:
            return self.rng.choice(("True", "False", "None"))
        if r < 0.75 and self.recent:
            return self.rng.choice(self.recent)
        if r < 0.82 and len(self.recent) > 1:
            a, b = self.rng.sample(self.recent[-20:], 2)
            return f"{a} + {b}" if self.rng.random() < 0.5 else f"({a}, {b})"
        if r < 0.9:
            return "[" + ", ".join(str(self.rng.randint(0, 64)) for _ in range(self.rng.randint(0, 5))) + "]"
        return ("{" + ", ".join(f"{self.rng.choice(_WORDS)!r}: {self.rng.randint(0, 9)}"
                                for _ in range(self.rng.randint(1, 4))) + "}")

    def item(self) -> Item:
        r = self.rng.random()
        name = _name(self.rng, self.taken)
        if r < 0.55:
            key = name.lower()
            default = f"{name}_DEFAULT"
            self.taken.add(default)
            lines = [f"{name} = {key!r}", f"{default} = {self._value()}"]
            self.recent.append(default)
        elif r < 0.70:
            lines = [f"{name} = {self._value()}"]
        elif r < 0.76:
            lines = [f"# {' '.join(self.rng.choice(_WORDS) for _ in range(8))}",
                     f"{name}: int = {self.rng.randint(0, 4096)}  # {self.rng.choice(_WORDS)}"]
        elif r < 0.84:
            entries = [f"    {self.rng.choice(_WORDS)!r}: {self._value()}," for _ in range(self.rng.randint(2, 6))]
            lines = [f"{name} = {{", *entries, "}"]
        elif r < 0.89:
            body = [f'  "{w}": {self.rng.randint(0, 99)},' for w in self.rng.sample(_WORDS, 4)]
            lines = [f'{name} = """', "{", *body, "}", '"""']
        elif r < 0.93:
            lines = [f"{name} = [", *(f"    {self.rng.choice(_WORDS)!r}," for _ in range(4)), "]",
                     f"{name} += [{self.rng.choice(_WORDS)!r}]"]
        else:
            self.classes += 1
            cls = f"Kind{self.classes}"
            self.taken.add(cls)
            local: set[str] = set()  # class attributes are scoped by the class name
            body = [f"    {_name(self.rng, local, 2)} = {self._value()}" for _ in range(self.rng.randint(2, 5))]
            lines = [f"class {cls}:", f'    """{self.rng.choice(_WORDS)} settings."""', *body]
            name = cls
        self.recent.append(name)
        del self.recent[:-200]
        return Item(name, lines)

    def section(self, lines_wanted: int) -> Section:
        sec = Section(" ".join(self.rng.choice(_WORDS) for _ in range(2)).capitalize())
        size = 4
        while size < lines_wanted:
            item = self.item()
            sec.items.append(item)
            size += len(item.lines)
        return sec


HEADER = ['"""', "Copyright (c) Synthetic Benchmarks", "Licensed under the MIT license.", '"""', ""]


def render(sections: list[Section]) -> str:
    lines = list(HEADER)
    for sec in sections:
        lines.extend(sec.render())
    return "\n".join(lines) + "\n"


def module_sections(builder: Builder, lines: int, section_lines: int = 40) -> list[Section]:
    out: list[Section] = []
    total = len(HEADER)
    while total < lines:
        sec = builder.section(min(section_lines, lines - total))
        out.append(sec)
        total += len(sec.render())
    return out


def module(lines: int, seed: int = 1) -> str:
    """A constants module of about ``lines`` lines."""
    return render(module_sections(Builder(seed), lines))


def edited(text_sections: list[Section], builder: Builder, edits: int) -> str:
    """``text_sections`` with ``edits`` changes: values changed, items removed or added."""
    rng = builder.rng
    sections = [Section(s.title, list(s.items)) for s in text_sections]
    doomed: list[Item] = []
    for _ in range(edits):
        sec = rng.choice(sections)
        if not sec.items:
            continue
        i = rng.randrange(len(sec.items))
        r = rng.random()
        if r < 0.6:
            old = sec.items[i]
            head, sep, _ = old.lines[-1].partition(" = ")
            if sep and not old.lines[-1].startswith(" ") and "+=" not in old.lines[-1]:
                sec.items[i] = Item(old.name, [*old.lines[:-1], f"{head} = {rng.randint(0, 10**6)}"])
        elif r < 0.8:
            doomed.append(sec.items[i])
        else:
            sec.items.insert(i, builder.item())
    # A name another statement still reads is kept: upstream does not unbind a name its own
    # module uses, and update rightly refuses to make the copy do so.
    uses = Counter(_IDENTIFIER.findall("\n".join(line for s in sections for item in s.items
                                                  for line in item.lines)))
    gone = {id(item) for item in doomed if not _used_elsewhere(item, uses)}
    for sec in sections:
        sec.items = [item for item in sec.items if id(item) not in gone]
    return render(sections)


def _used_elsewhere(item: Item, uses: Counter[str]) -> bool:
    """Whether a name ``item`` binds (``NAME = ...`` or ``class NAME`` at column 0) appears in
    another statement."""
    own = Counter(_IDENTIFIER.findall("\n".join(item.lines)))
    bound = {m.group(1) for line in item.lines
             for m in [re.match(r"(?:class )?([A-Za-z_][A-Za-z0-9_]*)\b", line)] if m}
    return any(uses[name] > own[name] for name in bound)


def module_pair(lines: int, edits: int, seed: int = 1) -> tuple[str, str]:
    """A module of about ``lines`` lines and a copy with ``edits`` edits."""
    builder = Builder(seed)
    sections = module_sections(builder, lines)
    return render(sections), edited(sections, builder, edits)


class Evolver:
    """Releases of one module: each changes, adds and removes a few constants (or nothing)."""

    def __init__(self, lines: int = 450, seed: int = 7) -> None:
        self.builder = Builder(seed)
        self.sections = module_sections(self.builder, lines, section_lines=30)

    def release(self, changes: int = 3) -> str:
        rng = self.builder.rng
        if rng.random() < 0.2:
            return render(self.sections)  # an unchanged release: same blob as the last one
        for _ in range(changes):
            sec = rng.choice(self.sections)
            if not sec.items:
                continue
            i = rng.randrange(len(sec.items))
            r = rng.random()
            item = sec.items[i]
            last = item.lines[-1]
            if r < 0.7:
                if " = " in last and not last.startswith((" ", "}", "]")):
                    head = last.partition(" = ")[0]
                    sec.items[i] = Item(item.name, [*item.lines[:-1], f"{head} = {rng.randint(0, 999)}"])
            elif r < 0.85:
                sec.items.insert(i, self.builder.item())
            elif len(sec.items) > 2:
                del sec.items[i]
        return render(self.sections)


def release_history(tags: int = 130, lines: int = 450, path: str = "pkg/constants.py"):
    """``make_repo`` steps: ``tags`` releases v0.1.0, v0.1.1, ... of one evolving module."""
    evolver = Evolver(lines)
    steps = []
    for i in range(tags):
        tag = f"v0.{1 + i // 10}.{i % 10}"
        steps.append((tag, {path: evolver.release().encode("utf-8")}))
    return steps


def main(argv: list[str]) -> int:
    """``pair LINES EDITS OLD NEW`` writes a module pair; ``LINES`` alone prints a module.

    The benchmark generates its large inputs in a separate process: building them would grow
    its own memory, and a child started from a large process inherits its peak RSS figure.
    """
    if argv[:1] == ["pair"] and len(argv) == 5:
        old, new = module_pair(int(argv[1]), int(argv[2]))
        Path(argv[3]).write_text(old, encoding="utf-8")
        Path(argv[4]).write_text(new, encoding="utf-8")
        return 0
    sys.stdout.write(module(int(argv[0]) if argv else 120))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
