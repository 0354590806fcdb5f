"""What ``dssync init`` found, as text: per directory, the project and release it matches (with
the distance when it matches none exactly), how it is configured, and what could not be."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dssync._init import InitResult
    from dssync._init.adopt import Adopted


def render_init(result: InitResult) -> str:
    lines: list[str] = []
    for item in result.adopted:
        lines += _adopted(item)
    if result.unmatched:
        lines.append(f"not configured ({len(result.unmatched)}):")
        lines += [f"  {u.directory}: {u.reason}" for u in result.unmatched]
    return "\n".join(lines) + "\n" if lines else ""


def _adopted(item: Adopted) -> list[str]:
    total = len(item.files) + len(item.local_only)
    if item.exact:
        how = "exact match (distance 0)"
    else:
        parts = [f"{item.distance} constant{' differs' if item.distance == 1 else 's differ'}"]
        if item.key[0]:
            parts.append(f"{item.key[0]} file{'s' if item.key[0] != 1 else ''} not upstream")
        how = f"closest match (distance {item.distance}: {', '.join(parts)})"
    lines = [f"{item.candidate.directory}: {item.package} {item.version} from {item.source}, "
             f"{how}"]
    if len(item.tied) > 1:
        lines.append(f"  {item.tied[0]} .. {item.tied[-1]} match equally well; the newest is "
                     "recorded")
    lines.append(f"  {len(item.files)} of {total} files upstream, {item.identical} "
                 "byte-identical")
    if item.hint is not None:
        said = f"hint: {item.hint.version} ({item.hint.where})"
        if not item.hint_release:
            said += ", a version the index does not list"
        lines.append(f"  {said}; {item.fetched} of {item.releases} releases read")
    else:
        lines.append(f"  no version hint; {item.fetched} of {item.releases} releases read")
    if item.upstream_dir is not None:
        lines.append(f"  tree: {item.candidate.directory} -> {item.upstream_dir} "
                     f"({_globs(item)})")
    else:
        for vendored, got in sorted(item.files.items()):
            lines.append(f"  file: {vendored} -> {got.origin.path}")
    for vendored in item.local_only:
        lines.append(f"  not upstream at {item.tag}, left out: {vendored}")
    return lines


def _globs(item: Adopted) -> str:
    left, own = len(item.left_out), len(item.local_only)
    parts = []
    if left:
        parts.append(f"the {left} upstream file{'s' if left != 1 else ''} the copy leaves out")
    if own:
        parts.append(f"the copy's {own} file{'s' if own != 1 else ''} not upstream")
    if not parts:
        return f"include {', '.join(item.include)}"
    if item.exclude:
        return f"include {', '.join(item.include)}; exclude {' and '.join(parts)}"
    kept = len(item.include)
    return f"include the copy's {kept} file{'s' if kept != 1 else ''}, not {' or '.join(parts)}"
