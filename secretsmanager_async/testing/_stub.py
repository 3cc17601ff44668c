"""``Stubber``: queued responses for a client's calls, in the shape of botocore's Stubber."""

from __future__ import annotations

import json
import typing
from collections import deque
from pprint import pformat
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from .._generated import models as _models
from .._generated.operations import OPERATIONS
from .._middleware.errors import parse_error
from .._protocol import WIRE, HttpResponse, Operation, ResponseMetadata
from ..exceptions import ParamValidationError, SecretsManagerError

if TYPE_CHECKING:
    from .._client import SecretsManagerClient

__all__ = ["ANY", "StubAssertionError", "StubResponseError", "Stubber", "UnStubbedResponseError"]


class _Any:
    """Equal to everything: an expected parameter whose value is not checked."""

    def __eq__(self, other: object) -> bool:
        return True

    def __ne__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return "<ANY>"


ANY: Any = _Any()


class StubResponseError(AssertionError):
    """A call did not match the stubbed responses."""

    def __init__(self, operation_name: str, reason: str) -> None:
        super().__init__(f"Error getting response stub for operation {operation_name}: {reason}")
        self.operation_name = operation_name

    # picklable and copyable like the library's own errors (args and attributes, no __init__)
    __reduce__ = SecretsManagerError.__reduce__


class StubAssertionError(StubResponseError):
    """A call's parameters differ from the expected parameters."""


class UnStubbedResponseError(StubResponseError):
    """A call was made with no stubbed response left."""


@attrs.frozen
class _Queued:
    operation: Operation[Any, Any]
    expected_params: dict[str, Any] | None
    response: Any = attrs.field(repr=False)
    error: HttpResponse | None = attrs.field(default=None, repr=False)


_METHODS = {
    "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_"): op
    for name, op in OPERATIONS.items()
}
_METADATA = ResponseMetadata(request_id="stubbed", status_code=200, attempts=1,
                             total_retry_delay=0.0)  # fmt: skip
#: auto-filled when not passed, so not compared unless expected_params names it
_AUTO_FILLED = frozenset({"client_request_token"})


class Stubber:
    """Answer ``client``'s calls from a queue, checking each call, like botocore's Stubber.

    While active (``with Stubber(client) as stub:`` or :meth:`activate`), every operation call
    takes the next queued response instead of reaching the network. The call's parameters are
    validated as usual, then compared with ``expected_params`` (keyword arguments as passed to
    the method; :data:`ANY` matches anything). A call of another operation than the next queued
    one, or with nothing queued, fails with :class:`StubResponseError` naming the operation.

    .. versionadded:: 0.2
    """

    def __init__(self, client: SecretsManagerClient) -> None:
        self.client = client
        self._queue: deque[_Queued] = deque()
        self._active = False

    def __enter__(self) -> Stubber:
        self.activate()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.deactivate()

    def activate(self) -> None:
        """Answer the client's calls from the queue from now on."""
        # An instance attribute shadows the class's _invoke, for this client only.
        self.client._invoke = self._invoke  # type: ignore[method-assign]
        self._active = True

    def deactivate(self) -> None:
        """Let the client's calls reach its transport again."""
        self.client.__dict__.pop("_invoke", None)
        self._active = False

    def add_response(
        self, method_name: str, response: Any, expected_params: dict[str, Any] | None = None
    ) -> None:
        """Queue a successful answer: the output model, or a wire-format dict (``"ARN"``...).

        A dict is checked against the operation's output shape now (unknown members and wrong
        types fail here), and decoded by the client's real parser when the call comes.
        """
        operation = _operation(method_name)
        if isinstance(response, dict):
            _check_members(operation.output_type, response, "response")
            operation.parse(json.dumps(response).encode(), _METADATA)  # raises if types are wrong
        elif not isinstance(response, operation.output_type):
            raise TypeError(
                f"{method_name}: response must be a {operation.output_type.__name__} or a dict, "
                f"not {type(response).__name__}"
            )
        self._queue.append(_Queued(operation, expected_params, response))

    def add_client_error(
        self,
        method_name: str,
        service_error_code: str = "",
        service_message: str = "",
        http_status_code: int = 400,
        expected_params: dict[str, Any] | None = None,
    ) -> None:
        """Queue a service error; the call raises what the client raises for that response
        (the modeled subclass of :class:`ServiceError` for a modeled code)."""
        operation = _operation(method_name)
        body = json.dumps({"__type": service_error_code, "message": service_message}).encode()
        headers = {"content-type": "application/x-amz-json-1.1", "x-amzn-requestid": "stubbed"}
        error = HttpResponse(http_status_code, headers, body)
        self._queue.append(_Queued(operation, expected_params, None, error))

    def assert_no_pending_responses(self) -> None:
        """Fail if queued responses were not used."""
        if self._queue:
            raise AssertionError(f"{len(self._queue)} responses remaining in queue.")

    async def _invoke(
        self,
        operation: Operation[Any, Any],
        params: Any,
        *,
        max_throttle_attempts: int | None = None,  # a retry setting: nothing to retry here
        options: object = None,  # a view's timeout and retry settings: nothing to apply here
    ) -> Any:
        if not self._queue:
            raise UnStubbedResponseError(
                operation.name,
                "Unexpected API Call: A call was made but no additional calls expected. "
                "Either the API Call was not stubbed or it was called multiple times.",
            )
        queued = self._queue[0]
        if queued.operation is not operation:
            raise StubResponseError(
                operation.name, f"Operation mismatch: found response for {queued.operation.name}."
            )
        operation.serialize(params)  # the client's own validation, as without the stub
        if queued.expected_params is not None:
            _compare(operation.name, queued.expected_params, _given(params))
        self._queue.popleft()
        if queued.error is not None:
            raise parse_error(queued.error)
        if isinstance(queued.response, dict):
            return operation.parse(json.dumps(queued.response).encode(), _METADATA)
        return queued.response


