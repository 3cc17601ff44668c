"""Web identity: exchange an OIDC token file for role credentials (EKS IRSA, GitHub OIDC, ...).

Each setting comes from the environment first, then the profile: ``AWS_ROLE_ARN`` /
``role_arn``, ``AWS_WEB_IDENTITY_TOKEN_FILE`` / ``web_identity_token_file``,
``AWS_ROLE_SESSION_NAME`` / ``role_session_name``. The token file is read on every load, off the
event loop, because its issuer rotates it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from collections.abc import Callable, Mapping

from .base import Credentials
from .common import CredentialRetrievalError, CredentialsHttp

_PROVIDER = "web-identity"


def _read_token(path: str) -> str:
    from .._files import read_regular_file  # a FIFO would block its thread forever

    return read_regular_file(path).strip()


class WebIdentityProvider:
    """AssumeRoleWithWebIdentity with a token read from a file."""

    name = _PROVIDER

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        profile: str | None = None,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], dt.datetime] | None = None,
        use_env: bool = True,
        region: str | None = None,
    ) -> None:
        self._http = http
        self._profile = profile
        self._environ = environ
        self._now = now
        self._use_env = use_env
        self._region = region

    def __repr__(self) -> str:
        return f"WebIdentityProvider(profile={self._profile!r})"

    async def load(self) -> Credentials | None:
        """None unless both a role ARN and a token file are configured."""
        from .._profiles import aload_shared_files, resolve_profile_name, service_settings

        env = os.environ if self._environ is None else self._environ
        files = await aload_shared_files(env)
        profile = files.profile(resolve_profile_name(self._profile, env)) or {}

        def setting(env_name: str, key: str) -> str | None:
            value = env.get(env_name) if self._use_env else None
            if not value:
                prof = profile.get(key)
                value = prof if isinstance(prof, str) else None
            return value.strip() if value and value.strip() else None

        if (
            "role_arn" in profile
            and "web_identity_token_file" not in profile
            and ("source_profile" in profile or "credential_source" in profile)
        ):
            # botocore's assume-role provider comes before this one and claims such profiles:
            # leave it to the shared-files provider, which assumes the role
            return None
        role_arn = setting("AWS_ROLE_ARN", "role_arn")
        token_file = setting("AWS_WEB_IDENTITY_TOKEN_FILE", "web_identity_token_file")
        if not role_arn or not token_file:
            return None
        return await assume_role_with_web_identity_file(
            self._http,
            role_arn=role_arn,
            token_file=token_file,
            session_name=setting("AWS_ROLE_SESSION_NAME", "role_session_name"),
            duration=setting("AWS_ROLE_DURATION_SECONDS", "duration_seconds"),
            profile=profile,
            sts_services=service_settings(files, profile, "sts") if profile else None,
            environ=env,
            now=self._now,
            region=self._region,
        )


async def assume_role_with_web_identity_file(
    http: CredentialsHttp,
    *,
    role_arn: str,
    token_file: str,
    session_name: str | None,
    duration: str | None,
    profile: Mapping[str, object] | None,
    sts_services: Mapping[str, str] | None,
    environ: Mapping[str, str],
    now: Callable[[], dt.datetime] | None,
    region: str | None = None,
) -> Credentials:
    """Read ``token_file`` off the loop and call AssumeRoleWithWebIdentity."""
    from .sts import default_session_name, sts_client_for

    # the endpoint (and its region check) first: a bad region fails before the token is read
    sts = sts_client_for(
        http, profile, sts_services=sts_services, environ=environ, now=now, region=region
    )
    try:
        token = await asyncio.to_thread(_read_token, token_file)
    except OSError as exc:
        raise CredentialRetrievalError(
            _PROVIDER,
            f"cannot read web identity token file {token_file!r}: "
            f"{exc.strerror or type(exc).__name__}",
        ) from None
    if not token:
        raise CredentialRetrievalError(
            _PROVIDER, f"web identity token file {token_file!r} is empty"
        )
    return await sts.assume_role_with_web_identity(
        role_arn=role_arn,
        session_name=session_name or default_session_name(now() if now else None),
        token=token,
        duration_seconds=_duration(duration),
        provider=_PROVIDER,
    )


def _duration(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise CredentialRetrievalError(_PROVIDER, "duration_seconds must be an integer") from None
