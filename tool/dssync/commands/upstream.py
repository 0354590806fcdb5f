"""The sources stage as the update command still reaches it, through ``argparse`` options.

# moved to dssync._source.chain and dssync.api; kept for the update command until it is ported
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dssync._source.chain import SourceChain
    from dssync.api import Project
    from dssync.config import Config


def load_project_config(args: argparse.Namespace) -> Config | None:
    from dssync.commands.options import project_from_args

    return project_from_args(args).config


def project_of(args: argparse.Namespace, config: Config | None) -> Project:
    from dssync.api import Project
    from dssync.commands.options import upstream_options

    return Project(config, upstream_options(args))


def make_chain(args: argparse.Namespace, config: Config | None) -> SourceChain:
    return project_of(args, config).chain()


def resolve_tag(args: argparse.Namespace, chain: SourceChain, config: Config | None) -> str:
    return project_of(args, config).resolve_tag(args.tag, chain, args.command)
