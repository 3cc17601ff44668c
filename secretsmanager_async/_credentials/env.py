"""Credentials from ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``."""

from __future__ import annotations

import os
from collections.abc import Mapping

from .base import Credentials


class EnvProvider:
    """Keys from the environment; None unless both the key id and the secret key are set."""

    name = "env"

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self._environ = environ

    async def load(self) -> Credentials | None:
        """Read the variables (no I/O, no await)."""
        env = os.environ if self._environ is None else self._environ
        key_id = env.get("AWS_ACCESS_KEY_ID")
        secret = env.get("AWS_SECRET_ACCESS_KEY")
        if not key_id or not secret:
            return None
        # AWS_SECURITY_TOKEN is the boto2-era name botocore still reads
        token = env.get("AWS_SESSION_TOKEN") or env.get("AWS_SECURITY_TOKEN") or None
        expiry = env.get("AWS_CREDENTIAL_EXPIRATION")
        if expiry:
            from .common import parse_timestamp

            return Credentials(key_id, secret, token, expiration=parse_timestamp(expiry))
        return Credentials(key_id, secret, token)
