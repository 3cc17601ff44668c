"""Every error the library raises.

```
SecretsManagerError
├── ConfigurationError              bad client settings, endpoint rule errors
│   ├── NoCredentialsError          no provider in the chain found credentials
│   └── CredentialRetrievalError    a configured provider failed (STS, container, process)
├── ParamValidationError            bad call arguments, raised before anything is sent
├── ClientClosedError               a call on a closed client, or one cut short by close()
├── ClientLoopError                 a call from an event loop other than the client's
├── TransportError                  the request did not get a complete HTTP response
│   ├── ConnectError                connection refused / DNS failure
│   │   └── TLSError                certificate or TLS handshake failure (not retried)
│   ├── TransportTimeoutError       a time bound ran out (``timeout`` attribute)
│   │   ├── ConnectTimeoutError
│   │   ├── ReadTimeoutError        no response data for read_timeout
│   │   │   └── AttemptTimeoutError one attempt outlasted attempt_timeout (a drip)
│   │   └── CallTimeoutError        the per-call deadline (timeout) ran out
│   ├── ConnectionClosedError       connection reset or closed mid-response
│   └── ResponseTooLargeError       the body exceeded max_response_bytes (not retried)
├── ResponseParseError              a 2xx response that is not what the model says
└── ServiceError                    an error response (code, message, request_id, status_code)
    ├── DecryptionFailure, EncryptionFailure, InternalServiceError,
    │   InvalidNextTokenException, InvalidParameterException, InvalidRequestException,
    │   LimitExceededException, MalformedPolicyDocumentException, PreconditionNotMetException,
    │   PublicPolicyException, ResourceExistsException, ResourceNotFoundException
    └── (any other code, e.g. ThrottlingException, arrives as a plain ServiceError)
```

Messages never include secret material: request bodies and credentials are never formatted
into them, and no foreign exception that could hold them (a JSON document, an aiohttp request
with its signed headers) is chained as a cause or left as a context.

Every error round-trips through :mod:`pickle`, :func:`copy.copy` and :func:`copy.deepcopy`
with its message and attributes (so one raised in a ``ProcessPoolExecutor`` worker reaches the
parent intact); causes and tracebacks are dropped, as for any pickled exception.
"""

from __future__ import annotations

from typing import Any


