"""Docs stay true: every command has help with an example, and the README lists the make targets."""

from __future__ import annotations

import re
import subprocess

import pytest
import typer
from typer.testing import CliRunner

from nerbench.cli import app


def all_commands():
    root = typer.main.get_command(app)
    stack = [((), root)]
    while stack:
        path, command = stack.pop()
        if getattr(command, "commands", None):  # a group (typer vendors its own click)
            stack += [((*path, name), sub) for name, sub in command.commands.items()]
        else:
            yield path


COMMANDS = sorted(all_commands())


def test_there_are_commands():
    assert ("evaluate",) in COMMANDS and ("gold", "check") in COMMANDS


@pytest.mark.parametrize("path", COMMANDS, ids=[" ".join(p) for p in COMMANDS])
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(app, [*path, "--help"], terminal_width=200)
    assert result.exit_code == 0
    assert "Example: nerbench " + " ".join(path) in result.stdout


def test_readme_command_table_matches_make_help(root):
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=root, capture_output=True, text=True, check=True).stdout
    from_make = dict(re.findall(r"^\s+make (\S+)\s+(.+)$", out, flags=re.M))
    readme = (root / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Commands", 1)[1]
    from_readme = dict(re.findall(r"^\| `make (\S+)` \| (.+?) \|$", table, flags=re.M))
    assert from_readme == from_make
