"""``credential_process``: run a command that prints credentials as JSON (Version 1).

The command runs as an asyncio subprocess, so the event loop keeps serving while it works.
"""

from __future__ import annotations

import asyncio
import os
import shlex

from .base import Credentials
from .common import CredentialRetrievalError, credentials_from_json

_PROVIDER = "credential_process"
#: stderr characters kept in an error message (the command's diagnostics, not its output)
_STDERR_LIMIT = 300


async def run_credential_process(command: str, *, provider: str = _PROVIDER) -> Credentials:
    """Run ``command`` (split like a shell would, never through a shell) and parse its output."""
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError:
        raise CredentialRetrievalError(
            provider, "credential_process is not a valid command"
        ) from None
    if not argv:
        raise CredentialRetrievalError(provider, "credential_process is empty")
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
    except OSError as exc:
        raise CredentialRetrievalError(
            provider, f"cannot run {argv[0]!r}: {exc.strerror or type(exc).__name__}"
        ) from None
    stdout, stderr = await proc.communicate()
    if proc.returncode != 0:
        # stdout is where credentials go, so it is never quoted; stderr is the command's own
        # diagnostics, quoted (truncated) as botocore does because it is what users need to see
        detail = stderr.decode("utf-8", "replace").strip()[:_STDERR_LIMIT]
        raise CredentialRetrievalError(
            provider, f"{argv[0]!r} exited with status {proc.returncode}: {detail}"
        )
    creds = credentials_from_json(provider, stdout, session_field="SessionToken")
    version = _version(stdout)
    if version != 1:
        raise CredentialRetrievalError(provider, f"unsupported Version {version!r} (expected 1)")
    return creds


def _version(stdout: bytes) -> object:
    import json

    doc = json.loads(stdout)
    return doc.get("Version") if isinstance(doc, dict) else None


class ProcessProvider:
    """Credentials from a fixed ``credential_process`` command."""

    name = _PROVIDER

    def __init__(self, command: str) -> None:
        self._command = command

    def __repr__(self) -> str:
        return "ProcessProvider()"

    async def load(self) -> Credentials | None:
        """Run the command once."""
        return await run_credential_process(self._command)
