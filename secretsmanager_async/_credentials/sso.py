"""IAM Identity Center (SSO) credentials, natively: the token ``aws sso login`` cached.

A profile names its sign-in either through an ``[sso-session NAME]`` section (``sso_session``,
refreshable tokens) or, in the legacy form, with ``sso_start_url`` and ``sso_region`` on the
profile itself (no refresh). Either way the profile gives ``sso_account_id`` and
``sso_role_name``. The flow, as botocore's:

1. read ``~/.aws/sso/cache/<sha1 of the session name or start URL>.json``;
2. with an ``sso_session``, when the token expires within 15 minutes and the cache holds a
   client registration and a refresh token, refresh it with SSO OIDC ``CreateToken`` and write
   the cache back (atomically, mode 0600), at most once per 30 s;
3. exchange the token for role credentials with the unsigned SSO ``GetRoleCredentials`` call.

Temporary credentials carry their expiration, so the client's refresher calls back in here
in time. Tokens never reach a repr, a log line or an error message.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from .._endpoints import is_valid_region
from .._protocol.jsondoc import JsonDocumentError, decode
from ..exceptions import TransportError
from .base import Credentials
from .common import CredentialRetrievalError, CredentialsHttp, parse_timestamp

_log = logging.getLogger("secretsmanager_async.credentials")

_PROVIDER = "sso"
#: refresh a token that expires within this window (botocore's value)
REFRESH_WINDOW = 15 * 60
#: never try to refresh one token more often than this
REFRESH_INTERVAL = 30
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
#: a token cache file is a few hundred bytes; anything far larger is not one
MAX_CACHE_FILE_BYTES = 1 << 20

Section = Mapping[str, "str | Mapping[str, str]"]


def is_sso_profile(profile: Section) -> bool:
    """Whether the profile signs in through IAM Identity Center."""
    return bool(_get(profile, "sso_session") or _get(profile, "sso_start_url"))


def _get(section: Section, key: str) -> str | None:
    value = section.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def cache_dir() -> str:
    """Where the AWS CLI caches SSO tokens."""
    return os.path.join(os.path.expanduser("~"), ".aws", "sso", "cache")


def cache_path(key: str) -> str:
    """The cache file for a session name (or, in the legacy form, a start URL)."""
    return os.path.join(cache_dir(), hashlib.sha1(key.encode("utf-8")).hexdigest() + ".json")  # noqa: S324 - the CLI's file name scheme, not security


def configured_endpoint(
    env_suffix: str,
    *,
    profile: Section,
    services: Mapping[str, str],
    environ: Mapping[str, str],
) -> str | None:
    """The configured endpoint of one service, in botocore's order, or None.

    ``AWS_ENDPOINT_URL_<SUFFIX>``, then ``AWS_ENDPOINT_URL``, then the profile's services
    section, then its ``endpoint_url``; none of them when endpoint overrides are ignored.
    """
    ignore = environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") or _get(
        profile, "ignore_configured_endpoint_urls"
    )
    if (ignore or "").lower() == "true":
        return None
    url = (
        environ.get(f"AWS_ENDPOINT_URL_{env_suffix}")
        or environ.get("AWS_ENDPOINT_URL")
        or services.get("endpoint_url")
        or _get(profile, "endpoint_url")
    )
    return url.rstrip("/") if url else None


def _regional(host: str, region: str) -> str:
    if not is_valid_region(region):
        raise CredentialRetrievalError(
            _PROVIDER, f"sso_region {region!r} is not a valid region name"
        )
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{host}.{region}.{suffix}"


def _login_hint(profile_name: str) -> str:
    return f"run 'aws sso login --profile {profile_name}'"


class SsoProvider:
    """Role credentials for one SSO profile (see the module docstring)."""

    name = _PROVIDER

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        profile_name: str,
        profile: Section,
        sso_session: Section | None,
        services: Mapping[str, Mapping[str, str]],
        environ: Mapping[str, str] | None = None,
        now: Callable[[], dt.datetime] | None = None,
    ) -> None:
        self._http = http
        self._profile_name = profile_name
        self._profile = profile
        self._environ = os.environ if environ is None else environ
        self._now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self._services = services
        self._last_refresh = -float("inf")
        self._lock = asyncio.Lock()
        self._settings = self._validate(profile_name, profile, sso_session)

    def __repr__(self) -> str:
        return f"SsoProvider(profile={self._profile_name!r})"

    @staticmethod
    def _validate(name: str, profile: Section, session: Section | None) -> dict[str, str | None]:
        session_name = _get(profile, "sso_session")
        settings: dict[str, str | None] = {
            "session_name": session_name,
            "account_id": _get(profile, "sso_account_id"),
            "role_name": _get(profile, "sso_role_name"),
            "start_url": _get(profile, "sso_start_url"),
            "region": _get(profile, "sso_region"),
        }
        if session_name is not None:
            if session is None:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"profile {name!r} names sso_session {session_name!r}, which the config "
                    "file does not define as [sso-session ...]",
                )
            for key in ("start_url", "region"):
                own, shared = settings[key], _get(session, f"sso_{key}")
                if own is not None and shared is not None and own != shared:
                    raise CredentialRetrievalError(
                        _PROVIDER,
                        f"profile {name!r}: sso_{key} differs from its sso-session's",
                    )
                settings[key] = shared or own
        missing = [f"sso_{k}" for k in ("start_url", "region", "account_id", "role_name")]
        missing = [k for k in missing if not settings[k[4:]]]
        if missing:
            raise CredentialRetrievalError(
                _PROVIDER, f"profile {name!r} lacks {', '.join(missing)} for SSO"
            )
        return settings

    async def load(self) -> Credentials | None:
        """Role credentials for the profile, refreshing the SSO token when it is due."""
        token = await self._token()
        return await self._role_credentials(token)

    # -- the token -------------------------------------------------------------------------

    def _cache_key(self) -> str:
        return self._settings["session_name"] or self._settings["start_url"] or ""

    async def _token(self) -> str:
        async with self._lock:  # one refresh at a time per provider
            path = cache_path(self._cache_key())
            cached = await asyncio.to_thread(_read_cache, path)
            if cached is None:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"no SSO token cached for profile {self._profile_name!r}; "
                    + _login_hint(self._profile_name),
                )
            access_token = cached.get("accessToken")
            expires = _timestamp(cached.get("expiresAt"))
            if not isinstance(access_token, str) or not access_token or expires is None:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"the cached SSO token for profile {self._profile_name!r} is malformed; "
                    + _login_hint(self._profile_name),
                )
            now = self._now()
            remaining = (expires - now).total_seconds()
            if remaining <= REFRESH_WINDOW and self._settings["session_name"] is not None:
                refreshed = await self._refresh(path, cached, now)
                if refreshed is not None:
                    return refreshed
            if remaining <= 0:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"the SSO session of profile {self._profile_name!r} has expired; "
                    + _login_hint(self._profile_name),
                )
            return access_token

    async def _refresh(self, path: str, cached: dict[str, Any], now: dt.datetime) -> str | None:
        """A refreshed token (written back to the cache), or None to go on with the old one."""
        client_id = cached.get("clientId")
        client_secret = cached.get("clientSecret")
        refresh_token = cached.get("refreshToken")
        registration_expires = _timestamp(cached.get("registrationExpiresAt"))
        if not (
            isinstance(client_id, str)
            and isinstance(client_secret, str)
            and isinstance(refresh_token, str)
            and registration_expires is not None
            and registration_expires > now
        ):
            return None
        if time.monotonic() - self._last_refresh < REFRESH_INTERVAL:
            return None
        self._last_refresh = time.monotonic()
        region = self._settings["region"] or ""
        base = self._endpoint("SSO_OIDC", "sso_oidc") or _regional("oidc", region)
        body = json.dumps(
            {
                "grantType": "refresh_token",
                "clientId": client_id,
                "clientSecret": client_secret,
                "refreshToken": refresh_token,
            }
        ).encode()
        try:
            status, _headers, payload = await self._http.request(
                "POST",
                f"{base}/token",
                headers={"Content-Type": "application/json"},
                body=body,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
            )
        except TransportError as e:
            _log.warning("SSO token refresh failed (%s); using the cached token", type(e).__name__)
            return None
        doc = _json_object(payload) if status == 200 else None
        access_token = doc.get("accessToken") if doc else None
        expires_in = doc.get("expiresIn") if doc else None
        if (
            doc is None
            or not isinstance(access_token, str)
            or not access_token
            or not isinstance(expires_in, int)
            or isinstance(expires_in, bool)
        ):
            _log.warning("SSO token refresh failed (HTTP %d); using the cached token", status)
            return None
        updated = dict(cached)
        updated["accessToken"] = access_token
        updated["expiresAt"] = _format_timestamp(now + dt.timedelta(seconds=expires_in))
        new_refresh = doc.get("refreshToken")
        if isinstance(new_refresh, str) and new_refresh:
            updated["refreshToken"] = new_refresh
        try:
            await asyncio.to_thread(_write_cache, path, updated)
        except OSError as e:
            _log.warning("could not write the refreshed SSO token back: %s", e.strerror)
        _log.debug("refreshed the SSO token of profile %r", self._profile_name)
        return access_token

    # -- the role credentials --------------------------------------------------------------

    def _endpoint(self, env_suffix: str, service_key: str) -> str | None:
        return configured_endpoint(
            env_suffix,
            profile=self._profile,
            services=self._services.get(service_key, {}),
            environ=self._environ,
        )

    async def _role_credentials(self, token: str) -> Credentials:
        region = self._settings["region"] or ""
        base = self._endpoint("SSO", "sso") or _regional("portal.sso", region)
        query = urlencode(
            {
                "account_id": self._settings["account_id"] or "",
                "role_name": self._settings["role_name"] or "",
            }
        )
        try:
            status, _headers, payload = await self._http.request(
                "GET",
                f"{base}/federation/credentials?{query}",
                headers={"x-amz-sso_bearer_token": token},
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
            )
        except TransportError as e:
            raise CredentialRetrievalError(
                _PROVIDER, f"GetRoleCredentials failed: {type(e).__name__}: {e}"
            ) from None
        if status in (401, 403):
            raise CredentialRetrievalError(
                _PROVIDER,
                f"the SSO token of profile {self._profile_name!r} was refused (HTTP {status}); "
                + _login_hint(self._profile_name),
            )
        if status != 200:
            raise CredentialRetrievalError(_PROVIDER, f"GetRoleCredentials returned HTTP {status}")
        doc = _json_object(payload)
        role = doc.get("roleCredentials") if doc else None
        if not isinstance(role, dict):
            raise CredentialRetrievalError(_PROVIDER, "GetRoleCredentials: no roleCredentials")
        key_id, secret = role.get("accessKeyId"), role.get("secretAccessKey")
        session_token, expiration = role.get("sessionToken"), role.get("expiration")
        if not (
            isinstance(key_id, str)
            and key_id
            and isinstance(secret, str)
            and secret
            and isinstance(session_token, str)
            and isinstance(expiration, int)
            and not isinstance(expiration, bool)
        ):
            raise CredentialRetrievalError(
                _PROVIDER, "GetRoleCredentials: roleCredentials lacks a required field"
            )
        return Credentials(
            key_id,
            secret,
            session_token or None,
            expiration=dt.datetime.fromtimestamp(expiration / 1000, dt.timezone.utc),
        )


def _json_object(payload: bytes) -> dict[str, Any] | None:
    try:
        doc = decode(payload)
    except JsonDocumentError:
        return None
    return doc if isinstance(doc, dict) else None


def _timestamp(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _format_timestamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_cache(path: str) -> dict[str, Any] | None:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_CACHE_FILE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CACHE_FILE_BYTES:
        return None
    return _json_object(data)


def _write_cache(path: str, doc: Mapping[str, Any]) -> None:
    """Replace the cache file atomically, readable by its owner only (as the CLI writes it)."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
