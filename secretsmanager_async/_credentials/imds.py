"""EC2 instance metadata (IMDSv2 only): PUT a session token, then GET the role's credentials.

Settings from the environment, as botocore: ``AWS_EC2_METADATA_DISABLED=true`` turns it off,
``AWS_EC2_METADATA_SERVICE_ENDPOINT`` overrides the endpoint,
``AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6`` picks ``[fd00:ec2::254]``,
``AWS_METADATA_SERVICE_TIMEOUT`` / ``AWS_METADATA_SERVICE_NUM_ATTEMPTS`` tune the requests.
Not reachable, no token, no role: "no credentials here" (None), IMDS being the chain's last
resort. An answer we cannot use (a token that is not a header value, an invalid role name, a
credentials document that is not valid JSON or lacks keys) raises CredentialRetrievalError,
which never quotes what IMDS sent.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Mapping

from ..exceptions import TransportError
from .base import Credentials
from .common import CredentialRetrievalError, CredentialsHttp, credentials_from_json

_log = logging.getLogger("secretsmanager_async.credentials")

IPV4_ENDPOINT = "http://169.254.169.254"
IPV6_ENDPOINT = "http://[fd00:ec2::254]"
TOKEN_PATH = "/latest/api/token"  # noqa: S105 - a URL path, not a secret
ROLE_PATH = "/latest/meta-data/iam/security-credentials/"
TOKEN_TTL_SECONDS = 21600
TTL_HEADER = "X-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "X-aws-ec2-metadata-token"  # noqa: S105 - a header name
_PROVIDER = "imds"
#: what a token may hold: visible ASCII, so it can be sent back as a header value as it is
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")
#: IAM role names: the only thing we put into a metadata path
_ROLE_NAME = re.compile(r"[\w+=,.@-]{1,128}")


class ImdsProvider:
    """Instance profile credentials from the EC2 instance metadata service."""

    name = _PROVIDER

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        environ: Mapping[str, str] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._environ = environ
        self._monotonic = monotonic
        self._token: str | None = None
        self._token_expires = 0.0

    def __repr__(self) -> str:
        return f"ImdsProvider(endpoint={self.endpoint()!r})"

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    def disabled(self) -> bool:
        """``AWS_EC2_METADATA_DISABLED=true``."""
        return self._env().get("AWS_EC2_METADATA_DISABLED", "").strip().lower() == "true"

    def endpoint(self) -> str:
        """The base URL (no trailing slash)."""
        env = self._env()
        override = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        if override:
            return override.rstrip("/")
        mode = env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "IPv4").strip().lower()
        if mode == "ipv6":
            return IPV6_ENDPOINT
        if mode != "ipv4":
            raise CredentialRetrievalError(
                _PROVIDER, "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE must be IPv4 or IPv6"
            )
        return IPV4_ENDPOINT

    def _timeout_and_attempts(self) -> tuple[float, int]:
        env = self._env()
        try:
            timeout = float(env.get("AWS_METADATA_SERVICE_TIMEOUT") or 1.0)
            attempts = int(env.get("AWS_METADATA_SERVICE_NUM_ATTEMPTS") or 1)
        except ValueError:
            raise CredentialRetrievalError(
                _PROVIDER, "AWS_METADATA_SERVICE_TIMEOUT/_NUM_ATTEMPTS must be numbers"
            ) from None
        return timeout, max(1, attempts)

    async def _send(
        self, method: str, path: str, headers: Mapping[str, str]
    ) -> tuple[int, bytes] | None:
        timeout, attempts = self._timeout_and_attempts()
        url = self.endpoint() + path
        for _ in range(attempts):
            try:
                status, _, body = await self._http.request(
                    method,
                    url,
                    headers=headers,
                    connect_timeout=timeout,
                    # botocore uses its one timeout for both; reads get 2x so a slow but
                    # reachable IMDS still answers
                    read_timeout=max(timeout, 2.0),
                )
            except TransportError as exc:
                _log.debug("IMDS %s %s failed: %s", method, path, type(exc).__name__)
                continue
            if status >= 500:
                continue
            return status, body
        return None

    async def _get_token(self, *, fresh: bool = False) -> str | None:
        if not fresh and self._token is not None and self._monotonic() < self._token_expires:
            return self._token
        got = await self._send("PUT", TOKEN_PATH, {TTL_HEADER: str(TOKEN_TTL_SECONDS)})
        if got is None or got[0] != 200 or not got[1]:
            _log.debug("IMDS token request failed (%s)", got[0] if got else "unreachable")
            self._token = None
            return None
        token = got[1].decode("ascii", "replace").strip()
        if not _TOKEN_CHARS.fullmatch(token):
            # CR/LF or other bytes a header cannot carry (the endpoint is broken or hostile);
            # the token itself is never shown
            self._token = None
            raise CredentialRetrievalError(
                _PROVIDER, "IMDS returned a session token that is not a valid header value"
            )
        self._token = token
        # reuse the token until a minute before its TTL runs out
        self._token_expires = self._monotonic() + TOKEN_TTL_SECONDS - 60
        return self._token

    async def _get(self, path: str) -> tuple[int, bytes] | None:
        token = await self._get_token()
        if token is None:
            return None
        got = await self._send("GET", path, {TOKEN_HEADER: token})
        if got is not None and got[0] == 401:
            # the token expired or IMDS restarted: one more try with a new token
            token = await self._get_token(fresh=True)
            if token is None:
                return None
            got = await self._send("GET", path, {TOKEN_HEADER: token})
        return got

    async def load(self) -> Credentials | None:
        """None when disabled, unreachable, or the instance has no role; raises on bad answers."""
        if self.disabled():
            return None
        listing = await self._get(ROLE_PATH)
        if listing is None or listing[0] != 200:
            return None
        role = listing[1].decode("utf-8", "replace").strip().splitlines()
        if not role or not role[0].strip():
            return None
        name = role[0].strip()
        if not _ROLE_NAME.fullmatch(name):
            raise CredentialRetrievalError(_PROVIDER, "IMDS returned an invalid IAM role name")
        got = await self._get(ROLE_PATH + name)
        if got is None or got[0] != 200:
            return None
        # IMDS answered 200 for the role: a document we cannot use is an error to report (what
        # is wrong, never what it said), not "no credentials here"
        return credentials_from_json(_PROVIDER, got[1], session_field="Token")
