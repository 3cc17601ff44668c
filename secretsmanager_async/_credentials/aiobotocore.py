"""Credentials from an aiobotocore session, for providers not implemented here (SSO, ...).

Requires the ``aiobotocore`` extra; aiobotocore is never imported by this module itself: the
session object is duck-typed (``await session.get_credentials()`` returning an object with
``await get_frozen_credentials()``), so this file costs nothing to import.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .base import Credentials


class AioBotocoreCredentialsProvider:
    """Wraps ``aiobotocore.session.AioSession`` (or anything with the same two methods).

    aiobotocore refreshes its own temporary credentials; each :meth:`load` asks it for the
    current frozen set. The expiration, when the session exposes one, is passed on so our
    refresh windows apply too.
    """

    name = "aiobotocore"

    def __init__(self, session: Any) -> None:
        self._session = session
        self._credentials: Any = None

    def __repr__(self) -> str:
        return f"AioBotocoreCredentialsProvider({type(self._session).__name__})"

    async def load(self) -> Credentials | None:
        """None when the aiobotocore session has no credentials either."""
        if self._credentials is None:
            self._credentials = await self._session.get_credentials()
            if self._credentials is None:
                return None
        frozen = await self._credentials.get_frozen_credentials()
        if frozen is None or not frozen.access_key or not frozen.secret_key:
            return None
        return Credentials(
            frozen.access_key,
            frozen.secret_key,
            frozen.token or None,
            expiration=_expiry(self._credentials),
        )


def _expiry(credentials: Any) -> dt.datetime | None:
    # RefreshableCredentials keeps its expiry in _expiry_time; static ones have none
    value = getattr(credentials, "_expiry_time", None)
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    return None
