"""``MotoTransport``: our client inside moto's ``mock_aws``, on moto's in-process backend."""

from __future__ import annotations

from typing import Any

from .._protocol import HttpRequest, HttpResponse
from ..exceptions import ConfigurationError

__all__ = ["MotoTransport"]


class MotoTransport:
    """Hands each request to moto's in-process backend, the one boto3 reaches under
    ``mock_aws``, so both clients share state. moto must be installed (it is imported on the
    first request) and a ``mock_aws`` must be active when requests are sent.

    .. versionadded:: 0.2
    """

    async def send(self, request: HttpRequest) -> HttpResponse:
        """Dispatch through moto's request router, as its botocore hook does."""
        try:
            from botocore.awsrequest import AWSPreparedRequest
            from botocore.compat import HTTPHeaders
            from moto.core.models import botocore_stubber
        except ImportError as e:
            raise ConfigurationError(
                "MotoTransport: moto is not installed (pip install 'moto[secretsmanager]')"
            ) from e
        if not botocore_stubber.enabled:
            raise ConfigurationError(
                "MotoTransport: no moto mock is active; send requests inside 'with mock_aws():'"
            )
        headers = HTTPHeaders()
        for name, value in request.headers.items():
            headers[name] = value
        aws_request = AWSPreparedRequest(
            method=request.method,
            url=request.url,
            headers=headers,
            body=request.body,
            stream_output=False,
        )
        answer: Any = botocore_stubber.process_request(aws_request)
        if answer is None:
            raise ConfigurationError(f"MotoTransport: moto does not serve {request.url}")
        status, response_headers, body = answer
        if isinstance(body, str):
            body = body.encode()
        return HttpResponse(
            int(status), {str(k).lower(): str(v) for k, v in response_headers.items()}, body
        )

    async def close(self) -> None:
        """Nothing to release."""
