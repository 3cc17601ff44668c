"""Fixtures for the command-line tests: run ``python -m secretsmanager_async`` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

#: What every run gets: no AWS_* from the developer's shell, and nothing read from ~/.aws.
BASE_ENV = {
    **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}

Run = Callable[..., "subprocess.CompletedProcess[bytes]"]


def run_cli(
    *args: str,
    env: dict[str, str] | None = None,
    input: bytes | None = None,
    stderr: int | None = subprocess.PIPE,
    timeout: float = 30,
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI with exactly ``env`` (on top of BASE_ENV) and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "secretsmanager_async", *args],
        env={**BASE_ENV, **(env or {})},
        input=input,
        stdout=subprocess.PIPE,
        stderr=stderr,
        cwd=REPO,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def aws_env() -> dict[str, str]:
    """Credentials and region for runs against the moto server."""
    return {
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "AWS_REGION": "us-east-1",
    }


@pytest.fixture
def cli(moto_url: str, aws_env: dict[str, str]) -> Run:
    """The CLI pointed at the session's moto server: ``cli("get", name)``."""

    def run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[bytes]:
        env = {**aws_env, **kwargs.pop("env", {})}  # type: ignore[dict-item]
        return run_cli("--endpoint-url", moto_url, *args, env=env, **kwargs)  # type: ignore[arg-type]

    return run
