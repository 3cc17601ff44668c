"""``get-many`` and ``list``: formats, filters, partial failures and the progress bar."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from typing import Any

import pytest

from .conftest import BASE_ENV, REPO, Run

VALUES = {"db-password": 'pa$$ "w0rd"\nline2', "api_key": "it's plain", "token": "abc123"}


@pytest.fixture
def seeded(boto3_client: Any, unique_name: str) -> str:
    """Three secrets under a unique prefix; returns the prefix."""
    prefix = unique_name + "/"
    for leaf, value in VALUES.items():
        boto3_client.create_secret(Name=prefix + leaf, SecretString=value)
    return prefix


def test_get_many_json(cli: Run, seeded: str) -> None:
    """JSON output maps each requested id to its value, in the order given."""
    ids = [seeded + "token", seeded + "db-password"]
    result = cli("get-many", *ids)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ids
    assert data[seeded + "db-password"] == VALUES["db-password"]


def test_get_many_filter_env_format(cli: Run, seeded: str) -> None:
    """--filter name=prefix fetches every match; env lines quote what needs quoting."""
    result = cli(
        "get-many", "--filter", f"name={seeded}", "--format", "env", "--strip-prefix", seeded
    )
    assert result.returncode == 0, result.stderr
    # plain values bare; single quotes where a $ or " appear; double quotes around a '
    assert sorted(result.stdout.decode().split("\n")) == [
        "",
        'API_KEY="it\'s plain"',
        'DB_PASSWORD=\'pa$$ "w0rd"',
        "TOKEN=abc123",
        "line2'",
    ]


def test_get_many_export_round_trips_through_the_shell(cli: Run, seeded: str) -> None:
    """export lines, eval'd by sh, give back exactly the stored values."""
    result = cli(
        "get-many", "--filter", f"name={seeded}", "--format", "export", "--strip-prefix", seeded
    )
    assert result.returncode == 0, result.stderr
    script = result.stdout.decode() + 'printf "%s\\0" "$DB_PASSWORD" "$API_KEY" "$TOKEN"'
    out = subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout
    assert out.split(b"\0")[:3] == [
        VALUES["db-password"].encode(),
        VALUES["api_key"].encode(),
        VALUES["token"].encode(),
    ]


def test_get_many_failure_prints_no_values(cli: Run, seeded: str) -> None:
    """One missing id: exit 1, the error on stderr, nothing on stdout (unless --partial)."""
    ids = [seeded + "token", seeded + "missing"]
    result = cli("get-many", *ids)
    assert result.returncode == 1
    assert result.stdout == b""
    assert f"{seeded}missing: ResourceNotFoundException".encode() in result.stderr
    partial = cli("get-many", *ids, "--partial")
    assert partial.returncode == 1
    assert json.loads(partial.stdout) == {seeded + "token": "abc123"}


def test_get_many_without_ids_or_filter_fails(cli: Run) -> None:
    """get-many with nothing to fetch is an error, not an empty success."""
    result = cli("get-many")
    assert result.returncode == 1
    assert b"--filter" in result.stderr


def test_progress_only_when_stderr_is_a_terminal(
    moto_url: str, aws_env: dict[str, str], seeded: str
) -> None:
    """The progress bar is drawn on a terminal stderr, and absent when stderr is a pipe."""
    args = [sys.executable, "-m", "secretsmanager_async", "--endpoint-url", moto_url]
    args += ["get-many", "--filter", f"name={seeded}"]
    env = {**BASE_ENV, **aws_env}

    piped = subprocess.run(args, env=env, cwd=REPO, capture_output=True, timeout=30, check=False)
    assert piped.returncode == 0
    assert piped.stderr == b""

    controller, terminal = pty.openpty()
    try:
        proc = subprocess.Popen(args, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=terminal)
        os.close(terminal)
        terminal = -1
        seen = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            seen += chunk
        stdout, _ = proc.communicate(timeout=30)
    finally:
        os.close(controller)
        if terminal != -1:
            os.close(terminal)
    assert proc.returncode == 0
    assert b"fetching [" in seen
    assert b"3/3" in seen
    assert len(json.loads(stdout)) == 3  # values still go to stdout only


def test_list_table_never_shows_values(cli: Run, seeded: str) -> None:
    """list prints a NAME / LAST CHANGED / ROTATION table and no value."""
    result = cli("list", "--filter", f"name={seeded}")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().splitlines()
    assert lines[0].split() == ["NAME", "LAST", "CHANGED", "ROTATION"]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(seeded + k for k in VALUES)
    assert all(line.rstrip().endswith("off") for line in lines[1:])
    for value in VALUES.values():
        assert value.encode() not in result.stdout
    assert b"abc123" not in result.stdout


def test_list_json_lines(cli: Run, seeded: str, boto3_client: Any) -> None:
    """--json prints one object per secret; rotation and tags come through, values never."""
    boto3_client.tag_resource(SecretId=seeded + "token", Tags=[{"Key": "k", "Value": "v"}])
    result = cli("list", "--filter", f"name={seeded}", "--json")
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert {e["name"] for e in entries} == {seeded + k for k in VALUES}
    assert all("secret_string" not in e for e in entries)
    tagged = next(e for e in entries if e["name"] == seeded + "token")
    assert tagged["tags"] == [{"key": "k", "value": "v"}]


def test_list_empty(cli: Run) -> None:
    """No match: exit 0, empty stdout, a note on stderr."""
    result = cli("list", "--filter", "name=test/cli/nothing-here-")
    assert result.returncode == 0
    assert result.stdout == b""
    assert b"no secrets" in result.stderr
