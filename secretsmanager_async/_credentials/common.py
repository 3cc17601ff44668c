"""Pieces shared by the providers: the HTTP seam, the retrieval error, response parsing.

Providers never import aiohttp: they talk HTTP through :class:`CredentialsHttp`, which the
client implements over its own session (see ``http.py``) and tests implement however they like.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

# re-exported: the providers import it from here
from .._protocol.jsondoc import JsonDocumentError, decode
from ..exceptions import CredentialRetrievalError as CredentialRetrievalError
from .base import Credentials


class CredentialsHttp(Protocol):
    """The HTTP the providers need: one request, the whole body back.

    Implementations raise :class:`~secretsmanager_async.exceptions.TransportError` subclasses
    for connection failures and timeouts, never their library's own errors.
    """

    async def request(
        self,
        method: str,
        url: str,
        *,
        headers: Mapping[str, str],
        body: bytes = b"",
        connect_timeout: float,
        read_timeout: float,
    ) -> tuple[int, Mapping[str, str], bytes]:
        """Send one request; return (status, lower-case headers, body)."""
        ...


#: the name the lead's brief uses for the same seam
HttpGetter = CredentialsHttp


def parse_timestamp(value: str) -> dt.datetime:
    """An ISO-8601 UTC timestamp as STS/IMDS/ECS write it ("2024-01-01T00:00:00Z")."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    # fromisoformat on 3.10 accepts only 0, 3 or 6 fraction digits
    if "." in text:
        head, _, tail = text.partition(".")
        digits = tail
        zone = ""
        for sep in ("+", "-"):
            if sep in tail:
                digits, _, zone = tail.partition(sep)
                zone = sep + zone
                break
        text = f"{head}.{(digits + '000000')[:6]}{zone}"
    parsed = dt.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed


def parse_credentials_json(provider: str, body: bytes) -> object:
    """Parse a credentials JSON document: the one parser for every JSON credentials source.

    Anything wrong (not UTF-8, not JSON, nested too deep for the parser) becomes a
    :class:`CredentialRetrievalError` naming ``provider``. The error is raised outside the
    ``except`` block so no parser exception (whose ``doc`` holds the keys) hangs off it.
    """
    try:
        return decode(body)
    except JsonDocumentError as e:
        problem = str(e)  # a position and a reason, never document content
    raise CredentialRetrievalError(provider, f"response is not valid JSON: {problem}")


def credentials_from_json(provider: str, body: bytes, *, session_field: str) -> Credentials:
    """Credentials from a JSON document with AccessKeyId/SecretAccessKey/<session_field>/Expiration.

    Error messages name missing fields, never values.
    """
    return credentials_from_document(
        provider, parse_credentials_json(provider, body), session_field=session_field
    )


def credentials_from_document(provider: str, doc: object, *, session_field: str) -> Credentials:
    """Credentials from an already parsed document (see :func:`credentials_from_json`)."""
    if not isinstance(doc, dict):
        raise CredentialRetrievalError(provider, "response is not a JSON object")
    key_id = doc.get("AccessKeyId")
    secret = doc.get("SecretAccessKey")
    if not isinstance(key_id, str) or not key_id or not isinstance(secret, str) or not secret:
        raise CredentialRetrievalError(provider, "response lacks AccessKeyId or SecretAccessKey")
    token = doc.get(session_field)
    expiration = doc.get("Expiration")
    expires: dt.datetime | None = None
    if expiration is not None:
        try:
            expires = parse_timestamp(str(expiration))
        except ValueError:
            raise CredentialRetrievalError(provider, "Expiration is not a timestamp") from None
    return Credentials(
        key_id,
        secret,
        token if isinstance(token, str) and token else None,
        expiration=expires,
    )
