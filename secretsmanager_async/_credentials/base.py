"""The credentials value type and the provider protocol."""

from __future__ import annotations

import datetime as dt
from typing import Protocol, runtime_checkable

import attrs


@attrs.frozen(slots=True)
class Credentials:
    """AWS credentials. The secret key and session token never appear in a repr."""

    access_key_id: str
    secret_access_key: str = attrs.field(repr=False)
    session_token: str | None = attrs.field(default=None, repr=False)
    #: when temporary credentials stop working (timezone-aware); None for long-lived keys
    expiration: dt.datetime | None = attrs.field(default=None, kw_only=True)

    def __str__(self) -> str:
        return f"Credentials(access_key_id={self.access_key_id!r})"


@runtime_checkable
class CredentialsProvider(Protocol):
    """Anything that can produce credentials: return None when it has none to offer."""

    async def load(self) -> Credentials | None: ...