def _operation(method_name: str) -> Operation[Any, Any]:
    operation = _METHODS.get(method_name)
    if operation is None:
        raise ValueError(f"Client SecretsManagerClient does not have method: {method_name}")
    return operation


def _given(params: Any) -> dict[str, Any]:
    return {
        f.name: getattr(params, f.name)
        for f in attrs.fields(type(params))
        if getattr(params, f.name) is not None
    }


def _compare(operation: str, expected: dict[str, Any], given: dict[str, Any]) -> None:
    given = {k: v for k, v in given.items() if k not in _AUTO_FILLED or k in expected}
    if expected.keys() != given.keys() or any(expected[k] != given[k] for k in expected):
        raise StubAssertionError(
            operation,
            f"Expected parameters:\n{pformat(expected)},\nbut received:\n{pformat(given)}",
        )


class _Models(dict[str, Any]):
    # resolves the models' string annotations; models are built on first access
    def __missing__(self, key: str) -> Any:
        if key in _models.__all__:
            return getattr(_models, key)
        raise KeyError(key)  # then globals and builtins are searched


def _check_members(model: type, data: Any, path: str) -> None:
    """Unknown members of a wire dict fail, naming their path (types are checked by parsing)."""
    if not attrs.has(model) or not isinstance(data, dict):
        return
    hints = typing.get_type_hints(model, globalns=vars(_models), localns=_Models())
    by_wire = {f.metadata.get(WIRE, f.name): f.name for f in attrs.fields(model)}
    for key, value in data.items():
        if key == "ResponseMetadata":
            continue
        if key not in by_wire:
            raise ParamValidationError(f"{path}.{key}", f"is not a member of {model.__name__}")
        hint = hints[by_wire[key]]
        for arg in (hint, *typing.get_args(hint)):
            if attrs.has(arg):
                _check_members(arg, value, f"{path}.{key}")
            elif typing.get_origin(arg) is list and isinstance(value, list):
                (item_type,) = typing.get_args(arg) or (None,)
                for i, item in enumerate(value):
                    _check_members(item_type, item, f"{path}.{key}[{i}]")
