"""``get-many --format env``: every value reads back exactly through bash and python-dotenv."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from dotenv import dotenv_values
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsmanager_async._cli.common import CliError
from secretsmanager_async._cli.output import env_lines

from .conftest import Run

BASH = shutil.which("bash")
pytestmark = pytest.mark.skipif(BASH is None, reason="needs bash")  # present on every CI image

#: the characters that broke the old format, and their neighbours
AWKWARD = [
    "pa$$w0rd!",
    "$HOME and $(id) and ${HOME}x",
    "`touch PWNED`",
    "$(touch PWNED)",
    'say "hi"',
    "it's",
    "back\\slash",
    "C:\\path\\to",
    "two\nlines\n",
    "tab\there",
    "unicode: é ß 日本 🎉",
    "  spaces around  ",
    "# not a comment",
    "x=1 # not a comment either",
    "",
    "\x1b[31mred\x1b[0m",
    "\\n stays backslash-n",
    "ends with newline\n",
]


def _bash_read(path: Path, names: list[str]) -> list[str]:
    """Source ``path`` with ``set -a`` in bash; return the variables, NUL-separated."""
    script = 'set -a; . "$1"; shift; for n in "$@"; do printf "%s\\0" "${!n}"; done'
    out = subprocess.run(
        [BASH or "bash", "-c", script, "bash", str(path), *names],
        capture_output=True,
        check=True,
        cwd=path.parent,
        env={"PATH": os.environ.get("PATH", ""), "LC_ALL": "C.UTF-8"},
    ).stdout
    return out.decode("utf-8").split("\0")[: len(names)]


def _round_trip(tmp_path: Path, values: list[str]) -> list[str]:
    """Write ``values`` as V0, V1, ... in env format; check both readers; return the refused."""
    refused, kept = [], []
    for value in values:
        try:
            env_lines([("v", value)], export=False, strip_prefix="")
        except CliError:
            refused.append(value)
        else:
            kept.append(value)
    items = [(f"v{i}", value) for i, value in enumerate(kept)]
    text = env_lines(items, export=False, strip_prefix="")
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    names = [f"V{i}" for i in range(len(kept))]
    assert dotenv_values(path) == dict(zip(names, kept, strict=True))
    assert _bash_read(path, names) == kept
    return refused


def test_awkward_values_round_trip(tmp_path: Path) -> None:
    """Dollars, backticks, quotes, backslashes, newlines, unicode: exact, and nothing runs."""
    refused = _round_trip(tmp_path, AWKWARD)
    assert refused == ["$HOME and $(id) and ${HOME}x"]  # only the dotenv-expanded ${...}
    assert not (tmp_path / "PWNED").exists()


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("a\0b", "NUL"),
        ("a\rb", "carriage return"),
        ("x${Y}z", r"'\$\{'"),
        ("it's a $5 deal", "single quote together with"),
        ("dir\\\\share", "backslash before another backslash"),
        ("trailing\\", "at the end"),
    ],
)
def test_unrepresentable_values_are_refused(value: str, rule: str) -> None:
    """A value no quoting carries through both readers is refused, named, never echoed."""
    with pytest.raises(CliError, match=rule) as info:
        env_lines([("prod/db", value)], export=False, strip_prefix="")
    assert "'prod/db'" in str(info.value)
    assert value not in str(info.value)


_text = st.text(
    st.characters(codec="utf-8", exclude_characters="\0")
    | st.sampled_from(list("$`'\"\\\n\r{}# ")),
    max_size=12,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=st.lists(_text, min_size=1, max_size=8))
def test_any_value_round_trips_or_is_refused(tmp_path: Path, values: list[str]) -> None:
    """Every value either reads back exactly in bash and python-dotenv, or is refused."""
    refused = _round_trip(tmp_path, values)
    for value in refused:
        # refusals only for the documented cases, so the format is not trivially safe
        assert (
            "\r" in value
            or "${" in value
            or "'" in value
            or "\\\\" in value
            or value.endswith("\\")
        ), value


def test_get_many_env_round_trips(
    cli: Run, boto3_client: Any, unique_name: str, tmp_path: Path
) -> None:
    """The command's env output, from real secrets, reads back exactly in both readers."""
    prefix = unique_name + "/"
    values = {f"s{i}": v for i, v in enumerate(AWKWARD) if v and "${" not in v}
    for leaf, value in values.items():
        boto3_client.create_secret(Name=prefix + leaf, SecretString=value)
    result = cli(
        "get-many", "--filter", f"name={prefix}", "--format", "env", "--strip-prefix", prefix
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / ".env"
    path.write_bytes(result.stdout)
    expected = {leaf.upper(): value for leaf, value in values.items()}
    assert dotenv_values(path) == expected
    assert _bash_read(path, list(expected)) == list(expected.values())
    assert not (tmp_path / "PWNED").exists()


def test_get_many_env_refusal_prints_nothing(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """A value env cannot carry: exit 1, the reason on stderr, no value on stdout."""
    boto3_client.create_secret(Name=unique_name, SecretString="it's $5")
    result = cli("get-many", unique_name, "--format", "env")
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"cannot be written in env format" in result.stderr
    assert b"$5" not in result.stderr
