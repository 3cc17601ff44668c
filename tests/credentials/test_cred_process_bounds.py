"""credential_process bounds: deadline, stdout cap, bounded stderr, the child killed and reaped."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from secretsmanager_async import ClientConfig, SecretsManagerClient
from secretsmanager_async._credentials.process import (
    DEFAULT_MAX_OUTPUT_BYTES,
    DEFAULT_TIMEOUT,
    CredentialProcessRunner,
    run_credential_process,
)
from secretsmanager_async.exceptions import ClientClosedError, CredentialRetrievalError

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX process checks")

Writer = Callable[[str], Path]


def script(tmp_path: Path, body: str) -> str:
    """A credential_process command running ``body`` with the pid file path as argv[1]."""
    path = tmp_path / "helper.py"
    path.write_text("import os, sys, time\nopen(sys.argv[1], 'w').write(str(os.getpid()))\n" + body)
    return f'"{sys.executable}" "{path}" "{tmp_path / "pid"}"'


def child_pid(tmp_path: Path) -> int:
    """The pid the helper wrote."""
    return int((tmp_path / "pid").read_text())


def assert_gone(pid: int) -> None:
    """The process no longer exists, not even as a zombie (it was reaped)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    os.kill(pid, 9)  # do not leave it behind
    pytest.fail(f"process {pid} still exists")


async def wait_for_pid(tmp_path: Path) -> int:
    """Wait until the helper has started."""
    for _ in range(500):
        if (tmp_path / "pid").exists() and (tmp_path / "pid").read_text():
            return child_pid(tmp_path)
        await asyncio.sleep(0.01)
    pytest.fail("the helper did not start")


def test_default_bounds() -> None:
    """The defaults: 60 s and 1 MiB, also what ClientConfig resolves to."""
    runner = CredentialProcessRunner()
    assert (runner.timeout, runner.max_output_bytes) == (DEFAULT_TIMEOUT, DEFAULT_MAX_OUTPUT_BYTES)
    assert (DEFAULT_TIMEOUT, DEFAULT_MAX_OUTPUT_BYTES) == (60.0, 1024 * 1024)
    config = ClientConfig(region="us-east-1").resolve({}, {})
    assert config.credential_process_timeout == 60.0
    assert config.credential_process_max_bytes == 1024 * 1024
    assert CredentialProcessRunner(timeout=float("inf")).timeout is None


async def test_timeout_kills_and_reaps_the_child(tmp_path: Path) -> None:
    """A helper that never exits is killed at the deadline; the error says so."""
    command = script(tmp_path, "time.sleep(120)\n")
    started = time.monotonic()
    with pytest.raises(CredentialRetrievalError, match=r"did not finish within 0\.5 s") as info:
        await CredentialProcessRunner(timeout=0.5).run(command)
    assert time.monotonic() - started < 10
    assert info.value.provider == "credential_process"
    assert_gone(child_pid(tmp_path))


async def test_grandchild_holding_stdout_does_not_hang(tmp_path: Path) -> None:
    """A helper whose own child keeps stdout open still ends at the deadline."""
    command = script(
        tmp_path,
        "import subprocess\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "open(sys.argv[1] + '.grandchild', 'w').write(str(p.pid))\n"
        "time.sleep(60)\n",
    )
    started = time.monotonic()
    try:
        with pytest.raises(CredentialRetrievalError, match="did not finish"):
            await CredentialProcessRunner(timeout=1.0).run(command)
        assert time.monotonic() - started < 10
        assert_gone(child_pid(tmp_path))
    finally:
        grandchild = tmp_path / "pid.grandchild"
        if grandchild.exists():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(grandchild.read_text()), 9)


async def test_cancelling_the_caller_kills_the_child(tmp_path: Path) -> None:
    """A cancelled credentials load does not leave its helper running."""
    command = script(tmp_path, "time.sleep(120)\n")
    task = asyncio.create_task(run_credential_process(command))
    pid = await wait_for_pid(tmp_path)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert_gone(pid)


async def test_stdout_flood_is_capped(tmp_path: Path) -> None:
    """100 MB on stdout: killed after the cap, memory stays near the cap, nothing quoted."""
    command = script(
        tmp_path,
        "chunk = b'A' * 65536\nfor _ in range(1600):\n    sys.stdout.buffer.write(chunk)\n",
    )
    tracemalloc.start()
    try:
        with pytest.raises(CredentialRetrievalError, match="more than 1048576 bytes") as info:
            await CredentialProcessRunner().run(command)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak
    assert "AAAA" not in str(info.value)
    assert_gone(child_pid(tmp_path))


