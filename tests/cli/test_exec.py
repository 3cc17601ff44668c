"""``exec``: secrets become environment variables of the command, which replaces the CLI."""

from __future__ import annotations

import json
import sys
from typing import Any

from .conftest import Run

SHOW_ENV = (
    "import json, os; "
    "print(json.dumps({k: os.environ.get(k) for k in ['DB_USER', 'TOKEN', 'KEEP']}))"
)


def test_exec_injects_whole_values_and_json_keys(
    cli: Run, boto3_client: Any, unique_name: str
) -> None:
    """The command sees ID=VAR and ID:KEY=VAR values, plus the inherited environment."""
    creds = unique_name + "/creds"
    token = unique_name + "/token"
    boto3_client.create_secret(Name=creds, SecretString=json.dumps({"user": "alice"}))
    boto3_client.create_secret(Name=token, SecretString="t0k3n value")
    result = cli(
        "exec", "--secret", f"{creds}:user=DB_USER", "--secret", f"{token}=TOKEN",
        "--", sys.executable, "-c", SHOW_ENV,
        env={"KEEP": "inherited"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "DB_USER": "alice",
        "TOKEN": "t0k3n value",
        "KEEP": "inherited",
    }


def test_exec_by_arn_with_key(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """An ARN (colons and all) followed by :KEY selects the key."""
    arn = boto3_client.create_secret(Name=unique_name, SecretString='{"user": "bob"}')["ARN"]
    result = cli("exec", "--secret", f"{arn}:user=DB_USER", "--", sys.executable, "-c", SHOW_ENV)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["DB_USER"] == "bob"


def test_exec_passes_on_the_exit_status(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """The CLI's exit status is the command's: exec replaced the process."""
    boto3_client.create_secret(Name=unique_name, SecretString="x")
    code = "import sys; sys.exit(7)"
    result = cli("exec", "--secret", f"{unique_name}=X", "--", sys.executable, "-c", code)
    assert result.returncode == 7


def test_exec_missing_secret_does_not_run_the_command(cli: Run, tmp_path: Any) -> None:
    """A secret that cannot be fetched exits 1 before the command runs."""
    marker = tmp_path / "ran"
    result = cli(
        "exec", "--secret", "test/cli/absent=X",
        "--", sys.executable, "-c", f"open({str(marker)!r}, 'w')",
    )  # fmt: skip
    assert result.returncode == 1
    assert b"ResourceNotFoundException" in result.stderr
    assert not marker.exists()


def test_exec_command_not_found(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """An unknown command exits 127 with a one-line error, like a shell."""
    boto3_client.create_secret(Name=unique_name, SecretString="x")
    result = cli("exec", "--secret", f"{unique_name}=X", "--", "no-such-command-4b1d")
    assert result.returncode == 127
    assert b"command not found: no-such-command-4b1d" in result.stderr


def test_exec_needs_a_command(cli: Run) -> None:
    """exec without a command fails before fetching anything."""
    result = cli("exec", "--secret", "x=X")
    assert result.returncode == 1
    assert b"no command" in result.stderr
