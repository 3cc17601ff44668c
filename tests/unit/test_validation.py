"""Input validation (generated validators) and the operation methods that build input models."""

from __future__ import annotations

import json
import uuid
from typing import Any

import attrs
import botocore.session
import pytest
from botocore.validate import ParamValidator
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsmanager_async._generated.models import (
    BatchGetSecretValueRequest,
    CreateSecretRequest,
    Filter,
    GetSecretValueRequest,
    ListSecretsRequest,
    ReplicaRegionType,
    RotateSecretRequest,
    RotationRulesType,
    Tag,
    UpdateSecretRequest,
)
from secretsmanager_async._generated.operations import (
    BATCH_GET_SECRET_VALUE,
    CREATE_SECRET,
    GET_SECRET_VALUE,
    LIST_SECRETS,
    OPERATIONS,
    PUT_SECRET_VALUE,
    ROTATE_SECRET,
    UPDATE_SECRET,
    OperationsMixin,
)
from secretsmanager_async._protocol import WIRE, EmptyResponse, I, O, Operation, ResponseMetadata
from secretsmanager_async.exceptions import ParamValidationError

CANARY = "CANARY-7f3a9c-do-not-print"
METADATA = ResponseMetadata(request_id="req-1", status_code=200, attempts=1, total_retry_delay=0.0)


def _error(operation: Operation[Any, Any], params: Any) -> ParamValidationError:
    with pytest.raises(ParamValidationError) as info:
        operation.serialize(params)
    return info.value


# -- rules and messages ---------------------------------------------------------------------


def test_valid_input_serializes() -> None:
    """A valid request passes and becomes its JSON body."""
    body = GET_SECRET_VALUE.serialize(GetSecretValueRequest(secret_id="app/db"))
    assert json.loads(body) == {"SecretId": "app/db"}


def test_required_member() -> None:
    """A required member passed as None is refused, naming the field."""
    error = _error(GET_SECRET_VALUE, GetSecretValueRequest(secret_id=None))  # type: ignore[arg-type]
    assert (error.field, error.rule) == ("secret_id", "is required")
    assert str(error) == "secret_id: is required"


@pytest.mark.parametrize(
    ("params", "field", "rule"),
    [
        (GetSecretValueRequest(secret_id=5), "secret_id", "expected str (got int)"),  # type: ignore[arg-type]
        (ListSecretsRequest(max_results=True), "max_results", "expected int (got bool)"),
        (ListSecretsRequest(max_results=1.5), "max_results", "expected int (got float)"),  # type: ignore[arg-type]
        (
            ListSecretsRequest(include_planned_deletion=1),  # type: ignore[arg-type]
            "include_planned_deletion",
            "expected bool (got int)",
        ),
        (ListSecretsRequest(filters=(Filter(),)), "filters", "expected list (got tuple)"),  # type: ignore[arg-type]
        (ListSecretsRequest(filters=[{"Key": "name"}]), "filters[0]", "expected Filter (got dict)"),  # type: ignore[list-item]
    ],
)
def test_python_types(params: Any, field: str, rule: str) -> None:
    """Wrong Python types are refused (a bool is not an int), naming field and expected type."""
    operation = GET_SECRET_VALUE if isinstance(params, GetSecretValueRequest) else LIST_SECRETS
    error = _error(operation, params)
    assert (error.field, error.rule) == (field, rule)


def test_blob_type() -> None:
    """SecretBinary must be bytes; the message gives the type, not the value."""
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", secret_binary=CANARY))  # type: ignore[arg-type]
    assert (error.field, error.rule) == ("secret_binary", "expected bytes (got str)")
    assert CANARY not in str(error)


def test_string_lengths() -> None:
    """String min and max lengths from the model, with the length found."""
    error = _error(CREATE_SECRET, CreateSecretRequest(name=""))
    assert str(error) == "name: length must be at least 1 character (got 0)"
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n" * 513))
    assert str(error) == "name: length must be at most 512 characters (got 513)"
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", client_request_token="short"))
    assert str(error) == "client_request_token: length must be at least 32 characters (got 5)"


