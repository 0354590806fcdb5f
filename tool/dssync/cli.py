"""The ``dssync`` command line: parse arguments, run one command, map failures to exit codes.

Exit status follows diff(1): 0 no drift, 1 drift found, 2 trouble.
"""

from __future__ import annotations

import argparse
import os
import sys
from types import ModuleType
from typing import NoReturn, Sequence

from dssync import __version__
from dssync.errors import DssyncError

EXIT_TROUBLE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr like every other error."""

    commands: dict[str, argparse.ArgumentParser]
    """The top-level parser's: each command's own parser, by name."""

    def error(self, message: str) -> None:  # type: ignore[override]
        # One hint: an option's own check may give one ("; give ..."), else the help.
        hint = "" if "; " in message else f"; see '{self.prog} --help'"
        self.exit(EXIT_TROUBLE, f"{self.prog}: error: {message}{hint}\n")


COMMANDS = ("init", "diff", "tags", "vendor", "history", "identify", "impact", "update",
            "status")
"""Each names a module in dssync.commands with ``add_parser(subparsers)`` and ``run(args)``."""


def _command_module(name: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"dssync.commands.{name}")


def build_parser() -> _Parser:
    """The full parser, every command's options included. (Building only the named command's
    parser saved 6 % of a warm ``diff --tag``, under the 15 % a shortcut must earn; see
    tests/benchmarks/README.md.)"""
    parser = _Parser(prog="dssync", description="Audit and sync vendored copies of upstream Python "
                                                 "constants modules. Exit status: 0 no drift, 1 drift, 2 trouble.")
    parser.add_argument("--version", action="version", version=f"dssync {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                                prog=parser.prog)
    for name in COMMANDS:
        _command_module(name).add_parser(sub)
    parser.commands = dict(sub.choices)
    return parser


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """``argv`` parsed; an unknown option is blamed on the command it follows (argparse's own
    ``parse_args`` names ``dssync`` and its help, which does not list the command's options)."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        owner: argparse.ArgumentParser = parser
        command = args.command
        if command is not None and command in argv:
            before = argv[:list(argv).index(command)]
            if not any(arg in before for arg in extra):  # else given before the command
                owner = parser.commands[command]
        owner.error(f"unrecognized arguments: {' '.join(extra)}")
    return args


def _run(args: argparse.Namespace) -> int:
    if args.command is None:
        build_parser().print_help(sys.stderr)
        return EXIT_TROUBLE
    if getattr(args, "quiet", False):
        import contextlib

        with open(os.devnull, "w", encoding="utf-8") as devnull, contextlib.redirect_stdout(devnull):
            code = _command_module(args.command).run(args)
    else:
        code = _command_module(args.command).run(args)
    # --exit-zero: a finding (1) is not a failure; trouble (2) still is.
    return 0 if code == 1 and getattr(args, "exit_zero", False) else code


def run(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``dssync`` command: ``main``, then exit with its status.

    (Leaving through ``os._exit`` to skip the interpreter's teardown saved 12-14 % of a warm
    ``diff --tag`` and nothing of a cold one, under the 15 % a shortcut must earn; see
    tests/benchmarks/README.md.) ``main`` stays the entry point for callers that go on running.
    """
    code = main(argv)
    try:
        sys.stdout.flush()
    except OSError:  # the reader left before the last of the output: as in main
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_TROUBLE
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    args = parse_args(argv)
    try:
        return _run(args)
    except DssyncError as exc:
        print(f"dssync: {exc}", file=sys.stderr)
        return EXIT_TROUBLE
    except KeyboardInterrupt:
        print("dssync: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_TROUBLE
    except Exception as exc:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("DSSYNC_DEBUG"):
            raise
        print(f"dssync: internal error: {type(exc).__name__}: {exc}; rerun with DSSYNC_DEBUG=1 "
              "for a traceback and please report it", file=sys.stderr)
        return EXIT_TROUBLE
