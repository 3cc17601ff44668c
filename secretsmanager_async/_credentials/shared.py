"""Credentials from the shared files, for one profile.

Within the profile, the first match wins, as in botocore:

1. ``role_arn`` with ``source_profile`` or ``credential_source`` -> STS AssumeRole with the
   source's credentials (source profiles chain, cycles are refused);
2. ``role_arn`` with ``web_identity_token_file`` -> AssumeRoleWithWebIdentity;
3. ``sso_session`` or ``sso_start_url`` -> IAM Identity Center role credentials (``sso.py``);
4. ``aws_access_key_id`` / ``aws_secret_access_key`` from the credentials file;
5. ``credential_process``;
6. the same static keys from the config file.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .._profiles import SharedFiles, aload_shared_files, resolve_profile_name, service_settings
from ..exceptions import ConfigurationError
from .base import Credentials, CredentialsProvider
from .common import CredentialRetrievalError, CredentialsHttp

if TYPE_CHECKING:
    from .process import CredentialProcessRunner

_PROVIDER = "shared-files"
Profile = Mapping[str, "str | Mapping[str, str]"]


def _get(profile: Profile, key: str) -> str | None:
    value = profile.get(key)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _static(section: Profile | None) -> Credentials | None:
    if not section:
        return None
    key_id = _get(section, "aws_access_key_id")
    secret = _get(section, "aws_secret_access_key")
    if not key_id or not secret:
        return None
    token = _get(section, "aws_session_token") or _get(section, "aws_security_token")
    return Credentials(key_id, secret, token)


class SharedFilesProvider:
    """The profile's credentials, following the order in the module docstring."""

    name = _PROVIDER

    def __init__(
        self,
        http: CredentialsHttp,
        *,
        profile: str | None = None,
        environ: Mapping[str, str] | None = None,
        now: Callable[[], dt.datetime] | None = None,
        region: str | None = None,
        process_timeout: float | None = None,
        process_max_bytes: float | None = None,
    ) -> None:
        self._http = http
        self._profile = profile
        self._environ = environ
        self._now = now
        self._region = region
        self._process_limits = (process_timeout, process_max_bytes)
        self._runner: CredentialProcessRunner | None = None
        self._sso_providers: dict[str, CredentialsProvider] = {}

    def __repr__(self) -> str:
        return f"SharedFilesProvider(profile={self._profile!r})"

    def _env(self) -> Mapping[str, str]:
        return os.environ if self._environ is None else self._environ

    async def load(self) -> Credentials | None:
        """None if the profile has no credentials; errors if it has them but they fail."""
        env = self._env()
        files = await aload_shared_files(env)
        name = resolve_profile_name(self._profile, env)
        if files.profile(name) is None:
            if name == "default":
                return None
            raise ConfigurationError(
                f"profile {name!r} not found in {files.config_path} or {files.credentials_path}"
            )
        return await self._resolve(files, name, visited=(), active=name)

    async def _resolve(
        self, files: SharedFiles, name: str, *, visited: tuple[str, ...], active: str
    ) -> Credentials | None:
        profile = files.profile(name)
        if profile is None:
            raise CredentialRetrievalError(
                _PROVIDER, f"source_profile {name!r} is not defined (via {' -> '.join(visited)})"
            )
        role_arn = _get(profile, "role_arn")
        source_profile = _get(profile, "source_profile")
        credential_source = _get(profile, "credential_source")
        if role_arn and (source_profile or credential_source):
            return await self._assume_role(files, name, profile, visited=visited, active=active)
        if role_arn and _get(profile, "web_identity_token_file"):
            from .web_identity import assume_role_with_web_identity_file

            env = self._env()
            return await assume_role_with_web_identity_file(
                self._http,
                role_arn=role_arn,
                token_file=_get(profile, "web_identity_token_file") or "",
                session_name=_get(profile, "role_session_name"),
                duration=_get(profile, "duration_seconds"),
                profile=files.profile(active),
                sts_services=service_settings(files, files.profile(active) or {}, "sts"),
                environ=env,
                now=self._now,
                region=self._region,
            )
        from .sso import is_sso_profile

        if is_sso_profile(profile):
            return await self._sso(files, name, profile).load()
        from_credentials_file = _static(files.credentials_profiles.get(name))
        if from_credentials_file is not None:
            return from_credentials_file
        process = _get(profile, "credential_process")
        if process:
            return await self._process_runner().run(process)
        return _static(files.config_profiles.get(name))

    def _process_runner(self) -> CredentialProcessRunner:
        # created on first use: most profiles never run a command
        if self._runner is None:
            from .process import CredentialProcessRunner

            timeout, max_bytes = self._process_limits
            self._runner = CredentialProcessRunner(timeout=timeout, max_output_bytes=max_bytes)
        return self._runner

    async def aclose(self) -> None:
        """Kill a ``credential_process`` command still running."""
        if self._runner is not None:
            await self._runner.aclose()

    def _sso(self, files: SharedFiles, name: str, profile: Profile) -> CredentialsProvider:
        # one provider per profile, so its refresh throttle and lock outlive a single load
        provider = self._sso_providers.get(name)
        if provider is None:
            from .sso import SsoProvider

            session_name = _get(profile, "sso_session")
            services_name = _get(profile, "services")
            provider = self._sso_providers[name] = SsoProvider(
                self._http,
                profile_name=name,
                profile=profile,
                sso_session=files.sso_sessions.get(session_name) if session_name else None,
                services=files.services.get(services_name, {}) if services_name else {},
                environ=self._env(),
                now=self._now,
            )
        return provider

    async def _assume_role(
        self,
        files: SharedFiles,
        name: str,
        profile: Profile,
        *,
        visited: tuple[str, ...],
        active: str,
    ) -> Credentials:
        source_profile = _get(profile, "source_profile")
        credential_source = _get(profile, "credential_source")
        if source_profile and credential_source:
            raise CredentialRetrievalError(
                _PROVIDER,
                f"profile {name!r} sets both source_profile and credential_source; keep one",
            )
        if _get(profile, "mfa_serial"):
            raise CredentialRetrievalError(
                _PROVIDER,
                f"profile {name!r} needs an MFA code (mfa_serial), which this library cannot "
                "prompt for; use the aiobotocore adapter or pre-fetched credentials",
            )
        chain = (*visited, name)
        source: Credentials | None
        if credential_source:
            source = await _from_credential_source(credential_source, self._http, self._env())
            what = f"credential_source {credential_source}"
        elif source_profile == name:
            # a profile may name itself: its own static keys are the source
            source = _static(files.profile(name))
            what = f"source_profile {source_profile!r}"
        else:
            assert source_profile is not None
            if source_profile in chain:
                raise CredentialRetrievalError(
                    _PROVIDER,
                    f"source_profile loop: {' -> '.join((*chain, source_profile))}",
                )
            source = await self._resolve(files, source_profile, visited=chain, active=active)
            what = f"source_profile {source_profile!r}"
        if source is None:
            raise CredentialRetrievalError(
                _PROVIDER, f"profile {name!r}: {what} produced no credentials"
            )
        from .sts import default_session_name, sts_client_for

        active_profile = files.profile(active) or {}
        sts = sts_client_for(
            self._http,
            active_profile,
            sts_services=service_settings(files, active_profile, "sts"),
            environ=self._env(),
            now=self._now,
            region=self._region,
        )
        duration = _get(profile, "duration_seconds")
        try:
            duration_seconds = int(duration) if duration else None
        except ValueError:
            raise CredentialRetrievalError(
                _PROVIDER, f"profile {name!r}: duration_seconds must be an integer"
            ) from None
        return await sts.assume_role(
            source,
            role_arn=_get(profile, "role_arn") or "",
            session_name=_get(profile, "role_session_name")
            or default_session_name(self._now() if self._now else None),
            external_id=_get(profile, "external_id"),
            duration_seconds=duration_seconds,
            provider=f"assume-role (profile {name!r})",
        )


async def _from_credential_source(
    source: str, http: CredentialsHttp, environ: Mapping[str, str]
) -> Credentials | None:
    provider: CredentialsProvider
    if source == "Environment":
        from .env import EnvProvider

        provider = EnvProvider(environ)
    elif source == "Ec2InstanceMetadata":
        from .imds import ImdsProvider

        provider = ImdsProvider(http, environ=environ)
    elif source == "EcsContainer":
        from .container import ContainerProvider

        provider = ContainerProvider(http, environ=environ)
    else:
        raise CredentialRetrievalError(
            _PROVIDER,
            f"credential_source {source!r} is not one of Environment, Ec2InstanceMetadata, "
            "EcsContainer",
        )
    return await provider.load()
