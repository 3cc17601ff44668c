"""A minimal STS client: AssumeRole (signed) and AssumeRoleWithWebIdentity (unsigned).

Query protocol: a form-encoded POST (``Action=...&Version=2011-06-15``) answered with XML, parsed
with :mod:`xml.etree`. Error messages carry STS's code and message, never keys or tokens.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from urllib.parse import urlencode

from ..exceptions import TransportError
from .base import Credentials
from .common import CredentialRetrievalError, CredentialsHttp, parse_timestamp

_VERSION = "2011-06-15"
_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=utf-8"
# STS is a regular AWS API: longer than the metadata endpoints' 1-2 s, far shorter than 60 s
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
_ATTEMPTS = 3
_RETRYABLE_CODES = frozenset(
    {
        "IDPCommunicationError",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalFailure",
        "ServiceUnavailable",
    }
)


def sts_endpoint(
    region: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    configured: str | None = None,
    use_fips: bool = False,
    ignore_configured: bool | None = None,
) -> tuple[str, str]:
    """The STS endpoint URL and signing region.

    Order: ``AWS_ENDPOINT_URL_STS``, ``AWS_ENDPOINT_URL``, ``configured`` (the profile's
    services section or endpoint_url), then the regional endpoint; with no region, the global
    endpoint signed for us-east-1. ``ignore_configured`` (None: ``AWS_IGNORE_CONFIGURED_
    ENDPOINT_URLS``) skips all three overrides. ``region`` must pass the same check as the
    service's region: it becomes part of the host name.
    """
    from .._endpoints import check_region

    env = os.environ if environ is None else environ
    if region is not None:
        check_region(region)
    signing_region = region or "us-east-1"
    if ignore_configured is None:
        ignore_configured = env.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").lower() == "true"
    if not ignore_configured:
        override = env.get("AWS_ENDPOINT_URL_STS") or env.get("AWS_ENDPOINT_URL") or configured
        if override:
            return override.rstrip("/"), signing_region
    if region is None:
        return "https://sts.amazonaws.com", signing_region
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    host = "sts-fips" if use_fips else "sts"
    return f"https://{host}.{region}.{suffix}", signing_region


def _strip_ns(tag: str) -> str:
    return tag.rpartition("}")[2]


def _find(root: ET.Element, *path: str) -> ET.Element | None:
    node: ET.Element | None = root
    for name in path:
        if node is None:
            return None
        node = next((c for c in node if _strip_ns(c.tag) == name), None)
    return node


def _text(root: ET.Element | None, *path: str) -> str | None:
    if root is None:
        return None
    node = _find(root, *path)
    return node.text.strip() if node is not None and node.text else None


class StsError(CredentialRetrievalError):
    """STS answered with an error response."""

    def __init__(self, provider: str, code: str, message: str, status: int) -> None:
        super().__init__(provider, f"STS {code} (HTTP {status}): {message}")
        self.code = code
        self.status = status


class StsClient:
    """Calls STS over a :class:`CredentialsHttp`. One instance per endpoint."""

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        endpoint_url: str,
        region: str,
        now: Callable[[], dt.datetime] | None = None,
        sleep: Callable[[float], object] | None = None,
    ) -> None:
        self._http = http
        self._url = endpoint_url if endpoint_url.count("/") > 2 else endpoint_url + "/"
        self._region = region
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self._sleep = sleep or asyncio.sleep

    def __repr__(self) -> str:
        return f"StsClient(endpoint_url={self._url!r}, region={self._region!r})"

    async def assume_role(
        self,
        credentials: Credentials,
        *,
        role_arn: str,
        session_name: str,
        external_id: str | None = None,
        duration_seconds: int | None = None,
        provider: str = "assume-role",
    ) -> Credentials:
        """AssumeRole with ``credentials`` (SigV4-signed)."""
        params = {"RoleArn": role_arn, "RoleSessionName": session_name}
        if external_id:
            params["ExternalId"] = external_id
        if duration_seconds:
            params["DurationSeconds"] = str(duration_seconds)
        return await self._call("AssumeRole", params, credentials, provider)

    async def assume_role_with_web_identity(
        self,
        *,
        role_arn: str,
        session_name: str,
        token: str,
        duration_seconds: int | None = None,
        provider: str = "web-identity",
    ) -> Credentials:
        """AssumeRoleWithWebIdentity: the token is the proof, so the request is unsigned."""
        params = {"RoleArn": role_arn, "RoleSessionName": session_name, "WebIdentityToken": token}
        if duration_seconds:
            params["DurationSeconds"] = str(duration_seconds)
        return await self._call("AssumeRoleWithWebIdentity", params, None, provider)

    async def _call(
        self,
        action: str,
        params: dict[str, str],
        credentials: Credentials | None,
        provider: str,
    ) -> Credentials:
        body = urlencode({"Action": action, "Version": _VERSION, **params}).encode()
        headers: Mapping[str, str] = {"Content-Type": _CONTENT_TYPE}
        last: Exception | None = None
        for attempt in range(_ATTEMPTS):
            if attempt:
                await self._sleep(0.1 * 2**attempt)  # type: ignore[misc]
            if credentials is not None:
                headers = self._sign(body, credentials, action)
            try:
                status, _, payload = await self._http.request(
                    "POST",
                    self._url,
                    headers=headers,
                    body=body,
                    connect_timeout=CONNECT_TIMEOUT,
                    read_timeout=READ_TIMEOUT,
                )
            except TransportError as exc:
                last = CredentialRetrievalError(
                    provider, f"{action} could not reach {self._url}: {type(exc).__name__}"
                )
                last.__cause__ = exc
                continue
            if status == 200:
                return self._parse_credentials(action, payload, provider)
            err = self._parse_error(payload, status, provider)
            if status < 500 and err.code not in _RETRYABLE_CODES:
                raise err
            last = err
        assert last is not None
        raise last

    def _sign(self, body: bytes, credentials: Credentials, action: str) -> Mapping[str, str]:
        from .._protocol import CallContext, HttpRequest
        from .._sigv4 import sign

        request = HttpRequest(
            method="POST",
            url=self._url,
            headers={"Content-Type": _CONTENT_TYPE},
            body=body,
            context=CallContext(operation=action),
        )
        signed = sign(request, credentials, region=self._region, service="sts", now=self._now())
        return signed.headers

    @staticmethod
    def _parse_error(payload: bytes, status: int, provider: str) -> StsError:
        code, message = f"HTTP{status}", ""
        try:
            root = ET.fromstring(payload)  # noqa: S314 - STS's own response, no DTDs expanded
        except ET.ParseError:
            return StsError(provider, code, "unparseable error response", status)
        error = _find(root, "Error")
        if error is not None:
            code = _text(error, "Code") or code
            message = _text(error, "Message") or ""
        return StsError(provider, code, message, status)

    @staticmethod
    def _parse_credentials(action: str, payload: bytes, provider: str) -> Credentials:
        try:
            root = ET.fromstring(payload)  # noqa: S314 - STS's own response
        except ET.ParseError:
            raise CredentialRetrievalError(provider, f"{action} response is not XML") from None
        creds = _find(root, f"{action}Result", "Credentials")
        key_id = _text(creds, "AccessKeyId")
        secret = _text(creds, "SecretAccessKey")
        token = _text(creds, "SessionToken")
        expiration = _text(creds, "Expiration")
        if not key_id or not secret or not token or not expiration:
            raise CredentialRetrievalError(provider, f"{action} response lacks credentials")
        try:
            expires = parse_timestamp(expiration)
        except ValueError:
            raise CredentialRetrievalError(
                provider, f"{action} response has a bad Expiration"
            ) from None
        return Credentials(key_id, secret, token, expiration=expires)


def default_session_name(now: dt.datetime | None = None) -> str:
    """A role session name when none is configured (like botocore's ``botocore-session-<ts>``)."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return f"secretsmanager-async-{int(moment.timestamp())}"


def sts_client_for(
    http: CredentialsHttp,
    profile: Mapping[str, object] | None,
    *,
    sts_services: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], dt.datetime] | None = None,
    region: str | None = None,
) -> StsClient:
    """An STS client for the endpoint given by the environment and ``profile``.

    ``region`` is the service client's region (botocore creates STS clients in the region of
    the client that needs credentials); without it, the environment's, then the profile's.
    """
    from .._profiles import ignore_configured_endpoint_urls

    env = os.environ if environ is None else environ
    prof = profile or {}

    def prof_str(key: str) -> str | None:
        value = prof.get(key)
        return value.strip() if isinstance(value, str) and value.strip() else None

    region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or prof_str("region")
    configured = (sts_services or {}).get("endpoint_url") or prof_str("endpoint_url")
    fips = (env.get("AWS_USE_FIPS_ENDPOINT") or prof_str("use_fips_endpoint") or "").lower()
    url, signing_region = sts_endpoint(
        region,
        environ=env,
        configured=configured,
        use_fips=fips == "true",
        ignore_configured=ignore_configured_endpoint_urls(env, prof),
    )
    return StsClient(http, endpoint_url=url, region=signing_region, now=now)
