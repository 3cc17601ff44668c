"""Names shared by the operation codec, the converter and the generated models.

The wire-name key of model fields, and the metadata every result carries. Nothing here imports
the rest of the protocol, so the converter and the codec can both build on it.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import attrs

from .scalars import draft_class

O = TypeVar("O")  # noqa: E741 - an operation's output model

#: key of the field metadata entry holding a member's wire (service model) name
WIRE = "secretsmanager_async.wire"
#: key under which :meth:`Operation.parse` hands the metadata to the output model's hook;
#: whatever the service sends under it is overwritten
METADATA_KEY = "ResponseMetadata"


@attrs.frozen(kw_only=True)
class ResponseMetadata:
    """How a response was obtained: request id, HTTP status, attempts and time spent waiting.

    Models built locally (not parsed from a response) carry :data:`NO_METADATA`.
    """

    #: the service's request id (``x-amzn-RequestId``), when it sent one
    request_id: str | None
    #: HTTP status code of the final attempt
    status_code: int
    #: attempts made, the successful one included
    attempts: int
    #: seconds slept between attempts
    total_retry_delay: float


_MetadataDraft = draft_class(ResponseMetadata)
_new = object.__new__


def response_metadata(
    request_id: str | None, status_code: int, attempts: int, total_retry_delay: float
) -> ResponseMetadata:
    """``ResponseMetadata(...)`` as every call builds it: a draft turned into the frozen class."""
    metadata = _new(_MetadataDraft)
    metadata.request_id = request_id
    metadata.status_code = status_code
    metadata.attempts = attempts
    metadata.total_retry_delay = total_retry_delay
    metadata.__class__ = ResponseMetadata
    return metadata  # type: ignore[no-any-return]


#: metadata of a model that was not received from the service
NO_METADATA = ResponseMetadata(request_id=None, status_code=0, attempts=0, total_retry_delay=0.0)


class Request(Generic[O]):
    """Base of every operation's input model; ``O`` is the operation's output model.

    It lets ``client.send(request)`` be typed: the generated stubs declare, for example,
    ``GetSecretValueRequest(Request[GetSecretValueResponse])``.
    """

    __slots__ = ()


@attrs.frozen(kw_only=True)
class EmptyResponse:
    """Result of an operation whose response has no members (``tag_resource``, ...).

    Only ``metadata``, which tells how it was obtained, like every other result.
    """

    metadata: ResponseMetadata = attrs.field(default=NO_METADATA, eq=False)
