"""The error-parsing stage: turns AWS JSON 1.1 error responses into typed exceptions."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from .._protocol import HttpRequest, HttpResponse
from .._protocol.jsondoc import JsonDocumentError, decode
from ..exceptions import MODELED_ERRORS, ServiceError
from .base import Handler

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["ErrorParsingStage", "parse_error"]  # parse_error: also the Stubber's errors


class ErrorParsingStage:
    """Raises a :class:`ServiceError` (or its modeled subclass) for every non-2xx response."""

    name = "parse_errors"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        response = await next(request)
        if response.status < 300:
            return response
        raise parse_error(response)


def parse_error(response: HttpResponse) -> ServiceError:
    """Build the exception for an error response; never fails, whatever the body."""
    headers = response.headers
    body: Any = None
    if response.body:
        try:
            body = decode(response.body)
        except JsonDocumentError:
            # an HTML 502 from a proxy, a truncated body, a body nested too deeply, ...: the
            # status and headers still say what happened (a 5xx stays a retryable 5xx)
            body = None
    if not isinstance(body, dict):
        # Some front ends (and moto's auth layer) answer in the Query protocol's XML
        body = _xml_error(response.body)

    raw = headers.get("x-amzn-errortype") or body.get("__type") or body.get("code")
    code = sanitize_code(raw) if isinstance(raw, str) and raw else str(response.status)
    message = body.get("message") or body.get("Message") or ""
    if not isinstance(message, str):
        message = ""
    if not raw and not message:
        message = f"HTTP {response.status} with a non-JSON error body"
    cls = MODELED_ERRORS.get(code, ServiceError)
    error = cls(
        message,
        code=code,
        status_code=response.status,
        request_id=headers.get("x-amzn-requestid"),
        retry_after=retry_after(headers),
    )
    error.server_date = server_date(headers)
    return error


def _xml_error(body: bytes) -> dict[str, str]:
    if not body.lstrip().startswith(b"<"):
        return {}
    # imported here: rare, and not worth their import time on every cold start
    import html
    import re

    found: dict[str, str] = {}
    for name, value in re.findall(rb"<(Code|Message)>([^<]{0,2048})</\1>", body):
        key = "code" if name == b"Code" else "message"
        found.setdefault(key, html.unescape(value.decode("utf-8", "replace")))
    return found


def sanitize_code(raw: str) -> str:
    """``aws.protocoltests#FooError:http://...`` -> ``FooError`` (as the AWS SDKs do)."""
    code = raw.split(":", 1)[0]
    return code.rsplit("#", 1)[-1]


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds the server asked us to wait, if it said so."""
    value = headers.get("x-amz-retry-after")  # milliseconds
    if value is not None:
        try:
            return max(0.0, int(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")  # seconds or an HTTP date
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = server_date({"date": value})
        return None if when is None else max(0.0, when - time.time())


def server_date(headers: Mapping[str, str]) -> float | None:
    """The response ``Date`` header as epoch seconds, for clock-skew correction."""
    value = headers.get("date")
    if not value:
        return None
    import email.utils  # only error responses need it

    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
