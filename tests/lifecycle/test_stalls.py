"""Item 7: nothing the library awaits blocks the event loop, cold imports included."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from secretsmanager_async import ConfigurationError, Credentials, SecretsManagerClient
from secretsmanager_async._profiles import clear_cache

ROOT = Path(__file__).resolve().parents[2]

# The first call used to block the loop 145-170 ms (aiohttp imported on it). After the fix the
# largest gap is a GIL switch interval plus scheduler noise (10-35 ms on a loaded 2-core
# machine). The bound is generous so CI noise cannot fail it; today's code cannot pass it.
STALL_BOUND_MS = 90.0

_DETECTOR = r"""
import asyncio, sys, time
import secretsmanager_async as sm

async def main():
    gaps = []
    stop = False
    async def ticker():
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.02)
    gaps.clear()
    async with sm.SecretsManagerClient(region="us-east-1", endpoint_url=sys.argv[1]) as client:
        try:
            await client.get_secret_value(secret_id="stall-probe/missing")
        except sm.ResourceNotFoundException:
            pass
    stop = True
    await task
    print(max(gaps) * 1000)

asyncio.run(main())
"""


def _largest_gap_ms(moto_url: str) -> float:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        # the environment chain, so credential loading is part of the measured first call
        "AWS_ACCESS_KEY_ID": "AKIDSTALL",
        "AWS_SECRET_ACCESS_KEY": "stall-secret",
    }
    out = subprocess.run(
        [sys.executable, "-c", _DETECTOR, moto_url],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def test_first_call_does_not_stall_the_loop(moto_url: str) -> None:
    """A fresh interpreter's first call (imports cold) never blocks its loop for long."""
    gaps = [_largest_gap_ms(moto_url)]
    if gaps[0] >= STALL_BOUND_MS:  # one retry absorbs a scheduler hiccup of the machine
        gaps.append(_largest_gap_ms(moto_url))
    assert min(gaps) < STALL_BOUND_MS, gaps


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    """A named pipe nobody writes to: opening it for reading would block forever."""
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


async def _largest_gap_during(coro: object) -> tuple[float, BaseException | None]:
    gaps: list[float] = []
    stop = False

    async def ticker() -> None:
        last = time.perf_counter()
        while not stop:
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0.01)
    error: BaseException | None = None
    try:
        await asyncio.wait_for(coro, 10)  # type: ignore[arg-type]
    except Exception as e:
        error = e
    stop = True
    await task
    return max(gaps) * 1000, error


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
async def test_fifo_config_file_is_refused_without_blocking(
    fifo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """AWS_CONFIG_FILE naming a FIFO: ConfigurationError at once, the loop never blocked."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(fifo))
    clear_cache()
    client = SecretsManagerClient(
        region="us-east-1",
        endpoint_url="http://127.0.0.1:9",
        credentials=Credentials("AKID", "secret"),
    )
    try:
        gap_ms, error = await _largest_gap_during(client.get_secret_value(secret_id="x"))
    finally:
        await client.close()
        clear_cache()
    assert isinstance(error, ConfigurationError), error
    assert "FIFO" in str(error) and str(fifo) in str(error)
    assert gap_ms < STALL_BOUND_MS


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
async def test_fifo_credentials_file_is_refused(
    fifo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO as the credentials file fails the chain with a clear error, not a hang."""
    from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
    from secretsmanager_async._credentials.shared import SharedFilesProvider

    config = tmp_path / "config"
    config.write_text("[default]\nregion = us-east-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(fifo))
    clear_cache()
    http = AiohttpCredentialsHttp()
    try:
        with pytest.raises(ConfigurationError, match="FIFO"):
            await asyncio.wait_for(SharedFilesProvider(http).load(), 10)
    finally:
        await http.aclose()
        clear_cache()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
async def test_fifo_token_file_is_refused(fifo: Path) -> None:
    """A web identity token file that is a FIFO: CredentialRetrievalError, no stuck thread."""
    from secretsmanager_async._credentials.http import AiohttpCredentialsHttp
    from secretsmanager_async._credentials.web_identity import (
        assume_role_with_web_identity_file,
    )
    from secretsmanager_async.exceptions import CredentialRetrievalError

    http = AiohttpCredentialsHttp()
    try:
        with pytest.raises(CredentialRetrievalError, match="FIFO"):
            await asyncio.wait_for(
                assume_role_with_web_identity_file(
                    http,
                    role_arn="arn:aws:iam::123456789012:role/r",
                    token_file=str(fifo),
                    session_name=None,
                    duration=None,
                    profile=None,
                    sts_services=None,
                    environ={"AWS_REGION": "us-east-1"},
                    now=None,
                ),
                10,
            )
    finally:
        await http.aclose()


def test_dev_null_still_reads_as_empty() -> None:
    """/dev/null (how the tests and many scripts say "no file") is an empty file, not refused."""
    from secretsmanager_async._files import read_regular_file

    assert read_regular_file(os.devnull) == ""
