"""``credential_process``: run a command that prints credentials as JSON (Version 1).

The command runs as an asyncio subprocess, so the event loop keeps serving while it works. Every
run is bounded (botocore bounds neither):

* time: :data:`DEFAULT_TIMEOUT` seconds from start to exit, then the child is killed;
* output: :data:`DEFAULT_MAX_OUTPUT_BYTES` of stdout, counted as it arrives, then the child is
  killed; stderr is kept only up to :data:`_STDERR_KEEP` bytes (the rest is drained, not stored).

The child is also killed when the awaiting task is cancelled and when the owning runner is closed
(the client closes it), and it is always reaped, so no zombie is left. Only the child is killed,
not its process group: it stays in our group and session so an interactive helper can still
prompt on the terminal.

Errors never quote stdout (it is where the keys are). They quote at most :data:`_STDERR_QUOTE`
characters of stderr, the helper's diagnostics, as botocore does, unless that text names a
credentials field (then it is withheld).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shlex

from .._config import DEFAULT_CREDENTIAL_PROCESS_MAX_BYTES, DEFAULT_CREDENTIAL_PROCESS_TIMEOUT
from .base import Credentials
from .common import CredentialRetrievalError, credentials_from_document, parse_credentials_json

_PROVIDER = "credential_process"
#: seconds a command may run (start to exit) before it is killed. Go SDK v2's default too:
#: long enough for a helper that opens a browser or waits for a hardware-key touch, and a
#: hung helper still fails within a minute instead of never
DEFAULT_TIMEOUT = DEFAULT_CREDENTIAL_PROCESS_TIMEOUT
#: stdout bytes accepted: a credentials document is a few KB (a session token is under 2 KB)
DEFAULT_MAX_OUTPUT_BYTES = DEFAULT_CREDENTIAL_PROCESS_MAX_BYTES
#: stderr bytes kept in memory; the rest is read and dropped so the child never blocks on it
_STDERR_KEEP = 4096
#: stderr characters quoted in an error message
_STDERR_QUOTE = 300
#: seconds to wait for a killed child's exit status (SIGKILL cannot be ignored: only a child
#: stuck in the kernel takes longer, and then the event loop's child watcher still reaps it)
_REAP_WAIT = 5.0
#: stderr that mentions these is not quoted: a helper may have dumped its credentials there
_SECRET_HINT = re.compile(r"secret_?access_?key|session_?token|security_?token", re.IGNORECASE)


class _Collector(asyncio.SubprocessProtocol):
    """Collects stdout up to a cap and a bounded piece of stderr; tracks exit and EOFs."""

    def __init__(self, loop: asyncio.AbstractEventLoop, max_output: float) -> None:
        self._max_output = max_output
        self.transport: asyncio.SubprocessTransport | None = None
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.overflow = False
        self.closed = False
        self.exited: asyncio.Future[None] = loop.create_future()
        #: set once the child exited and both pipes reached EOF, or the run must stop early
        self.done: asyncio.Future[None] = loop.create_future()
        #: set once the run has killed, closed and reaped the child
        self.stopped: asyncio.Future[None] = loop.create_future()
        self._open_pipes = {1, 2}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.SubprocessTransport)
        self.transport = transport

    def pipe_data_received(self, fd: int, data: bytes | str) -> None:
        chunk = data.encode() if isinstance(data, str) else data
        if fd == 1:
            if self.overflow:
                return
            if len(self.stdout) + len(chunk) > self._max_output:
                self.overflow = True
                self.stdout = bytearray()  # release what was read: it is never used
                self.kill()
                self._finish()
                return
            self.stdout += chunk
        elif len(self.stderr) < _STDERR_KEEP:
            self.stderr += chunk[: _STDERR_KEEP - len(self.stderr)]

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        self._open_pipes.discard(fd)
        self._check()

    def process_exited(self) -> None:
        if not self.exited.done():
            self.exited.set_result(None)
        self._check()

    def kill(self) -> None:
        """Kill the child if it still runs."""
        transport = self.transport
        if transport is not None and transport.get_returncode() is None:
            # ProcessLookupError: it exited between the check and the kill
            with contextlib.suppress(ProcessLookupError):
                transport.kill()

    def _check(self) -> None:
        if self.exited.done() and not self._open_pipes:
            self._finish()

    def _finish(self) -> None:
        if not self.done.done():
            self.done.set_result(None)


class CredentialProcessRunner:
    """Runs ``credential_process`` commands within a time limit and an output cap.

    ``timeout`` (seconds, start to exit) and ``max_output_bytes`` (stdout) are the bounds;
    None means the default, ``math.inf`` no bound. :meth:`aclose` kills every command still
    running and makes later runs fail.
    """

    def __init__(
        self, *, timeout: float | None = None, max_output_bytes: float | None = None
    ) -> None:
        timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        limit = DEFAULT_MAX_OUTPUT_BYTES if max_output_bytes is None else max_output_bytes
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        if not limit >= 1:
            raise ValueError("max_output_bytes must be at least 1")
        self.timeout: float | None = None if math.isinf(timeout) else float(timeout)
        self.max_output_bytes: float = limit
        self._running: set[_Collector] = set()
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"CredentialProcessRunner(timeout={self.timeout!r}, "
            f"max_output_bytes={self.max_output_bytes!r}, running={len(self._running)})"
        )

    async def run(self, command: str, *, provider: str = _PROVIDER) -> Credentials:
        """Run ``command`` (split like a shell would, never through a shell); parse its output."""
        try:
            argv = shlex.split(command, posix=os.name != "nt")
        except ValueError:
            raise CredentialRetrievalError(
                provider, "credential_process is not a valid command"
            ) from None
        if not argv:
            raise CredentialRetrievalError(provider, "credential_process is empty")
        if self._closed:
            raise CredentialRetrievalError(provider, "the client is closed")
        program = argv[0]
        stdout, stderr, returncode = await self._execute(argv, provider)
        if returncode != 0:
            raise CredentialRetrievalError(
                provider,
                f"{program!r} exited with status {returncode}{_stderr_detail(stderr)}",
            )
        doc = parse_credentials_json(provider, stdout)
        version = doc.get("Version") if isinstance(doc, dict) else None
        if version != 1:
            shown = repr(version) if version is None or type(version) is int else "a non-integer"
            raise CredentialRetrievalError(provider, f"unsupported Version {shown} (expected 1)")
        return credentials_from_document(provider, doc, session_field="SessionToken")

    async def _execute(self, argv: list[str], provider: str) -> tuple[bytes, bytes, int | None]:
        loop = asyncio.get_running_loop()
        collector = _Collector(loop, self.max_output_bytes)
        try:
            # stdin is inherited, as in botocore: an interactive helper may prompt
            transport, _ = await loop.subprocess_exec(
                lambda: collector,
                *argv,
                stdin=None,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            raise CredentialRetrievalError(
                provider, f"cannot run {argv[0]!r}: {exc.strerror or type(exc).__name__}"
            ) from None
        self._running.add(collector)
        try:
            finished, _ = await asyncio.wait({collector.done}, timeout=self.timeout)
        finally:
            try:
                await _stop(transport, collector)
            finally:
                self._running.discard(collector)
                if not collector.stopped.done():
                    collector.stopped.set_result(None)
        program = argv[0]
        if collector.closed:
            raise CredentialRetrievalError(
                provider, f"the client was closed while {program!r} ran; it was killed"
            )
        if collector.overflow:
            raise CredentialRetrievalError(
                provider,
                f"{program!r} wrote more than {self.max_output_bytes:.0f} bytes to stdout; it was "
                "killed (raise ClientConfig.credential_process_max_bytes to allow more)",
            )
        if not finished:
            assert self.timeout is not None  # no timeout: wait() returns only when done
            raise CredentialRetrievalError(
                provider,
                f"{program!r} did not finish within {self.timeout:g} s; it was killed "
                "(raise ClientConfig.credential_process_timeout to allow longer)",
            )
        return bytes(collector.stdout), bytes(collector.stderr), transport.get_returncode()

    async def aclose(self) -> None:
        """Kill every running command (their callers get a CredentialRetrievalError)."""
        self._closed = True
        for collector in list(self._running):
            collector.closed = True
            collector.kill()
            collector._finish()
        # let the runs finish their own cleanup (kill, close, reap) before returning
        pending = {c.stopped for c in self._running}
        if pending:
            await asyncio.wait(pending, timeout=_REAP_WAIT)


async def _stop(transport: asyncio.SubprocessTransport, collector: _Collector) -> None:
    """Kill the child if needed, close its pipes, and wait (bounded) for its exit status."""
    collector.kill()
    # closing our pipe ends means a grandchild that inherited them cannot hold us up
    transport.close()
    if not collector.exited.done():
        await asyncio.wait({collector.exited}, timeout=_REAP_WAIT)


def _stderr_detail(stderr: bytes) -> str:
    text = " ".join(stderr.decode("utf-8", "replace").split())
    if not text:
        return ""
    if _SECRET_HINT.search(text):
        return " (its stderr is not shown: it names a credentials field)"
    quoted = text[:_STDERR_QUOTE] + ("..." if len(text) > _STDERR_QUOTE else "")
    # no terminal escapes or other controls from the helper in our message
    quoted = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in quoted)
    return f": {quoted}"


async def run_credential_process(
    command: str,
    *,
    provider: str = _PROVIDER,
    runner: CredentialProcessRunner | None = None,
) -> Credentials:
    """Run ``command`` with ``runner``'s bounds (by default: the default bounds)."""
    return await (runner or CredentialProcessRunner()).run(command, provider=provider)


class ProcessProvider:
    """Credentials from a fixed ``credential_process`` command."""

    name = _PROVIDER

    def __init__(self, command: str, *, runner: CredentialProcessRunner | None = None) -> None:
        self._command = command
        self._runner = runner or CredentialProcessRunner()

    def __repr__(self) -> str:
        return "ProcessProvider()"

    async def load(self) -> Credentials | None:
        """Run the command once."""
        return await self._runner.run(self._command)

    async def aclose(self) -> None:
        """Kill the command if it is running."""
        await self._runner.aclose()
