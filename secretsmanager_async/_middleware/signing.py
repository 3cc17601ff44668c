"""The signing stage: SigV4 for every attempt, with clock-skew correction."""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Awaitable, Callable

from .._credentials.base import Credentials
from .._protocol import HttpRequest, HttpResponse
from .._sigv4 import SigningKeyCache, sign
from ..exceptions import ServiceError
from .base import Handler

#: what code outside ``_middleware`` may import; the rest is this module's own
__all__ = ["SigningStage"]

logger = logging.getLogger("secretsmanager_async")

#: codes with which AWS says the request's signing time is off
CLOCK_SKEW_CODES = frozenset(
    {
        "RequestTimeTooSkewed",
        "RequestExpired",
        "RequestInTheFuture",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "AuthFailure",
    }
)
#: only correct offsets larger than this: small ones are not the cause
MIN_SKEW = 4 * 60.0
#: never correct offsets larger than this: a server Date further off is ignored (and logged
#: once). A day covers every real cause we know of (a clock set in the wrong time zone is off
#: by at most 14 h, a drifting clock by minutes) while a wrong or hostile Date header can no
#: longer move our signing time by years, for every later call.
MAX_SKEW = 24 * 3600.0


class SigningStage:
    """Signs each attempt with a fresh date and the current credentials.

    When the server rejects the signing time and its ``Date`` header shows our clock is off by
    more than a few minutes (:data:`MIN_SKEW`) but at most a day (:data:`MAX_SKEW`), the offset
    is corrected (for every later call of this client too) and the attempt is re-signed and
    sent once more. A ``Date`` further off is ignored, with one WARNING per client.
    "Signature expired" is re-signed and sent once more whatever the measured skew: after a
    Lambda freeze and thaw a request signed just before the freeze arrives late although the
    clock is right.
    """

    name = "sign"

    def __init__(
        self,
        credentials: Callable[[], Awaitable[Credentials]],
        *,
        region: str,
        service: str = "secretsmanager",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.credentials = credentials
        self.region = region
        self.service = service
        self._clock = clock
        self.clock_offset = 0.0
        self._second = -1
        self._now = dt.datetime.fromtimestamp(0, dt.timezone.utc)
        self._keys = SigningKeyCache()
        self._warned_implausible = False

    def now(self) -> dt.datetime:
        """The signing time: the local clock corrected by the learned offset.

        SigV4 dates have one-second resolution, so one datetime serves a whole second.
        """
        second = int(self._clock() + self.clock_offset)
        if second != self._second:
            self._second = second
            self._now = dt.datetime.fromtimestamp(second, dt.timezone.utc)
        return self._now

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        credentials = await self.credentials()
        signed = sign(
            request,
            credentials,
            region=self.region,
            service=self.service,
            now=self.now(),
            key_cache=self._keys,
        )
        try:
            return await next(signed)
        except ServiceError as error:
            if not (self._correct_skew(error) or _signature_expired(error)):
                raise
        request.context.attempts += 1
        signed = sign(
            request,
            await self.credentials(),
            region=self.region,
            service=self.service,
            now=self.now(),
            key_cache=self._keys,
        )
        return await next(signed)

    def _correct_skew(self, error: ServiceError) -> bool:
        if error.code not in CLOCK_SKEW_CODES or error.server_date is None:
            return False
        offset = error.server_date - self._clock()
        if abs(offset - self.clock_offset) < MIN_SKEW:
            return False
        if abs(offset) > MAX_SKEW:
            if not self._warned_implausible:
                self._warned_implausible = True
                logger.warning(
                    "ignoring a server Date %.0f s away from the local clock: beyond the "
                    "%.0f s bound on clock-skew correction (further ones are not logged)",
                    offset,
                    MAX_SKEW,
                )
            return False
        logger.warning("correcting clock skew of %.0f s reported by the server", offset)
        self.clock_offset = offset
        return True


def _signature_expired(error: ServiceError) -> bool:
    return (
        error.code == "InvalidSignatureException"
        and "signature expired" in str(error.message or "").lower()
    )
