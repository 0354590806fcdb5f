"""Option help and the README's options table are true for every command (review F15): an
option's help names only options its command has, and each option in the table is on exactly
the commands the table names (or whose own row in the commands table describes it)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from dssync.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"


def _commands() -> dict[str, argparse.ArgumentParser]:
    seen: dict[int, str] = {}
    commands = {}
    for name, parser in build_parser().commands.items():
        if id(parser) not in seen:  # an alias (verify) is the same parser
            seen[id(parser)] = name
            commands[name] = parser
    return commands


COMMANDS = _commands()


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings}


def _table(heading: str) -> list[tuple[str, str]]:
    """The rows (first and second cell) of the README table whose header row is ``heading``."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows.append((cells[0], cells[1]))
    return rows


def _named_options(text: str) -> set[str]:
    return set(re.findall(r"`(--?[a-z][\w-]*)", text)) | {
        o.split("/")[1] for o in re.findall(r"`(-\w/--[\w-]+)", text)}


def _named_commands(text: str) -> set[str]:
    if text.startswith("every command"):
        excluded = set(re.findall(r"\(not `(\w+)`\)", text))
        return set(COMMANDS) - excluded
    return {name for name in re.findall(r"`(\w+)`", text) if name in COMMANDS}


def _described_in_own_row(command: str, option: str) -> bool:
    for usage, _ in _table("| command | what it does |"):
        if usage.startswith(f"`dssync {command}") and f"{option} " in usage.replace("]", " "):
            return True
    return False


@pytest.mark.parametrize("row", _table("| option | commands |"), ids=lambda row: row[0][:30])
def test_each_option_in_the_readme_table_is_on_exactly_the_commands_it_names(row):
    options, where = row
    named = _named_commands(where)
    assert named, where
    for option in _named_options(options):
        having = {name for name, parser in COMMANDS.items() if option in _options(parser)}
        assert named <= having, f"{option}: the README names {sorted(named - having)}"
        extra = {c for c in having - named if not _described_in_own_row(c, option)}
        assert not extra, f"{option} is also on {sorted(extra)}, which the README leaves out"


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_option_help_names_only_options_of_its_own_command(command):
    parser = COMMANDS[command]
    own = _options(parser)
    for action in parser._actions:
        mentioned = set(re.findall(r"(?<![\w-])(--[a-z][\w-]*)", action.help or ""))
        assert mentioned <= own, (f"dssync {command} {'/'.join(action.option_strings)}: the "
                                  f"help names {sorted(mentioned - own)}, which it lacks")


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_output_and_tag_help_say_what_the_command_does(command):
    """``--output PATH`` said "write the report to FILE"; ``vendor --tag`` (and ``update``'s)
    said "upstream tag to compare with"."""
    actions = {s: a for a in COMMANDS[command]._actions for s in a.option_strings}
    if "--output" in actions:
        assert actions["--output"].metavar == "PATH"
        assert "FILE" not in actions["--output"].help and "PATH" in actions["--output"].help
    if "--tag" in actions and command in ("vendor", "update"):
        assert "compare" not in actions["--tag"].help, actions["--tag"].help
