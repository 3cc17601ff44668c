"""The AWS JSON 1.1 protocol: one :class:`Operation` per API call, and response metadata.

An operation validates and encodes its input model to a request body, and decodes a response
body into its output model. The cattrs converter behind both is built on first use (importing
cattrs and generating hooks costs milliseconds that an import should not pay), then cached.

Nothing here formats a parameter or response *value* into a message: values may be secrets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from .exceptions import ResponseParseError

if TYPE_CHECKING:
    from cattrs import Converter

I = TypeVar("I")  # noqa: E741 - the names used across the package for input/output models
O = TypeVar("O")  # noqa: E741

#: key of the field metadata entry holding a member's wire (service model) name
WIRE = "secretsmanager_async.wire"
#: key under which :meth:`Operation.parse` hands the metadata to the output model's hook;
#: whatever the service sends under it is overwritten
METADATA_KEY = "ResponseMetadata"

# A reusable encoder: json.dumps() with non-default arguments builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_decode = json.loads


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


#: metadata of a model that was not received from the service
NO_METADATA = ResponseMetadata(request_id=None, status_code=0, attempts=0, total_retry_delay=0.0)


class _Codec:
    """The converter hooks of one operation, fetched once."""

    __slots__ = ("structure", "unstructure")

    def __init__(self, conv: Converter, input_type: type[Any], output_type: type[Any] | None):
        self.unstructure: Callable[[Any], dict[str, Any]] = conv.get_unstructure_hook(input_type)
        self.structure: Callable[[Any, Any], Any] | None = (
            None if output_type is None else conv.get_structure_hook(output_type)
        )


_converters: dict[bool, Converter] = {}


def converter(*, detailed: bool = False) -> Converter:
    """The process-wide wire converter, built on first use.

    ``detailed=True`` gives the variant with cattrs' detailed validation, used only to locate
    the field behind a parse failure (it is slower, so the hot path never uses it).
    """
    conv = _converters.get(detailed)
    if conv is None:
        from ._converters import make_converter

        conv = _converters[detailed] = make_converter(detailed_validation=detailed)
    return conv


@attrs.frozen(eq=False)
class Operation(Generic[I, O]):
    """One API operation: its names, its models and the wire mapping between them.

    Instances are module constants in ``_operations``; equality is identity.
    """

    #: the operation's name in the service model, e.g. ``"GetSecretValue"``
    name: str
    #: the ``X-Amz-Target`` header value, e.g. ``"secretsmanager.GetSecretValue"``
    target: str
    input_type: type[I]
    #: None for operations without an output shape (their calls return None)
    output_type: type[O] | None
    #: the generated validator of ``input_type``; raises ParamValidationError
    validate: Callable[[I], None] = attrs.field(repr=False)
    _codec: _Codec | None = attrs.field(init=False, default=None, repr=False)

    def _load_codec(self) -> _Codec:
        codec = _Codec(converter(), self.input_type, self.output_type)
        # A lazily filled cache slot; the frozen class otherwise never changes.
        object.__setattr__(self, "_codec", codec)
        return codec

    def serialize(self, params: I) -> bytes:
        """Validate ``params`` and encode them as the JSON request body.

        Raises :class:`~secretsmanager_async.exceptions.ParamValidationError` naming the
        field and the rule it breaks.
        """
        self.validate(params)
        codec = self._codec or self._load_codec()
        return _encode(codec.unstructure(params)).encode()

    def parse(self, body: bytes, metadata: ResponseMetadata) -> O:
        """Decode a 2xx response body into the output model, with ``metadata`` attached.

        Unknown keys are ignored and missing members are None. Any failure raises
        :class:`~secretsmanager_async.exceptions.ResponseParseError` (the original exception
        as ``__cause__``); its message names the field, never the value.
        """
        codec = self._codec or self._load_codec()
        try:
            data = _decode(body) if body else {}
        except Exception as exc:  # ValueError, UnicodeDecodeError, RecursionError, ...
            raise ResponseParseError(f"{self.name}: response body is not valid JSON") from exc
        if type(data) is not dict:
            message = f"{self.name}: response body is not a JSON object"
            raise ResponseParseError(message) from TypeError(f"got {type(data).__name__}")
        structure = codec.structure
        if structure is None:
            return cast(O, None)
        data[METADATA_KEY] = metadata
        try:
            return cast(O, structure(data, self.output_type))
        except Exception as exc:
            raise ResponseParseError(self._describe_failure(data)) from exc

    def _describe_failure(self, data: dict[str, Any]) -> str:
        """Name the field that made structuring fail, by re-running with detailed validation."""
        from ._converters import locate_error

        prefix = f"{self.name}: invalid response"
        try:
            converter(detailed=True).structure(data, cast(type, self.output_type))
        except Exception as exc:
            try:
                path, reason = locate_error(exc)
            except Exception:  # never let the diagnosis hide the failure
                return prefix
            return f"{prefix}: {path or '(top level)'}: {reason}"
        return prefix
