"""The embedded local endpoint: moto's Secrets Manager server in a thread on 127.0.0.1.

Used by ``demo`` and by ``--local`` on the command line, so the library can be tried with no
AWS account, configuration or network. State lives in memory and is gone when the process
ends. moto is an optional dependency: ``pip install 'secretsmanager-async[local]'``.
"""

from __future__ import annotations

import logging
import os
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._credentials.base import Credentials
from .exceptions import ConfigurationError

if TYPE_CHECKING:
    from typing_extensions import Self

#: region the local endpoint pretends to be in when none is given
LOCAL_REGION = "us-east-1"
#: moto accepts any signature; these only have to be well-formed
LOCAL_CREDENTIALS = Credentials("AKIDLOCALENDPOINT", "local-endpoint-dummy-secret")

INSTALL_HINT = "pip install 'secretsmanager-async[local]'"

# moto's server runs botocore code in this process, which fails every request when these name
# a profile the machine lacks; the local endpoint needs no profile, so they are hidden from it
# while it runs (and put back on stop, for whatever runs after, such as `exec`'s command).
_HIDDEN_WHILE_RUNNING = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")


class LocalEndpointUnavailable(ConfigurationError):
    """The embedded local endpoint needs moto, which is not installed."""


class LocalEndpoint:
    """moto's server on 127.0.0.1 on a free port; a context manager that stops it on exit."""

    def __init__(self) -> None:
        self._server: Any = None
        self._hidden: dict[str, str] = {}
        self.url = ""

    def start(self) -> str:
        """Start the server and return its base URL."""
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as e:
            raise LocalEndpointUnavailable(
                f"the local endpoint needs moto, which is not installed: {INSTALL_HINT}"
            ) from e
        # werkzeug logs one INFO line per request; a demo makes hundreds.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        for name in _HIDDEN_WHILE_RUNNING:
            if name in os.environ:
                self._hidden[name] = os.environ.pop(name)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        try:
            server.start()
        except BaseException:
            self.stop()
            raise
        self._server = server
        host, port = server.get_host_and_port()
        self.url = f"http://{host}:{port}"
        return self.url

    def stop(self) -> None:
        """Stop the server (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()
        os.environ.update(self._hidden)
        self._hidden.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