def _rebuild(cls: type[BaseException], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    """Recreate an error from its args and attributes, without calling ``__init__``."""
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class SecretsManagerError(Exception):
    """Root of every error raised by secretsmanager_async."""

    def __reduce__(self) -> tuple[Any, ...]:
        # The default reduction calls cls(*args), which breaks every subclass whose __init__
        # takes other (keyword) arguments than its message. Rebuilding from args and __dict__
        # skips __init__, so a subclass with any extra attributes needs nothing of its own.
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class ConfigurationError(SecretsManagerError, ValueError):
    """Client settings are invalid or incomplete (region, endpoint, retry mode, ...)."""


class NoCredentialsError(ConfigurationError):
    """No credentials provider in the chain produced credentials."""

    def __init__(self, message: str, *, tried: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.tried = tried


class CredentialRetrievalError(ConfigurationError):
    """A configured credentials provider failed (STS refused, endpoint down, bad process, ...).

    Unlike :class:`NoCredentialsError`, the provider *was* configured, so the chain stops
    there instead of trying the next one (as botocore does).
    """

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class ParamValidationError(SecretsManagerError, ValueError):
    """A call argument broke a rule of the service model; nothing was sent."""

    def __init__(self, field: str, rule: str) -> None:
        super().__init__(f"{field}: {rule}")
        self.field = field
        self.rule = rule


class ClientClosedError(SecretsManagerError, RuntimeError):
    """The client was closed (before the call, or while it was in flight); create a new one."""


class ClientLoopError(SecretsManagerError, RuntimeError):
    """The client was used from an event loop other than the one of its first call.

    A client (and its connection pool) belongs to one event loop: create one per loop.
    """


class TransportError(SecretsManagerError):
    """The request did not produce a complete HTTP response.

    ``is_retry_safe`` tells the retry stage whether another attempt may help. ``operation``,
    ``host`` and ``attempts`` (the attempts made so far, this one included) say where it
    happened, when known; they survive pickling and copying.
    """

    is_retry_safe: bool = True

    def __init__(
        self,
        message: str = "",
        *,
        operation: str | None = None,
        host: str | None = None,
        attempts: int | None = None,
    ) -> None:
        # Only the message goes into args; the attributes live in __dict__, which
        # SecretsManagerError.__reduce__ restores on unpickling and copying.
        super().__init__(message)
        self.operation = operation
        self.host = host
        self.attempts = attempts


class ConnectError(TransportError):
    """The connection could not be established."""


class TLSError(ConnectError):
    """The TLS handshake failed (an untrusted or mismatched certificate): retrying cannot help."""

    is_retry_safe = False


class TransportTimeoutError(TransportError):
    """A time bound ran out; ``timeout`` is that bound in seconds."""

    def __init__(
        self,
        message: str = "",
        *,
        timeout: float | None = None,
        operation: str | None = None,
        host: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, host=host, attempts=attempts)
        self.timeout = timeout


class ConnectTimeoutError(TransportTimeoutError):
    """Connecting took longer than ``connect_timeout`` (the ``timeout`` attribute)."""


class ReadTimeoutError(TransportTimeoutError):
    """No response data arrived for ``read_timeout`` seconds (the ``timeout`` attribute)."""


class AttemptTimeoutError(ReadTimeoutError):
    """One attempt (connect, send, full body read) outlasted ``attempt_timeout``.

    Raised even when bytes keep trickling in, which a read timeout cannot catch; retried
    like a read timeout.
    """


class ConnectionClosedError(TransportError):
    """The connection was reset or closed before the response was complete."""


class ResponseTooLargeError(TransportError):
    """The response body (decompressed) exceeded ``max_response_bytes`` (``limit``).

    The connection is discarded and the call is not retried: the same request would get the
    same answer.
    """

    is_retry_safe = False

    def __init__(
        self,
        message: str = "",
        *,
        limit: int | None = None,
        operation: str | None = None,
        host: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message, operation=operation, host=host, attempts=attempts)
        self.limit = limit


class CallTimeoutError(TransportTimeoutError):
    """The call's deadline (``timeout``, all attempts and backoff) ran out."""

    is_retry_safe = False


class ResponseParseError(SecretsManagerError):
    """A response body could not be read as the model's output shape."""


class ServiceError(SecretsManagerError):
    """The service answered with an error response.

    ``str(error)`` is the message, after the code when the class does not already name it
    (a plain :class:`ServiceError`), and the request id to quote to AWS support.
    """

    def __init__(
        self,
        message: str,
        *,
        code: str,
        status_code: int,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        # A traceback prints the class name before str(): a modeled class is its code.
        own = code == type(self).__name__
        text = message if own or not message else f"{code}: {message}"
        text = text or ("" if own else code)
        if request_id:
            text = f"{text} (request id {request_id})" if text else f"request id {request_id}"
        super().__init__(text)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.request_id = request_id
        #: seconds the server asked us to wait (Retry-After / x-amz-retry-after)
        self.retry_after = retry_after
        #: the response's Date header as epoch seconds, used to correct clock skew
        self.server_date: float | None = None


# Errors modeled by the service (their shapes carry "exception": true in the model).
# tests/unit/test_exceptions.py checks that this list matches the model exactly.


class DecryptionFailure(ServiceError):
    """The secret could not be decrypted with its KMS key."""


class EncryptionFailure(ServiceError):
    """The secret could not be encrypted with its KMS key."""


class InternalServiceError(ServiceError):
    """The service had an internal error; retried by default."""


class InvalidNextTokenException(ServiceError):
    """The pagination token is invalid."""


class InvalidParameterException(ServiceError):
    """A parameter value is invalid."""


class InvalidRequestException(ServiceError):
    """The request is not valid for the secret's current state."""


class LimitExceededException(ServiceError):
    """A Secrets Manager quota is exhausted (not a transient throttle)."""


class MalformedPolicyDocumentException(ServiceError):
    """The resource policy is not valid JSON or not a valid policy."""


class PreconditionNotMetException(ServiceError):
    """A precondition of the request is not met."""


class PublicPolicyException(ServiceError):
    """The resource policy would grant public access."""


class ResourceExistsException(ServiceError):
    """A resource with that name already exists."""


class ResourceNotFoundException(ServiceError):
    """The secret or resource was not found."""


#: error code -> exception class, for the error-parsing stage
MODELED_ERRORS: dict[str, type[ServiceError]] = {
    cls.__name__: cls
    for cls in (
        DecryptionFailure,
        EncryptionFailure,
        InternalServiceError,
        InvalidNextTokenException,
        InvalidParameterException,
        InvalidRequestException,
        LimitExceededException,
        MalformedPolicyDocumentException,
        PreconditionNotMetException,
        PublicPolicyException,
        ResourceExistsException,
        ResourceNotFoundException,
    )
}

__all__ = [
    "MODELED_ERRORS",
    "AttemptTimeoutError",
    "CallTimeoutError",
    "ClientClosedError",
    "ClientLoopError",
    "ConfigurationError",
    "ConnectError",
    "ConnectTimeoutError",
    "ConnectionClosedError",
    "CredentialRetrievalError",
    "DecryptionFailure",
    "EncryptionFailure",
    "InternalServiceError",
    "InvalidNextTokenException",
    "InvalidParameterException",
    "InvalidRequestException",
    "LimitExceededException",
    "MalformedPolicyDocumentException",
    "NoCredentialsError",
    "ParamValidationError",
    "PreconditionNotMetException",
    "PublicPolicyException",
    "ReadTimeoutError",
    "ResourceExistsException",
    "ResourceNotFoundException",
    "ResponseParseError",
    "ResponseTooLargeError",
    "SecretsManagerError",
    "ServiceError",
    "TLSError",
    "TransportError",
    "TransportTimeoutError",
]