async def test_stderr_flood_is_bounded(tmp_path: Path) -> None:
    """100 MB on stderr then a failure: memory bounded, the message quotes 300 characters."""
    command = script(
        tmp_path,
        "chunk = b'E' * 65536\nfor _ in range(1600):\n    sys.stderr.buffer.write(chunk)\n"
        "sys.exit(2)\n",
    )
    tracemalloc.start()
    try:
        with pytest.raises(CredentialRetrievalError, match="exited with status 2") as info:
            await CredentialProcessRunner().run(command)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, peak
    assert str(info.value).count("E") < 400


@pytest.mark.parametrize(
    ("body", "pattern"),
    [
        # failing after printing the keys: stdout is never quoted
        (
            'print(\'{"Version": 1, "AccessKeyId": "AKID", "SecretAccessKey": "TOPSECRET"}\')'
            "\nsys.exit(1)\n",
            "exited with status 1",
        ),
        (
            'print(\'{"Version": 2, "AccessKeyId": "AKID", "SecretAccessKey": "TOPSECRET"}\')\n',
            "unsupported Version 2",
        ),
        ("print('{\"SecretAccessKey\": \"TOPSECRET\", ' + '[' * 100000)\n", "not valid JSON"),
        # keys dumped on stderr are withheld
        (
            'sys.stderr.write(\'{"SecretAccessKey": "TOPSECRET"}\')\nsys.exit(1)\n',
            "stderr is not shown",
        ),
    ],
)
async def test_errors_never_quote_keys(tmp_path: Path, body: str, pattern: str) -> None:
    """No error message, cause or context carries what the helper printed."""
    with pytest.raises(CredentialRetrievalError, match=pattern) as info:
        await CredentialProcessRunner().run(script(tmp_path, body))
    seen: list[BaseException] = []
    exc: BaseException | None = info.value
    while exc is not None and exc not in seen:
        seen.append(exc)
        assert "TOPSECRET" not in repr(exc) and "TOPSECRET" not in str(exc)
        assert "TOPSECRET" not in repr(vars(exc))
        exc = exc.__cause__ or exc.__context__
    assert len(seen) == 1  # nothing chained


async def test_stderr_diagnostics_are_quoted_without_controls(tmp_path: Path) -> None:
    """An ordinary failure shows the helper's message, control characters escaped."""
    body = "sys.stderr.write('login required \\x1b[31m\\n')\nsys.exit(3)\n"
    with pytest.raises(CredentialRetrievalError, match="login required") as info:
        await CredentialProcessRunner().run(script(tmp_path, body))
    assert "\x1b" not in str(info.value)


async def test_client_close_kills_the_child(
    tmp_path: Path, write_config: Writer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing the client while its credential_process runs kills and reaps the helper."""
    command = script(tmp_path, "time.sleep(120)\n")
    write_config(f"[default]\ncredential_process = {command}\n")
    client = SecretsManagerClient(region="us-east-1", endpoint_url="http://127.0.0.1:9")
    call = asyncio.create_task(client.list_secrets())
    pid = await wait_for_pid(tmp_path)
    await client.close()
    # the runner's own error; the client's close handling may turn it into ClientClosedError
    with pytest.raises((CredentialRetrievalError, ClientClosedError)):
        await asyncio.wait_for(call, 10)
    assert_gone(pid)


async def test_client_config_sets_the_bounds(tmp_path: Path, write_config: Writer) -> None:
    """ClientConfig.credential_process_timeout reaches the runner the client uses."""
    command = script(tmp_path, "time.sleep(120)\n")
    write_config(f"[default]\ncredential_process = {command}\n")
    config = ClientConfig(credential_process_timeout=0.5)
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url="http://127.0.0.1:9", config=config
    ) as client:
        with pytest.raises(CredentialRetrievalError, match=r"within 0\.5 s"):
            await asyncio.wait_for(client.list_secrets(), 20)
    assert_gone(child_pid(tmp_path))


def test_none_lifts_the_bounds_only_when_given() -> None:
    """As for the other bounds: left out means the default, an explicit None means no limit."""
    lifted = ClientConfig(
        region="us-east-1", credential_process_timeout=None, credential_process_max_bytes=None
    ).resolve({}, {})
    assert lifted.credential_process_timeout is None
    assert lifted.credential_process_max_bytes is None
    merged = ClientConfig(credential_process_timeout=5).merge(credential_process_timeout=None)
    assert merged.credential_process_timeout is None
