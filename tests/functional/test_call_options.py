"""Per-call options (``with_options`` views) and the command style (``send``)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import attrs
import pytest

from secretsmanager_async import (
    CallTimeoutError,
    ClientView,
    ConfigurationError,
    Credentials,
    GetSecretValueRequest,
    GetSecretValueResponse,
    SecretsManagerClient,
    ServiceError,
    Tag,
)
from secretsmanager_async._generated import models
from secretsmanager_async._generated.operations import OPERATIONS
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async._protocol import EmptyResponse, HttpRequest, HttpResponse
from secretsmanager_async.testing import FakeTransport, error_response, json_response

CREDS = Credentials("AKIDFAKE", "fake-secret-key")
GSV = {"ARN": "arn:aws:secretsmanager:us-east-1:1:secret:a-1", "Name": "a", "SecretString": "v"}


def make(transport: FakeTransport, **kwargs: Any) -> SecretsManagerClient:
    client = SecretsManagerClient(
        region="us-east-1", credentials=CREDS, transport=transport, **kwargs
    )
    client.middleware["retry"].backoff = False  # type: ignore[attr-defined]
    return client


def unavailable() -> HttpResponse:
    return error_response("ServiceUnavailable", status=503)


async def test_max_attempts_override_applies_to_the_view_only() -> None:
    """A view with max_attempts=5 survives four 503s; the client (3 attempts) still stops at 3."""
    transport = FakeTransport().add(*(unavailable() for _ in range(4)), json_response(200, GSV))
    async with make(transport) as client:
        result = await client.with_options(max_attempts=5).get_secret_value(secret_id="a")
        assert result.metadata.attempts == 5
        assert transport.requests[-1].headers["amz-sdk-request"] == "attempt=5; max=5"
        transport.add(*(unavailable() for _ in range(4)))
        with pytest.raises(ServiceError) as info:
            await client.get_secret_value(secret_id="a")
        assert info.value.code == "ServiceUnavailable"
        assert transport.requests[-1].headers["amz-sdk-request"] == "attempt=3; max=3"
        assert len(transport.requests) == 8


async def test_max_attempts_one_disables_retries_for_the_view() -> None:
    """max_attempts=1 in a view: the first 503 is raised."""
    transport = FakeTransport().add(unavailable())
    async with make(transport) as client:
        with pytest.raises(ServiceError):
            await client.with_options(max_attempts=1).describe_secret(secret_id="a")
    assert len(transport.requests) == 1


async def test_timeout_override_and_isolation() -> None:
    """A view's timeout cuts a slow call; the client's own calls keep their (longer) timeout."""

    async def slow(request: HttpRequest) -> HttpResponse:
        await asyncio.sleep(0.2)
        return json_response(200, GSV)

    async with make(FakeTransport(slow), timeout=5.0) as client:
        with pytest.raises(CallTimeoutError) as info:
            await client.with_options(timeout=0.05).get_secret_value(secret_id="a")
        assert info.value.timeout == 0.05
        result = await client.get_secret_value(secret_id="a")  # 0.2 s < 5 s
        assert result.name == "a"


async def test_views_share_the_retry_quota() -> None:
    """Retries made through a view take tokens from the client's quota."""
    transport = FakeTransport().add(unavailable(), json_response(200, GSV))
    async with make(transport) as client:
        quota = client.middleware["retry"].quota  # type: ignore[attr-defined]
        before = quota.available
        await client.with_options(max_attempts=2).get_secret_value(secret_id="a")
        # a retry took 14 tokens; the success gave them back
        assert quota.available == before
        transport.add(unavailable(), unavailable())
        with pytest.raises(ServiceError):
            await client.with_options(max_attempts=2).get_secret_value(secret_id="a")
        assert quota.available == before - 14


async def test_adaptive_retry_mode_override() -> None:
    """retry_mode='adaptive' on a standard client: the view's throttles start a rate limiter."""
    transport = FakeTransport().add(error_response("ThrottlingException"), json_response(200, GSV))
    async with make(transport) as client:
        stage = client.middleware["retry"]
        await client.with_options(retry_mode="adaptive").get_secret_value(secret_id="a")
        limiter = stage._adaptive_overrides["GetSecretValue"]  # type: ignore[attr-defined]
        assert limiter.enabled
        assert stage.rate_limiters is None  # type: ignore[attr-defined]


class Tagging:
    """Adds a header to each attempt."""

    name = "tagging"

    def __init__(self, value: str) -> None:
        self.value = value

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        return await next(request.with_headers({**request.headers, "x-test": self.value}))


async def test_view_middleware_runs_only_in_the_views_calls() -> None:
    """Middleware given to with_options runs in each attempt of the view's calls, nowhere else."""
    transport = FakeTransport().add(unavailable(), *(json_response(200, GSV) for _ in range(3)))
    async with make(transport) as client:
        view = client.with_options(middleware=[Tagging("one")])
        await view.get_secret_value(secret_id="a")
        await client.get_secret_value(secret_id="a")
        await view.with_options(max_attempts=2).get_secret_value(secret_id="a")
    sent = [r.headers.get("x-test") for r in transport.requests]
    assert sent == ["one", "one", None, "one"]
    assert client.middleware.names == ("retry", "endpoint", "sign", "parse_errors")