def test_secret_lengths_are_not_reported() -> None:
    """For secret members even the length stays out of the message."""
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", secret_string=CANARY * 5000))
    assert str(error) == "secret_string: length must be at most 65536 characters"
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", secret_binary=b""))
    assert str(error) == "secret_binary: length must be at least 1 byte"
    assert CANARY not in repr(error)


def test_numeric_ranges() -> None:
    """Numeric min/max from the model; the number itself is not echoed."""
    error = _error(LIST_SECRETS, ListSecretsRequest(max_results=0))
    assert str(error) == "max_results: must be at least 1"
    error = _error(LIST_SECRETS, ListSecretsRequest(max_results=101))
    assert str(error) == "max_results: must be at most 100"
    error = _error(BATCH_GET_SECRET_VALUE, BatchGetSecretValueRequest(max_results=21))
    assert str(error) == "max_results: must be at most 20"


def test_list_sizes() -> None:
    """SecretIdList holds at most 20 ids and Filters at most 10 filters (from the model)."""
    ids = [f"secret-{i}" for i in range(21)]
    error = _error(BATCH_GET_SECRET_VALUE, BatchGetSecretValueRequest(secret_id_list=ids))
    assert str(error) == "secret_id_list: at most 20 items (got 21)"
    BATCH_GET_SECRET_VALUE.serialize(BatchGetSecretValueRequest(secret_id_list=ids[:20]))
    error = _error(BATCH_GET_SECRET_VALUE, BatchGetSecretValueRequest(secret_id_list=[]))
    assert str(error) == "secret_id_list: at least 1 item (got 0)"
    filters = [Filter(key="name", values=["x"])] * 11
    error = _error(LIST_SECRETS, ListSecretsRequest(filters=filters))
    assert str(error) == "filters: at most 10 items (got 11)"


def test_nested_paths() -> None:
    """Errors inside nested models and lists carry a dotted path with indices."""
    tags = [Tag(key="a", value="1"), Tag(key="b", value="2"), Tag(key="", value="3")]
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", tags=tags))
    assert str(error) == "tags[2].key: length must be at least 1 character (got 0)"
    filters = [Filter(key="name", values=["ok", "ok", "ok", 5])]  # type: ignore[list-item]
    error = _error(LIST_SECRETS, ListSecretsRequest(filters=filters))
    assert str(error) == "filters[0].values[3]: expected str (got int)"
    rules = RotationRulesType(automatically_after_days=0)
    error = _error(ROTATE_SECRET, RotateSecretRequest(secret_id="s", rotation_rules=rules))
    assert str(error) == "rotation_rules.automatically_after_days: must be at least 1"
    regions = [ReplicaRegionType(region="r" * 129)]
    error = _error(CREATE_SECRET, CreateSecretRequest(name="n", add_replica_regions=regions))
    assert error.field == "add_replica_regions[0].region"
    error = _error(ROTATE_SECRET, RotateSecretRequest(secret_id="s", rotation_rules={}))  # type: ignore[arg-type]
    assert str(error) == "rotation_rules: expected RotationRulesType (got dict)"


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        (
            CREATE_SECRET,
            CreateSecretRequest(name="n", secret_string=CANARY, secret_binary=b"x"),
            "secret_string: cannot be combined with secret_binary",
        ),
        (
            UPDATE_SECRET,
            UpdateSecretRequest(secret_id="s", secret_string=CANARY, secret_binary=b"x"),
            "secret_string: cannot be combined with secret_binary",
        ),
        (
            BATCH_GET_SECRET_VALUE,
            BatchGetSecretValueRequest(secret_id_list=["a"], filters=[Filter(key="name")]),
            "secret_id_list: cannot be combined with filters",
        ),
    ],
)
def test_mutually_exclusive(operation: Operation[Any, Any], params: Any, message: str) -> None:
    """Members the model cannot tie together are refused when given together."""
    error = _error(operation, params)
    assert str(error) == message
    assert CANARY not in str(error)


