"""``dssync update`` as text: the unified diff of a dry run, each file's summary line, and what
was left (with the reason) or kept."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dssync._update import FileUpdate, GoneFile


def _text(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").lstrip("\ufeff").splitlines(keepends=True)


def unified_diff(file: FileUpdate) -> str:
    import difflib

    result = file.result
    label = file.label.replace("\\", "/").lstrip("/")  # an absolute path: a/tmp/x.py, not a//tmp
    lines = difflib.unified_diff(_text(result.original), _text(result.data),
                                 f"a/{label}", f"b/{label}")
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def notes(file: FileUpdate) -> list[str]:
    label = file.label
    plan = file.result.plan
    lines = [f"{label}: left for you to merge: {name} ({why})" for name, why in plan.manual]
    lines += [f"{label}: conflict, ours kept: {name} ({why}; --theirs takes upstream's)"
              for name, why in plan.conflicts]
    lines += [f"{label}: left out: {name} ({why})" for name, why in plan.unresolved]
    if plan.local:
        lines.append(f"{label}: local edits kept: {', '.join(plan.local)}")
    if plan.brought:
        lines.append(f"{label}: brought along so that every name resolves: "
                     f"{'; '.join(plan.brought)}")
    if file.held is not None:
        lines.append(f"{label}: the lock still names {file.held} until what was left is "
                     "settled (edit the file, pin, or rerun with --theirs)")
    if plan.skipped:
        lines.append(f"{label}: left out by --only/--exclude: {', '.join(sorted(plan.skipped))}")
    return lines


def gone_line(gone: GoneFile, *, dry_run: bool = False) -> str:
    """What ``update`` did (or, in a dry run, would do) with a file of a tree that upstream no
    longer has."""
    if gone.pruned:
        deleted = "would be deleted" if dry_run else "deleted"
        return f"{deleted}: {gone.vendored} ({gone.reason}; --prune)"
    kept = "would be kept" if dry_run else "kept"
    return (f"{gone.vendored}: {kept}, though {gone.reason} (delete it, or rerun with --prune; "
            "the lock keeps its entry until then)")


def summary(file: FileUpdate) -> str:
    if file.appeared:
        return f"added: {file.label} (new upstream at {file.tag} under the tree)"
    result = file.result
    plan = result.plan
    if result.mode == "copy":
        what = "upstream's copy"
    elif result.mode == "replace":
        kept = len(plan.changed) + len(plan.added) + len(plan.removed)
        what = f"replaced with upstream, {kept} local constant(s) kept"
    else:
        what = (f"{len(plan.changed)} changed, {len(plan.added)} added, "
                f"{len(plan.removed)} removed")
        if plan.kept:
            what += f", {len(plan.kept)} kept (--keep-removed)"
        if plan.local:
            what += f", {len(plan.local)} local edit(s) kept"
        if plan.left:
            what += f", {len(plan.left)} left"
    verb = "updated" if result.changed else "unchanged"
    return f"{verb}: {file.label} ({what})"
