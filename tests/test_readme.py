"""The README's quick start and CI agree."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _quick_start_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the quick start has exactly one code block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_has_two_commands() -> None:
    """One command runs the demo, one runs the tests."""
    commands = _quick_start_commands()
    assert len(commands) == 2
    assert "demo" in commands[0]
    assert "pytest" in commands[1]


@pytest.mark.skipif(
    not (ROOT / ".ci" / "run").exists(), reason="a checkout's CI script (not in the sdist)"
)
def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run contains the README's test command verbatim, as a line of its own."""
    test_command = _quick_start_commands()[1]
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines
