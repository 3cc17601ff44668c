"""Errors: one line on stderr with code, message and request id; a traceback only with --debug."""

from __future__ import annotations

import re

from .conftest import Run, run_cli

MISSING = "test/cli/does-not-exist"


def test_service_error_is_one_line_without_traceback(cli: Run) -> None:
    """A service error exits 1 with one line: code, message, request id."""
    result = cli("get", MISSING)
    assert result.returncode == 1
    assert result.stdout == b""
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert re.fullmatch(
        r"secretsmanager-async: error: ResourceNotFoundException: .+ \(request id \S+\)",
        lines[0],
    )
    assert b"Traceback" not in result.stderr


def test_debug_shows_the_traceback(cli: Run) -> None:
    """--debug adds the traceback and still ends with the one-line summary."""
    result = cli("--debug", "describe", MISSING)
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "Traceback (most recent call last)" in stderr
    assert (
        stderr.rstrip()
        .splitlines()[-1]
        .startswith("secretsmanager-async: error: ResourceNotFoundException")
    )


def test_missing_region_is_a_clear_error() -> None:
    """With no AWS configuration at all, a command says what is missing and exits 1."""
    result = run_cli("get", "anything")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert stderr.startswith("secretsmanager-async: error: ConfigurationError: region")
    assert "Traceback" not in stderr
    assert len(stderr.splitlines()) == 1


def test_connection_refused_is_one_line(aws_env: dict[str, str]) -> None:
    """An unreachable endpoint is a one-line transport error, exit 1."""
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_cli(
        "--endpoint-url", f"http://127.0.0.1:{port}", "get", "x", env=aws_env, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.decode().startswith("secretsmanager-async: error: Connect")
    assert b"Traceback" not in result.stderr


def test_usage_errors_exit_2(cli: Run) -> None:
    """Bad arguments are argparse errors: exit 2, usage on stderr."""
    assert cli("get-many", "--filter", "colour=red").returncode == 2
    assert cli("delete", "x", "--force", "--recovery-window-days", "7").returncode == 2
    assert cli("exec", "--secret", "x=1BAD", "--", "true").returncode == 2
    result = run_cli("--local", "--endpoint-url", "http://127.0.0.1:1", "get", "x")
    assert result.returncode == 2
    assert b"mutually exclusive" in result.stderr


def test_help_lists_every_subcommand() -> None:
    """--help exits 0 and names every subcommand."""
    result = run_cli("--help")
    assert result.returncode == 0
    for name in ("get", "get-many", "list", "put", "create", "delete", "describe", "exec", "demo"):
        assert f" {name} ".encode() in result.stdout or f"{{{name},".encode() in result.stdout


def test_debug_shows_the_attempt_log(cli: Run) -> None:
    """--debug prints the library's per-attempt line: operation, attempt, code, request id."""
    result = cli("--debug", "describe", MISSING)
    stderr = result.stderr.decode()
    assert re.search(
        r"DescribeSecret attempt 1/\d+: ResourceNotFoundException \(HTTP \d+\), "
        r"request id \S+; not retryable",
        stderr,
    ), stderr
    plain = cli("describe", MISSING).stderr.decode()
    assert "attempt 1/" not in plain
