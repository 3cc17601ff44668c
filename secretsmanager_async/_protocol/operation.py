"""The AWS JSON 1.1 protocol: one :class:`Operation` per API call.

An operation validates and encodes its input model to a request body, and decodes a response
body into its output model. The cattrs converter behind both is built on first use (importing
cattrs and generating hooks costs milliseconds that an import should not pay), then cached.

Nothing here formats a parameter or response *value* into a message: values may be secrets.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from ..exceptions import ResponseParseError
from .jsondoc import JsonDocumentError, decode
from .wire import METADATA_KEY, EmptyResponse, ResponseMetadata

if TYPE_CHECKING:
    from cattrs import Converter

I = TypeVar("I")  # noqa: E741 - the names used across the package for input/output models
O = TypeVar("O")  # noqa: E741

# A reusable encoder: json.dumps() with non-default arguments builds a new one per call.
_encode = json.JSONEncoder(separators=(",", ":")).encode
_decode = decode


class _Codec(Generic[I, O]):
    """An operation's models and converter hooks, resolved once, on first use."""

    __slots__ = ("input_type", "output_type", "structure", "unstructure")

    def __init__(self, conv: Converter, input_type: type[I], output_type: type[O]) -> None:
        self.input_type = input_type
        self.output_type = output_type
        self.unstructure: Callable[[I], dict[str, Any]] = conv.get_unstructure_hook(input_type)
        self.structure: Callable[[Any, type[O]], O] = conv.get_structure_hook(output_type)


_converters: dict[bool, Converter] = {}


def converter(*, detailed: bool = False) -> Converter:
    """The process-wide wire converter, built on first use.

    ``detailed=True`` gives the variant with cattrs' detailed validation, used only to locate
    the field behind a parse failure (it is slower, so the hot path never uses it).
    """
    conv = _converters.get(detailed)
    if conv is None:
        from .converters import make_converter

        conv = _converters[detailed] = make_converter(detailed_validation=detailed)
    return conv


class Operation(Generic[I, O]):
    """One API operation: its names, its models and the wire mapping between them.

    Instances are module constants in ``_generated.operations``; equality is identity. The model
    classes are fetched through ``models`` on first use, so that defining all 26 operations
    builds none of them (see ``_generated.models``).
    """

    # A plain slotted class: it is built at import, where attrs would compile its methods.
    __slots__ = ("_codec", "build_input", "models", "name", "target", "validate")

    def __init__(
        self,
        *,
        name: str,
        target: str,
        models: Callable[[], tuple[type[I], type[O]]],
        validate: Callable[[I, bool], None],
    ) -> None:
        #: the operation's name in the service model, e.g. ``"GetSecretValue"``
        self.name = name
        #: the ``X-Amz-Target`` header value, e.g. ``"secretsmanager.GetSecretValue"``
        self.target = target
        #: returns the input and output model classes (builds them the first time)
        self.models = models
        #: the generated validator of the input model: ``validate(params, limits)`` raises
        #: ParamValidationError; ``limits=False`` checks only types and required members
        self.validate = validate
        #: makes an input model from its members. The first call resolves the models and puts
        #: the input class itself here: later calls cost one slot read, where going through
        #: the models module would cost an attribute lookup (its ``__getattr__`` keeps
        #: CPython from specializing it)
        self.build_input: type[I] = cast("type[I]", self._build_first_input)
        self._codec: _Codec[I, O] | None = None

    def __repr__(self) -> str:
        return f"Operation({self.name!r})"

    @property
    def input_type(self) -> type[I]:
        """The input model class."""
        return self.models()[0]

    @property
    def output_type(self) -> type[O]:
        """The output model class (:class:`EmptyResponse` when the response has no members)."""
        return self.models()[1]

    def _build_first_input(self, **members: Any) -> I:
        input_type = self.build_input = self.models()[0]
        return input_type(**members)

    def _load_codec(self) -> _Codec[I, O]:
        codec = self._codec = _Codec(converter(), *self.models())
        return codec

    def serialize(self, params: I, *, limits: bool = True) -> bytes:
        """Validate ``params`` and encode them as the JSON request body.

        Raises :class:`~secretsmanager_async.exceptions.ParamValidationError` naming the
        field and the rule it breaks. ``limits=False`` skips the model's length, range, size
        and combination rules (the client's ``parameter_validation=False``); the types and
        required members are always checked, so what is sent is always well-formed.
        """
        self.validate(params, limits)
        codec = self._codec or self._load_codec()
        return _encode(codec.unstructure(params)).encode()

    def parse(self, body: bytes, metadata: ResponseMetadata) -> O:
        """Decode a 2xx response body into the output model, with ``metadata`` attached.

        Unknown keys are ignored and missing members are None. An empty body is accepted only
        when the output has no members (:class:`EmptyResponse`). Any failure raises
        :class:`~secretsmanager_async.exceptions.ResponseParseError`; its message names the
        field and the problem, never a value, and its ``__cause__`` is a sanitised summary (the
        original exceptions may hold the body, which may hold a secret).
        """
        codec = self._codec or self._load_codec()
        if not body:
            if codec.output_type is EmptyResponse:
                data: Any = {}
            else:
                # every member absent is no answer at all: not a model of None fields
                raise ResponseParseError(f"{self.name}: empty response body")
        else:
            try:
                data = _decode(body)
            except JsonDocumentError as exc:  # carries a position only, no context
                raise ResponseParseError(f"{self.name}: response body is not valid JSON") from exc
        if type(data) is not dict:
            message = f"{self.name}: response body is not a JSON object"
            raise ResponseParseError(message) from TypeError(f"got {type(data).__name__}")
        data[METADATA_KEY] = metadata
        try:
            return codec.structure(data, codec.output_type)
        except Exception as exc:
            failure: Exception = exc
        # Raised outside the except block: the original (and whatever it chains) may hold
        # response values, so it must not become the new error's __context__.
        message, cause = self._describe_failure(data, codec.output_type, failure)
        del failure
        raise ResponseParseError(message) from cause

    def _describe_failure(
        self, data: dict[str, Any], output_type: type[O], original: Exception
    ) -> tuple[str, Exception]:
        """Name the field that made structuring fail, by re-running with detailed validation.

        Returns the message and a value-free stand-in for ``original`` to chain as the cause.
        """
        from .converters import WireTypeError, WireValueError, locate_error

        prefix = f"{self.name}: invalid response"
        reason = type(original).__name__
        try:
            converter(detailed=True).structure(data, output_type)
        except Exception as exc:
            try:
                path, reason = locate_error(exc)
            except Exception:  # never let the diagnosis hide the failure
                path = None
            else:
                prefix = f"{prefix}: {path or '(top level)'}: {reason}"
        stand_in = WireTypeError if isinstance(original, TypeError) else WireValueError
        return prefix, stand_in(reason)