def test_put_secret_value_exclusive() -> None:
    """PutSecretValue takes a string or a binary value, not both."""
    params = PUT_SECRET_VALUE.input_type(secret_id="s", secret_string="a", secret_binary=b"b")
    assert str(_error(PUT_SECRET_VALUE, params)) == (
        "secret_string: cannot be combined with secret_binary"
    )


def test_enums_and_patterns_are_not_checked() -> None:
    """Values outside an enum or pattern pass: the service may add new ones (botocore agrees)."""
    params = ListSecretsRequest(sort_order="sideways", sort_by="colour", filters=[Filter(key="x")])
    assert json.loads(LIST_SECRETS.serialize(params))["SortOrder"] == "sideways"
    regions = [ReplicaRegionType(region="Not A Region")]
    CREATE_SECRET.serialize(CreateSecretRequest(name="n", add_replica_regions=regions))


def test_str_subclasses_are_strings() -> None:
    """A str subclass (e.g. a StrEnum member) is accepted where a string is expected."""

    class Order(str):
        pass

    body = LIST_SECRETS.serialize(ListSecretsRequest(sort_order=Order("asc")))
    assert json.loads(body) == {"SortOrder": "asc"}


# -- property: whatever fits the model validates, and botocore agrees -----------------------

SERVICE = botocore.session.get_session().get_service_model("secretsmanager")


