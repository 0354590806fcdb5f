"""# moved to dssync.targets; kept for the update command until it is ported"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from dssync.targets import Target, shown_path  # noqa: F401

if TYPE_CHECKING:
    from dssync.config import Config


def select_targets(args: argparse.Namespace, config: Config | None) -> list[Target]:
    from dssync.targets import select_targets as select

    return select(config, list(args.files), args.upstream_path)
