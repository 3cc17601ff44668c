"""Clock-skew correction is bounded: a server Date more than MAX_SKEW away is ignored."""

from __future__ import annotations

import contextlib
import logging

import pytest

from secretsmanager_async import CallContext, Credentials, HttpRequest, HttpResponse, ServiceError
from secretsmanager_async._middleware.signing import MAX_SKEW, MIN_SKEW, SigningStage

NOW = 1_700_000_000.0


async def _credentials() -> Credentials:
    return Credentials("AKIDSKEW", "skew-secret-key")


def _stage() -> SigningStage:
    return SigningStage(_credentials, region="us-east-1", clock=lambda: NOW)


def _skewed(offset: float) -> ServiceError:
    # not "Signature expired", which is re-signed once whatever the skew (a Lambda thaw)
    error = ServiceError(
        "Signature not yet current", code="InvalidSignatureException", status_code=400
    )
    error.server_date = NOW + offset
    return error


async def _call(stage: SigningStage, offset: float) -> int:
    """One call whose first attempt is rejected for skew; returns the attempts made."""
    sent: list[HttpRequest] = []

    async def next(request: HttpRequest) -> HttpResponse:
        sent.append(request)
        if len(sent) == 1:
            raise _skewed(offset)
        return HttpResponse(200, {}, b"{}")

    request = HttpRequest("POST", "https://h.example/", {}, b"{}", CallContext("GetSecretValue"))
    with contextlib.suppress(ServiceError):
        await stage.handle(request, next)
    return len(sent)


@pytest.mark.parametrize("sign", [1, -1])
async def test_offsets_up_to_the_bound_are_corrected(sign: int) -> None:
    """An offset between MIN_SKEW and MAX_SKEW (either way) is learned and the call re-signed."""
    for offset in (MIN_SKEW + 60, 14 * 3600.0, MAX_SKEW - 60):
        stage = _stage()
        assert await _call(stage, sign * offset) == 2
        assert stage.clock_offset == sign * offset


async def test_offsets_beyond_the_bound_are_ignored_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A Date further off than MAX_SKEW (here 2001) changes nothing and warns once per client."""
    caplog.set_level(logging.WARNING, logger="secretsmanager_async")
    stage = _stage()
    year_2001 = 978_307_200.0 - NOW
    for offset in (MAX_SKEW + 60, year_2001, -MAX_SKEW - 60):
        assert await _call(stage, offset) == 1
        assert stage.clock_offset == 0.0
    records = [r for r in caplog.records if "ignoring a server Date" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.WARNING]
    assert MAX_SKEW == 24 * 3600.0  # the documented bound
