"""What kind of failure an error is: throttling, transient, or neither (permanent).

A property of errors, not of the retry stage: the retry stage decides from it whether to try
again, and the helpers built on the public API (the cache's stale-if-error, the bulk fetch's
per-id results) decide from it whether a failure is worth serving stale or retrying.
"""

from __future__ import annotations

from typing import Literal

from .exceptions import SecretsManagerError, ServiceError, TransportError

__all__ = [
    "THROTTLING_CODES",
    "TRANSIENT_CODES",
    "TRANSIENT_STATUS",
    "ErrorKind",
    "classify",
]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
TRANSIENT_CODES = frozenset(
    {
        "InternalServiceError",
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "RequestTimeout",
        "RequestTimeoutException",
        "IDPCommunicationError",
    }
)
TRANSIENT_STATUS = frozenset({500, 502, 503, 504})


ErrorKind = Literal["throttle", "transient"]


def classify(error: SecretsManagerError) -> ErrorKind | None:
    """Whether an error is worth another attempt, and of which kind."""
    if isinstance(error, ServiceError):
        if error.status_code == 429 or error.code in THROTTLING_CODES:
            return "throttle"
        if error.status_code in TRANSIENT_STATUS or error.code in TRANSIENT_CODES:
            return "transient"
        return None
    if isinstance(error, TransportError) and error.is_retry_safe:
        return "transient"
    return None