def _strategy(shape: Any) -> st.SearchStrategy[Any]:
    """Values (as our models) that satisfy ``shape``'s constraints."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "string":
        return st.text(min_size=meta.get("min", 0), max_size=min(meta.get("max", 40), 40))
    if kind == "blob":
        return st.binary(min_size=max(meta.get("min", 0), 0), max_size=40)
    if kind in ("integer", "long"):
        return st.integers(min_value=meta.get("min", -(2**31)), max_value=meta.get("max", 2**31))
    if kind == "boolean":
        return st.booleans()
    if kind == "list":
        return st.lists(
            _strategy(shape.member),
            min_size=meta.get("min", 0),
            max_size=min(meta.get("max", 3), 3),
        )
    assert kind == "structure", kind
    from secretsmanager_async._generated import models as _models

    cls = getattr(_models, shape.name)
    members = {botocore_name: _strategy(member) for botocore_name, member in shape.members.items()}
    required = set(shape.required_members)

    @st.composite
    def build(draw: st.DrawFn) -> Any:
        kwargs = {}
        for name, strategy in members.items():
            if name in required or draw(st.booleans()):
                kwargs[botocore.xform_name(name)] = draw(strategy)
        return cls(**kwargs)

    return build()


def _to_botocore(value: Any) -> Any:
    """Our model as the params dict boto3 would take (names from botocore's model)."""
    if attrs.has(type(value)):
        return {
            f.metadata[WIRE]: _to_botocore(getattr(value, f.name))
            for f in attrs.fields(type(value))
            if getattr(value, f.name) is not None
        }
    if isinstance(value, list):
        return [_to_botocore(v) for v in value]
    return value


@pytest.mark.parametrize("name", ["CreateSecret", "ListSecrets", "RotateSecret", "PutSecretValue"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_model_conforming_input_is_accepted(name: str, data: st.DataObject) -> None:
    """Input within the model's constraints passes our validator and botocore's."""
    operation = OPERATIONS[name]
    input_shape = SERVICE.operation_model(name).input_shape
    params = data.draw(_strategy(input_shape))
    exclusive = MUTUALLY_EXCLUSIVE_PAIRS.get(name)
    if exclusive and all(getattr(params, a) is not None for a in exclusive):
        with pytest.raises(ParamValidationError):
            operation.serialize(params)
        return
    body = json.loads(operation.serialize(params))
    report = ParamValidator().validate(_to_botocore(params), input_shape)
    assert not report.has_errors(), report.generate_report()
    assert set(body) == set(_to_botocore(params))


MUTUALLY_EXCLUSIVE_PAIRS = {
    "CreateSecret": ("secret_string", "secret_binary"),
    "PutSecretValue": ("secret_string", "secret_binary"),
}


# -- the operation methods ------------------------------------------------------------------


class RecordingClient(OperationsMixin):
    """An _invoke that serializes like the real client and records what would be sent."""

    def __init__(self, response: bytes = b"{}") -> None:
        self.sent: list[tuple[str, bytes]] = []
        self.response = response

    async def _invoke(self, operation: Operation[I, O], params: I) -> O:
        body = operation.serialize(params)
        # A retrying client sends this same body again: record it twice.
        self.sent += [(operation.target, body), (operation.target, body)]
        return operation.parse(self.response, METADATA)


async def test_invalid_input_sends_nothing() -> None:
    """A validation error is raised before anything reaches the stack below."""
    client = RecordingClient()
    with pytest.raises(
        ParamValidationError, match=r"^secret_id_list: at most 20 items \(got 21\)$"
    ):
        await client.batch_get_secret_value(secret_id_list=[str(i) for i in range(21)])
    assert client.sent == []


@pytest.mark.parametrize(
    "method", ["create_secret", "put_secret_value", "rotate_secret", "update_secret"]
)
async def test_idempotency_token_filled_once_per_call(method: str) -> None:
    """An omitted ClientRequestToken becomes a UUID4, the same on retries, new per call."""
    client = RecordingClient()
    kwargs = {"name": "n"} if method == "create_secret" else {"secret_id": "s"}
    await getattr(client, method)(**kwargs)
    await getattr(client, method)(**kwargs)
    tokens = [json.loads(body)["ClientRequestToken"] for _, body in client.sent]
    assert tokens[0] == tokens[1]
    assert tokens[2] == tokens[3]
    assert tokens[0] != tokens[2]
    assert uuid.UUID(tokens[0]).version == 4


async def test_explicit_idempotency_token_is_kept() -> None:
    """A token given by the caller is sent as is."""
    client = RecordingClient()
    token = "0123456789abcdef0123456789abcdef"
    await client.put_secret_value(secret_id="s", secret_string="v", client_request_token=token)
    assert json.loads(client.sent[0][1])["ClientRequestToken"] == token


async def test_no_token_for_other_operations() -> None:
    """Operations without an idempotency token send none."""
    client = RecordingClient()
    await client.get_secret_value(secret_id="s")
    assert client.sent[0] == ("secretsmanager.GetSecretValue", b'{"SecretId":"s"}')


async def test_nested_input_and_result() -> None:
    """Nested input is passed as models and arrives under wire names; the result is a model."""
    client = RecordingClient(b'{"ARN": "arn:x", "Name": "n"}')
    result = await client.create_secret(
        name="n",
        secret_binary=b"\x00\xff",
        tags=[Tag(key="team", value="core")],
        add_replica_regions=[ReplicaRegionType(region="eu-west-1")],
        client_request_token="t" * 32,
    )
    assert json.loads(client.sent[0][1]) == {
        "Name": "n",
        "SecretBinary": "AP8=",
        "Tags": [{"Key": "team", "Value": "core"}],
        "AddReplicaRegions": [{"Region": "eu-west-1"}],
        "ClientRequestToken": "t" * 32,
    }
    assert result.arn == "arn:x"
    assert result.metadata is METADATA


async def test_operations_without_output_return_metadata_only() -> None:
    """TagResource and UntagResource have no output shape: an EmptyResponse with metadata."""
    client = RecordingClient(b"")
    tagged = await client.tag_resource(secret_id="s", tags=[Tag(key="k", value="v")])
    assert tagged == EmptyResponse()
    assert tagged.metadata is METADATA
    untagged = await client.untag_resource(secret_id="s", tag_keys=["k"])
    assert untagged.metadata is METADATA
    assert json.loads(client.sent[2][1]) == {"SecretId": "s", "TagKeys": ["k"]}
