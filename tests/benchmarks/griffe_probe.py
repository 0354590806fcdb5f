"""griffe's side of the side-by-side benchmark; runs inside griffe's own venv, not dssync's.

    python griffe_probe.py OLD_PKG_DIR NEW_PKG_DIR MODULE

visits ``MODULE``'s file in each package directory with ``griffe.visit`` (static analysis, no
import of the visited code), asks ``griffe.find_breaking_changes`` what differs, and prints
the breakages as JSON. The benchmark times this whole process.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import griffe


def _visit(package_dir: str, module: str):
    path = Path(package_dir, *module.split(".")).with_suffix(".py")
    return griffe.visit(module, filepath=path, code=path.read_text(encoding="utf-8"))


def main(old_dir: str, new_dir: str, module: str) -> int:
    old, new = _visit(old_dir, module), _visit(new_dir, module)
    found = []
    for b in griffe.find_breaking_changes(old, new):
        kind = getattr(b.kind, "value", str(b.kind))
        found.append({"kind": kind, "name": b.obj.path, "old": str(b.old_value),
                      "new": str(b.new_value)})
    json.dump({"griffe": getattr(griffe, "__version__", None), "count": len(found),
               "breakages": found}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
