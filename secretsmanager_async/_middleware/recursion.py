"""The recursion-detection stage: ``X-Amzn-Trace-Id`` on every request sent from AWS Lambda.

Lambda puts the invocation's X-Ray trace header in ``_X_AMZN_TRACE_ID``; forwarding it lets
AWS see a function that triggers itself through a service and stop the loop, and joins the
call to the invocation's trace. botocore and the JavaScript SDK do the same, with the same
percent-encoding. The client adds this stage only when ``AWS_LAMBDA_FUNCTION_NAME`` is set when
it is built, so outside Lambda it costs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Mapping
from urllib.parse import quote

from .._protocol import HttpRequest, HttpResponse
from .base import Handler

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["RecursionDetectionStage", "encode_trace_id", "in_lambda"]

HEADER = "X-Amzn-Trace-Id"
#: characters botocore leaves unencoded in the trace id (besides letters, digits and ``_.-~``)
_SAFE = "-=;:+&[]{}\"',"


def in_lambda(environ: Mapping[str, str] = os.environ) -> bool:
    """True when running in an AWS Lambda function."""
    return "AWS_LAMBDA_FUNCTION_NAME" in environ


def encode_trace_id(trace_id: str) -> str:
    """Percent-encode a trace id as botocore does."""
    return quote(trace_id, safe=_SAFE)


class RecursionDetectionStage:
    """Adds the Lambda invocation's trace id, unless the request already carries one.

    Placed innermost (just above the transport), so a header set by any other middleware is
    seen and left alone; it is added after signing, and SigV4 never signs it (as botocore).
    """

    name = "recursion_detection"

    def __init__(self, environ: Mapping[str, str] = os.environ) -> None:
        self._environ = environ
        # the last trace id and its encoding: one invocation's calls share one id
        self._raw = ""
        self._encoded = ""

    def handle(self, request: HttpRequest, next: Handler) -> Awaitable[HttpResponse]:
        # a plain method (no coroutine of its own); read per request: the runtime sets a new
        # trace id for every invocation
        trace_id = self._environ.get("_X_AMZN_TRACE_ID")
        if not trace_id:
            return next(request)
        headers = request.headers
        for name in headers:
            if name.lower() == "x-amzn-trace-id":
                return next(request)
        if trace_id != self._raw:
            self._encoded = encode_trace_id(trace_id)
            self._raw = trace_id
        new = dict(headers)
        new[HEADER] = self._encoded
        return next(request.with_headers(new))
