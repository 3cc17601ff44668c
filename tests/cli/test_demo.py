"""``demo`` and ``--local``: the embedded endpoint, with no AWS configuration at all."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest

from .conftest import BASE_ENV, REPO, run_cli


def test_demo_runs_end_to_end_without_any_aws_config() -> None:
    """demo needs no credentials, region or profile, checks every value and prints its table."""
    started = time.monotonic()
    # A profile that does not exist must not matter either: the demo brings its own settings.
    result = run_cli("demo", "--count", "120", env={"AWS_PROFILE": "no-such-profile"}, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    out = result.stdout.decode()
    assert re.search(r"create_secret, concurrently\s+120\s", out)
    assert re.search(r"get_secret_values \(bulk\)\s+120\s", out)
    assert "SecretCache reads: 120 hits, 0 misses" in out
    assert re.search(r"paginate_list_secrets\s+120\s", out)
    assert "All values checked" in out
    assert "127.0.0.1" in out
    assert result.stderr == b""  # no werkzeug request log, no warnings
    assert elapsed < 30


def test_demo_against_a_given_endpoint(moto_url: str) -> None:
    """With --endpoint-url the demo uses that server instead of starting its own."""
    result = run_cli("--endpoint-url", moto_url, "demo", "--count", "25", timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"Endpoint: {moto_url} (as given)".encode() in result.stdout
    assert b"start the local endpoint" not in result.stdout


def test_local_flag_serves_other_commands() -> None:
    """--local gives any command a fresh in-memory endpoint and dummy credentials."""
    created = run_cli("--local", "create", "demo/x", "--value", "v")
    assert created.returncode == 0, created.stderr
    assert b"demo/x" in created.stdout
    # Each run gets a new, empty endpoint: nothing persists between processes.
    missing = run_cli("--local", "get", "demo/x")
    assert missing.returncode == 1
    assert b"ResourceNotFoundException" in missing.stderr


def test_missing_moto_gives_the_install_hint() -> None:
    """Without moto, --local and demo fail in one line naming the extra to install."""
    code = (
        "import sys; sys.modules['moto'] = None; sys.modules['moto.server'] = None\n"
        "from secretsmanager_async._cli import main\n"
        "sys.exit(main(['demo']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=BASE_ENV, cwd=REPO, capture_output=True, timeout=30
    )
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1
    assert "LocalEndpointUnavailable" in lines[0]
    assert "pip install 'secretsmanager-async[local]'" in lines[0]


def test_local_endpoint_hides_and_restores_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_PROFILE is hidden from moto while the endpoint runs and restored when it stops."""
    from secretsmanager_async._local import LocalEndpoint

    monkeypatch.setenv("AWS_PROFILE", "someone-elses")
    with LocalEndpoint() as endpoint:
        assert endpoint.url.startswith("http://127.0.0.1:")
        assert "AWS_PROFILE" not in os.environ
    assert os.environ["AWS_PROFILE"] == "someone-elses"
