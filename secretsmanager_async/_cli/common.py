"""What every subcommand shares: exit codes, the one-line error, and connecting (a client
for the global options, the embedded local endpoint)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .._client import SecretsManagerClient


PROG = "secretsmanager-async"


EXIT_OK = 0


EXIT_ERROR = 1


EXIT_USAGE = 2


EXIT_CANNOT_RUN = 126


EXIT_NOT_FOUND = 127


EXIT_INTERRUPTED = 130


# C0 controls, DEL and C1 controls (Unicode category Cc): ESC starts terminal escape
# sequences, and C1's CSI (U+009B) does in some terminals
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str, keep: str = "") -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes (except those in ``keep``).

    Applied to everything printed that came from a server or from a secret's metadata, so such
    text cannot move the cursor, rewrite the screen or retitle the terminal. Not applied to the
    values ``get``, ``get-many`` and ``exec`` exist to output.
    """
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m[0] if m[0] in keep else f"\\x{ord(m[0]):02x}", text)


class CliError(Exception):
    """A user-facing failure detected by the command line itself (exit code 1)."""


def describe_error(exc: BaseException) -> str:
    """One line naming the error: code, message and (for service errors) the request id."""
    from ..exceptions import ServiceError

    if isinstance(exc, ServiceError):
        text = f"{exc.code}: {exc.message}" if exc.message else exc.code
        if exc.request_id:
            text += f" (request id {exc.request_id})"
    elif isinstance(exc, CliError):
        text = str(exc)
    else:
        detail = str(exc)
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    # one line, whatever the message contained, and nothing a terminal would act on
    return printable(" ".join(text.split()))


def _async(
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
    *,
    local_by_default: bool = False,
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with local_endpoint(args, by_default=local_by_default):
            return asyncio.run(handler(args))

    return run


@contextlib.contextmanager
def local_endpoint(args: argparse.Namespace, *, by_default: bool = False) -> Iterator[None]:
    """With ``--local`` (or ``by_default`` and no ``--endpoint-url``), run the embedded
    endpoint around the command and point ``args`` at it.

    It starts and stops outside the event loop: both block (the stop for up to half a second)
    and nothing else should wait on them.
    """
    if not args.local and not (by_default and args.endpoint_url is None):
        yield
        return
    from .._local import LocalEndpoint

    started = time.perf_counter()
    with LocalEndpoint() as local:
        args.local = True
        args.endpoint_url = local.url
        args.local_start_seconds = time.perf_counter() - started
        yield


# -- connecting ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[SecretsManagerClient]:
    """A client for the global options (see :func:`local_endpoint` for ``--local``)."""
    from .._client import SecretsManagerClient

    if args.local:
        settings = local_settings(args, args.endpoint_url)
    else:
        settings = {
            "region": args.region,
            "endpoint_url": args.endpoint_url,
            "profile": args.profile,
        }
    async with SecretsManagerClient(**settings) as client:
        yield client


def local_settings(args: argparse.Namespace, endpoint_url: str) -> dict[str, Any]:
    """Client settings for a local endpoint: nothing taken from the AWS configuration."""
    from .._local import LOCAL_CREDENTIALS, LOCAL_REGION

    return {
        "region": args.region or LOCAL_REGION,
        "endpoint_url": endpoint_url,
        "credentials": LOCAL_CREDENTIALS,
        # AWS_PROFILE may name a profile this machine lacks; "default" may be absent freely.
        "profile": "default",
    }
