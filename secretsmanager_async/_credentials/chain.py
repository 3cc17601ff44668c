"""The default credentials chain: the first provider that has credentials wins.

Order (after explicit ``credentials=``, which the client handles): environment, web identity,
shared files (the profile), container (ECS / EKS Pod Identity), EC2 instance metadata.
An explicit ``profile=`` skips the environment keys (and the web identity variables), as
botocore does; a profile chosen by ``AWS_PROFILE`` does not: the environment keys still win.

Providers are created (and their modules imported) only when the chain reaches them: a process
whose keys are in the environment never imports the STS, XML or subprocess code.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping, Sequence

from ..exceptions import NoCredentialsError
from .base import Credentials, CredentialsProvider
from .common import CredentialsHttp
from .env import EnvProvider

_log = logging.getLogger("secretsmanager_async.credentials")

ProviderFactory = Callable[[], CredentialsProvider]


class CredentialsChain:
    """Tries providers in order; sticks to the first that answers (like botocore).

    ``providers`` is a sequence of (description, factory) pairs; each factory runs once, on
    first use. When the winning provider later returns None the whole chain is tried again.
    """

    def __init__(self, providers: Sequence[tuple[str, ProviderFactory]]) -> None:
        self._entries = list(providers)
        self._instances: dict[int, CredentialsProvider] = {}
        self._winner: CredentialsProvider | None = None
        #: description of the provider that produced the last credentials
        self.source: str | None = None

    def __repr__(self) -> str:
        names = ", ".join(d for d, _ in self._entries)
        return f"CredentialsChain([{names}], source={self.source!r})"

    def _provider(self, index: int) -> CredentialsProvider:
        provider = self._instances.get(index)
        if provider is None:
            provider = self._instances[index] = self._entries[index][1]()
        return provider

    async def aclose(self) -> None:
        """Close the providers created so far (a running ``credential_process`` is killed)."""
        for provider in list(self._instances.values()):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()

    async def load(self) -> Credentials | None:
        """Credentials from the first provider that has some; NoCredentialsError otherwise."""
        winner = self._winner
        if winner is not None:
            creds = await winner.load()
            if creds is not None:
                return creds
            self._winner = None
        for index, (description, _) in enumerate(self._entries):
            provider = self._provider(index)
            creds = await provider.load()
            if creds is not None:
                _log.debug("found credentials in %s", description)
                self._winner = provider
                self.source = description
                return creds
        tried = tuple(d for d, _ in self._entries)
        raise NoCredentialsError(
            "Unable to locate credentials. Tried, in order: "
            + "; ".join(tried)
            + ". Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, choose a profile with "
            "AWS_PROFILE or profile=, or pass credentials= to the client.",
            tried=tried,
        )


def default_chain(
    *,
    profile: str | None = None,
    http: CredentialsHttp,
    environ: Mapping[str, str] | None = None,
    now: Callable[[], dt.datetime] | None = None,
    region: str | None = None,
    process_timeout: float | None = None,
    process_max_bytes: float | None = None,
) -> CredentialsChain:
    """The standard chain for ``profile``, the explicit profile only.

    With ``profile=None`` the shared files use ``AWS_DEFAULT_PROFILE``/``AWS_PROFILE`` or
    "default" and the environment keys come first; a ``profile`` given here skips them.
    ``http`` carries STS, container and IMDS requests; ``environ`` defaults to ``os.environ``
    (read at load time); ``now`` is the clock used to sign STS requests; ``region`` is the
    service client's region, used for STS; ``process_timeout`` / ``process_max_bytes`` bound a
    ``credential_process`` (None: the defaults).
    """

    def web_identity() -> CredentialsProvider:
        from .web_identity import WebIdentityProvider

        return WebIdentityProvider(
            http, profile=profile, environ=environ, now=now, use_env=profile is None, region=region
        )

    def shared() -> CredentialsProvider:
        from .shared import SharedFilesProvider

        return SharedFilesProvider(
            http,
            profile=profile,
            environ=environ,
            now=now,
            region=region,
            process_timeout=process_timeout,
            process_max_bytes=process_max_bytes,
        )

    def container() -> CredentialsProvider:
        from .container import ContainerProvider

        return ContainerProvider(http, environ=environ)

    def imds() -> CredentialsProvider:
        from .imds import ImdsProvider

        return ImdsProvider(http, environ=environ)

    entries: list[tuple[str, ProviderFactory]] = []
    if profile is None:
        entries.append(
            (
                "environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)",
                lambda: EnvProvider(environ),
            )
        )
    profile_label = repr(profile) if profile else "from AWS_PROFILE or 'default'"
    entries += [
        ("web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN)", web_identity),
        (f"shared config and credentials files (profile {profile_label})", shared),
        (
            "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI)",
            container,
        ),
        ("EC2 instance metadata (IMDSv2; AWS_EC2_METADATA_DISABLED turns it off)", imds),
    ]
    return CredentialsChain(entries)


class StaticCredentialsProvider:
    """Fixed credentials (the client's ``credentials=``)."""

    name = "static"

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials

    def __repr__(self) -> str:
        return f"StaticCredentialsProvider({self._credentials})"

    async def load(self) -> Credentials | None:
        """Return the credentials given."""
        return self._credentials