async def test_view_recomposes_when_the_client_stack_changes() -> None:
    """A stage added to the client after a view was made also runs in the view's calls."""
    transport = FakeTransport().add(*(json_response(200, GSV) for _ in range(2)))
    async with make(transport) as client:
        view = client.with_options(middleware=[Tagging("view")])
        await view.get_secret_value(secret_id="a")
        client.middleware.insert_before("parse_errors", Tagging("client"))
        await view.get_secret_value(secret_id="a")
    assert [r.headers.get("x-test") for r in transport.requests] == ["view", "view"]
    # the client's stage runs inside the view's (it is nearer parse_errors): the view's wins
    transport2 = FakeTransport().add(json_response(200, GSV))
    async with make(transport2) as client2:
        client2.middleware.insert_before("parse_errors", Tagging("client"))
        await client2.get_secret_value(secret_id="a")
    assert transport2.requests[0].headers["x-test"] == "client"


async def test_view_of_a_view_merges_and_keeps_the_parents() -> None:
    """Options stack: later ones win; the earlier view is not changed."""
    async with make(FakeTransport()) as client:
        first = client.with_options(timeout=1.0, max_attempts=2)
        second = first.with_options(max_attempts=4)
        assert isinstance(second, ClientView)
        assert (second.options.timeout, second.options.max_attempts) == (1.0, 4)
        assert (first.options.timeout, first.options.max_attempts) == (1.0, 2)
        assert second.client is client


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.0}, "timeout"),
        ({"max_attempts": 0}, "max_attempts"),
        ({"max_attempts": True}, "max_attempts"),
        ({"retry_mode": "legacy"}, "retry_mode"),
    ],
)
def test_bad_options_are_refused_when_the_view_is_made(kwargs: dict[str, Any], field: str) -> None:
    """A bad override fails at with_options(), naming the field."""
    client = SecretsManagerClient(region="us-east-1", credentials=CREDS, transport=FakeTransport())
    with pytest.raises(ConfigurationError, match=f"^{field}: "):
        client.with_options(**kwargs)


async def test_view_paginators_and_bulk_go_through_the_view() -> None:
    """Paginators and get_secret_values of a view use its options."""
    transport = FakeTransport().add(
        *(unavailable() for _ in range(3)),
        json_response(200, {"SecretList": [{"Name": "a"}]}),
        *(unavailable() for _ in range(3)),
        json_response(200, {"SecretValues": [GSV], "Errors": []}),
    )
    async with make(transport) as client:
        view = client.with_options(max_attempts=4)
        names = [s.name async for s in view.paginate_list_secrets().items()]
        assert names == ["a"]
        bulk = await view.get_secret_values(["a"])
        assert bulk["a"].secret_string == "v"


# -- send ----------------------------------------------------------------------------------


def _sample(annotation: Any) -> Any:
    """A valid value for a required member of a request model."""
    text = str(annotation)
    if "Tag]" in text:
        return [Tag(key="k", value="v")]
    if "ReplicaRegionType]" in text:
        return [models.ReplicaRegionType(region="eu-west-1")]
    if "list" in text:
        return ["us-east-1"]
    if "int" in text:
        return 1
    if "bool" in text:
        return True
    return "arn:aws:secretsmanager:us-east-1:1:secret:a-1"


def _request(operation: Any) -> Any:
    cls = operation.input_type
    hints = attrs.resolve_types(cls, globalns=vars(models))
    required = {
        f.name: _sample(f.type)
        for f in attrs.fields(hints)
        if f.default is attrs.NOTHING  # type: ignore[comparison-overlap]
    }
    return cls(**required)


@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_send_every_operation(name: str) -> None:
    """send(XRequest(...)) sends the same request as the method and returns XResponse."""
    operation = OPERATIONS[name]
    request = _request(operation)
    transport = FakeTransport(lambda r: json_response(200, {}))
    async with make(transport) as client:
        result = await client.send(request)
        view_result = await client.with_options(max_attempts=1).send(request)
    assert type(result) is operation.output_type is type(view_result)
    assert result.metadata.status_code == 200
    sent = transport.requests[0]
    assert sent.headers["X-Amz-Target"] == f"secretsmanager.{name}"
    assert sent.body == operation.serialize(request)
    assert set(json.loads(sent.body)) == {
        f.metadata["secretsmanager_async.wire"]
        for f in attrs.fields(type(request))
        if getattr(request, f.name) is not None
    }


async def test_send_returns_the_parsed_model_and_empty_responses() -> None:
    """send returns the operation's parsed response; member-less ones an EmptyResponse."""
    transport = FakeTransport().add(json_response(200, GSV), json_response(200, {}))
    async with make(transport) as client:
        value = await client.send(GetSecretValueRequest(secret_id="a"))
        assert isinstance(value, GetSecretValueResponse) and value.secret_string == "v"
        tagged = await client.send(models.TagResourceRequest(secret_id="a", tags=[]))
        assert isinstance(tagged, EmptyResponse)


async def test_send_refuses_what_is_not_a_request_model() -> None:
    """Anything but an operation's input model is a TypeError naming what it got."""
    async with make(FakeTransport()) as client:
        with pytest.raises(TypeError, match=r"request model.*got Tag"):
            await client.send(Tag(key="k"))  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="got GetSecretValueResponse"):
            await client.send(GetSecretValueResponse())  # type: ignore[arg-type]


async def test_send_validates_before_sending() -> None:
    """A request model breaking a rule fails like the method would, before any I/O."""
    from secretsmanager_async import ParamValidationError

    transport = FakeTransport()
    async with make(transport) as client:
        with pytest.raises(ParamValidationError, match="secret_id"):
            await client.send(GetSecretValueRequest(secret_id=""))
    assert transport.requests == []
