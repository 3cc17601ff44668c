"""The parse_errors stage: codes, messages and bodies as the AWS SDKs read them."""

from __future__ import annotations

import pytest

from secretsmanager_async._middleware.errors import ErrorParsingStage, parse_error, sanitize_code
from secretsmanager_async._protocol import CallContext, HttpRequest, HttpResponse
from secretsmanager_async.exceptions import (
    ResourceNotFoundException,
    ServiceError,
)


def _response(status: int, body: bytes, **headers: str) -> HttpResponse:
    return HttpResponse(status, {k.replace("_", "-"): v for k, v in headers.items()}, body)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("ResourceNotFoundException", "ResourceNotFoundException"),
        ("com.amazonaws.secretsmanager#ResourceNotFoundException", "ResourceNotFoundException"),
        ("ThrottlingException:http://internal.amazon.com/", "ThrottlingException"),
        ("aws.protocoltests#Foo:http://x#y", "Foo"),
    ],
)
def test_sanitize_code(raw: str, code: str) -> None:
    """Namespaces before '#' and anything after ':' are dropped."""
    assert sanitize_code(raw) == code


def test_header_code_wins_over_body() -> None:
    """x-amzn-errortype is read before the body's __type."""
    error = parse_error(
        _response(
            400,
            b'{"__type": "Other", "message": "m"}',
            x_amzn_errortype="ResourceNotFoundException:http://x",
        )
    )
    assert type(error) is ResourceNotFoundException
    assert error.code == "ResourceNotFoundException"
    assert error.message == "m"


def test_body_type_then_code_and_capital_message() -> None:
    """__type comes before code; Message is read when message is absent."""
    error = parse_error(_response(400, b'{"code": "B", "Message": "big M"}'))
    assert error.code == "B"
    assert error.message == "big M"
    error = parse_error(_response(400, b'{"__type": "ns#A", "code": "B"}'))
    assert error.code == "A"


def test_unknown_code_is_plain_service_error_with_fields() -> None:
    """An unmodeled code arrives as ServiceError carrying code, status and request id."""
    error = parse_error(
        _response(
            400,
            b'{"__type": "ThrottlingException", "message": "slow down"}',
            x_amzn_requestid="rid-1",
        )
    )
    assert type(error) is ServiceError
    assert (error.code, error.status_code, error.request_id) == (
        "ThrottlingException",
        400,
        "rid-1",
    )
    assert "slow down" in str(error)


@pytest.mark.parametrize(
    "body", [b"<html><body>502 Bad Gateway</body></html>", b"", b"[1,2]", b'{"trunc', b"\xff\xfe"]
)
def test_non_json_error_body(body: bytes) -> None:
    """An HTML, empty, non-object or undecodable body becomes a ServiceError with the status."""
    error = parse_error(_response(502, body))
    assert type(error) is ServiceError
    assert error.status_code == 502
    assert error.code == "502"


def test_retry_after_headers() -> None:
    """x-amz-retry-after is milliseconds; Retry-After is seconds."""
    assert parse_error(_response(429, b"{}", x_amz_retry_after="1500")).retry_after == 1.5
    assert parse_error(_response(503, b"{}", retry_after="3")).retry_after == 3.0
    assert parse_error(_response(503, b"{}")).retry_after is None


def test_server_date_is_parsed() -> None:
    """The Date header is kept for clock-skew correction."""
    error = parse_error(_response(403, b"{}", date="Sun, 30 Aug 2015 12:36:00 GMT"))
    assert error.server_date == 1440938160.0


async def test_stage_passes_success_and_raises_errors() -> None:
    """2xx responses pass through untouched; others raise."""
    stage = ErrorParsingStage()
    request = HttpRequest("POST", "http://h/", {}, b"{}", CallContext("Op"))
    ok = HttpResponse(200, {}, b"{}")

    async def good(_: HttpRequest) -> HttpResponse:
        return ok

    async def bad(_: HttpRequest) -> HttpResponse:
        return HttpResponse(404, {}, b'{"__type": "ResourceNotFoundException"}')

    assert await stage.handle(request, good) is ok
    with pytest.raises(ResourceNotFoundException):
        await stage.handle(request, bad)


def test_query_protocol_xml_error_body() -> None:
    """An XML error (Query protocol front ends, moto's auth layer) still yields code and message."""
    body = (
        b"<ErrorResponse><Errors><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code>"
        b"<Message>The request signature we calculated does not match &amp; so on</Message>"
        b"</Error></Errors><RequestId>r</RequestId></ErrorResponse>"
    )
    error = parse_error(_response(403, body))
    assert error.code == "SignatureDoesNotMatch"
    assert error.message.endswith("does not match & so on")
