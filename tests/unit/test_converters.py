"""The wire mapping: cattrs converter hooks, Operation.parse, and secrecy of reprs and errors."""

from __future__ import annotations

import base64
import json
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import botocore.session
import pytest
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsmanager_async._generated import models as _models
from secretsmanager_async._generated.models import (
    BatchGetSecretValueResponse,
    CreateSecretRequest,
    DescribeSecretResponse,
    GetRandomPasswordResponse,
    GetSecretValueResponse,
    PutSecretValueRequest,
    RotateSecretRequest,
    SecretValueEntry,
    Tag,
)
from secretsmanager_async._generated.operations import (
    BATCH_GET_SECRET_VALUE,
    DESCRIBE_SECRET,
    GET_RANDOM_PASSWORD,
    GET_SECRET_VALUE,
    LIST_SECRET_VERSION_IDS,
    LIST_SECRETS,
    OPERATIONS,
    TAG_RESOURCE,
    VALIDATE_RESOURCE_POLICY,
)
from secretsmanager_async._protocol import (
    NO_METADATA,
    WIRE,
    EmptyResponse,
    Operation,
    ResponseMetadata,
    converter,
)
from secretsmanager_async._protocol.converters import make_converter
from secretsmanager_async.exceptions import ResponseParseError

CANARY = "CANARY-7f3a9c-do-not-print"
METADATA = ResponseMetadata(request_id="req-1", status_code=200, attempts=2, total_retry_delay=0.5)
UTC = timezone.utc
MODEL_CLASSES = [getattr(_models, name) for name in _models.__all__]


# -- strategies -----------------------------------------------------------------------------


def _values(tp: Any) -> st.SearchStrategy[Any]:
    """Values of a model field's (resolved) type."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return st.none() | _values(inner)
    if origin is list:
        return st.lists(_values(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(_values(args[0]), _values(args[1]), max_size=3)
    if tp is str:
        return st.text(max_size=20)
    if tp is int:
        return st.integers(min_value=-(2**53), max_value=2**53)
    if tp is bool:
        return st.booleans()
    if tp is bytes:
        return st.binary(max_size=20)
    if tp is datetime:
        # The service sends milliseconds; floats carry them exactly enough to round-trip.
        return st.integers(min_value=0, max_value=4_102_444_800_000).map(
            lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
        )
    if attrs.has(tp):
        return _instances(tp)
    raise AssertionError(tp)


def _instances(cls: type) -> st.SearchStrategy[Any]:
    hints = typing.get_type_hints(cls)
    fields = [f for f in attrs.fields(cls) if WIRE in f.metadata]
    return st.builds(cls, **{f.name: _values(hints[f.name]) for f in fields})


# -- round trips ----------------------------------------------------------------------------


@pytest.mark.parametrize("cls", MODEL_CLASSES, ids=lambda c: c.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_every_model(cls: type, data: st.DataObject) -> None:
    """structure(json(unstructure(x))) == x for every model, through real JSON text."""
    conv = converter()
    value = data.draw(_instances(cls))
    wire = json.loads(json.dumps(conv.unstructure(value)))
    assert conv.structure(wire, cls) == value


def test_wire_names_none_omitted_and_metadata_not_sent() -> None:
    """Members go out under wire names; None members and response metadata are left out."""
    conv = converter()
    assert conv.unstructure(Tag(key="k")) == {"Key": "k"}
    response = GetSecretValueResponse(arn="a", version_stages=["AWSCURRENT"], metadata=METADATA)
    assert conv.unstructure(response) == {"ARN": "a", "VersionStages": ["AWSCURRENT"]}


@pytest.mark.parametrize(
    "params",
    [
        CreateSecretRequest(
            name="n",
            client_request_token="t" * 32,
            secret_binary=b"\x00\x01\xfe\xff",
            tags=[Tag(key="k", value="")],
            description="d\u00e9j\u00e0 vu \U0001f511",
        ),
        PutSecretValueRequest(secret_id="s", secret_string='{"a": 1}', version_stages=["X"]),
        RotateSecretRequest(secret_id="s", rotate_immediately=False),
    ],
)
def test_body_matches_botocore(params: Any) -> None:
    """Our request body decodes to what botocore's JSON serializer produces for the same call."""
    service = botocore.session.get_session().get_service_model("secretsmanager")
    operation = next(op for op in OPERATIONS.values() if op.input_type is type(params))
    model = service.operation_model(operation.name)
    # boto3's params: names from botocore's model, nested models as plain dicts
    boto_params = {
        member: _as_boto(getattr(params, botocore.xform_name(member)))
        for member in model.input_shape.members
        if getattr(params, botocore.xform_name(member)) is not None
    }
    expected = create_serializer("json").serialize_to_request(boto_params, model)["body"]
    assert json.loads(operation.serialize(params)) == json.loads(expected)


def _as_boto(value: Any) -> Any:
    if isinstance(value, list):
        return [_as_boto(item) for item in value]
    if attrs.has(type(value)):
        return {
            botocore_name: _as_boto(getattr(value, botocore.xform_name(botocore_name)))
            for botocore_name in (f.metadata[WIRE] for f in attrs.fields(type(value)))
            if getattr(value, botocore.xform_name(botocore_name)) is not None
        }
    return value


def test_compact_json_body() -> None:
    """The request body is compact JSON bytes."""
    body = TAG_RESOURCE.serialize(
        TAG_RESOURCE.input_type(secret_id="s", tags=[Tag(key="k", value="v")])
    )
    assert body == b'{"SecretId":"s","Tags":[{"Key":"k","Value":"v"}]}'


# -- scalars --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (1700000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (1700000000.5, datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        ("1700000000.25", datetime(2023, 11, 14, 22, 13, 20, 250000, tzinfo=UTC)),
        ("2023-11-14T22:13:20Z", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("2023-11-14T22:13:20", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        (
            "2023-11-14T23:13:20+01:00",
            datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC),
        ),
    ],
)
def test_timestamps_structure_to_aware_datetimes(wire: Any, expected: datetime) -> None:
    """Epoch seconds (int, float, numeric text) and ISO 8601 become timezone-aware datetimes."""
    result = converter().structure({"CreatedDate": wire}, GetSecretValueResponse).created_date
    assert result == expected
    assert result is not None
    assert result.tzinfo is not None


def test_timestamps_unstructure_to_epoch_seconds() -> None:
    """Datetimes go out as epoch seconds: int when whole, float otherwise; naive means UTC."""
    conv = converter()
    whole = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert conv.unstructure(whole) == 1700000000
    assert isinstance(conv.unstructure(whole), int)
    assert conv.unstructure(whole.replace(microsecond=250000)) == 1700000000.25
    assert conv.unstructure(whole.replace(tzinfo=None)) == 1700000000
    other_zone = whole.astimezone(timezone(timedelta(hours=5)))
    assert conv.unstructure(other_zone) == 1700000000


def test_blobs_are_base64() -> None:
    """bytes go out as base64 text and come back as bytes."""
    conv = converter()
    assert conv.unstructure(b"\x00\xffhi") == "AP9oaQ=="
    parsed = GET_SECRET_VALUE.parse(b'{"SecretBinary": "AP9oaQ=="}', METADATA)
    assert parsed.secret_binary == b"\x00\xffhi"


def test_unknown_keys_are_tolerated() -> None:
    """Members the model does not know (added later by the service) are ignored."""
    body = json.dumps(
        {"Name": "n", "BrandNewMember": {"x": [1]}, "Tags": [{"Key": "k", "Extra": 1}]}
    )
    parsed = DESCRIBE_SECRET.parse(body.encode(), METADATA)
    assert parsed.name == "n"
    assert parsed.tags == [Tag(key="k")]


def test_missing_members_are_none() -> None:
    """Absent members of a JSON object are None (an empty body is refused: tests/errors)."""
    parsed = DESCRIBE_SECRET.parse(b"{}", METADATA)
    assert parsed == DescribeSecretResponse()
    assert parsed.metadata is METADATA
    assert LIST_SECRETS.parse(b'{"SecretList": null}', METADATA).secret_list is None


def test_nested_and_maps() -> None:
    """Nested models, lists of models and maps of lists structure fully."""
    body = {
        "RotationRules": {"AutomaticallyAfterDays": 30, "ScheduleExpression": "rate(30 days)"},
        "VersionIdsToStages": {"v1": ["AWSCURRENT"], "v2": ["AWSPREVIOUS"]},
        "ReplicationStatus": [{"Region": "eu-west-1", "LastAccessedDate": 1700000000}],
    }
    parsed = DESCRIBE_SECRET.parse(json.dumps(body).encode(), METADATA)
    assert parsed.rotation_rules is not None
    assert parsed.rotation_rules.automatically_after_days == 30
    assert parsed.version_ids_to_stages == {"v1": ["AWSCURRENT"], "v2": ["AWSPREVIOUS"]}
    assert parsed.replication_status is not None
    assert parsed.replication_status[0].last_accessed_date == datetime(
        2023, 11, 14, 22, 13, 20, tzinfo=UTC
    )


# -- metadata -------------------------------------------------------------------------------


def test_metadata_is_attached_and_ignored_by_equality() -> None:
    """parse() attaches the metadata object; equality compares the data only."""
    parsed = GET_SECRET_VALUE.parse(b'{"Name": "n", "ResponseMetadata": {"x": 1}}', METADATA)
    assert parsed.metadata is METADATA
    assert parsed == GetSecretValueResponse(name="n")
    assert GetSecretValueResponse().metadata is NO_METADATA


def test_operations_without_output_parse_to_empty_response() -> None:
    """An operation with no output shape parses its (empty or {}) body to metadata only."""
    assert TAG_RESOURCE.output_type is EmptyResponse
    for body in (b"", b"{}", b'{"Unexpected": 1}'):
        parsed = TAG_RESOURCE.parse(body, METADATA)
        assert type(parsed) is EmptyResponse
        assert parsed.metadata is METADATA
    assert parsed == EmptyResponse()  # metadata is not compared, as on every model
    assert converter().unstructure(parsed) == {}
    with pytest.raises(ResponseParseError):
        TAG_RESOURCE.parse(b"<html>", METADATA)


# -- parse failures -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "message", "cause"),
    [
        (GET_SECRET_VALUE, b"{", "GetSecretValue: response body is not valid JSON", ValueError),
        (
            GET_SECRET_VALUE,
            b"\xff\xfe\x00",
            "GetSecretValue: response body is not valid JSON",
            ValueError,
        ),
        (
            GET_SECRET_VALUE,
            b"[1, 2]",
            "GetSecretValue: response body is not a JSON object",
            TypeError,
        ),
        (
            GET_SECRET_VALUE,
            b'{"Name": 5}',
            "GetSecretValue: invalid response: name: expected a string, got a number",
            TypeError,
        ),
        (
            GET_SECRET_VALUE,
            b'{"SecretBinary": "***"}',
            "GetSecretValue: invalid response: secret_binary: not valid base64",
            ValueError,
        ),
        (
            GET_SECRET_VALUE,
            b'{"VersionStages": "AWSCURRENT"}',
            "GetSecretValue: invalid response: version_stages: expected an array, got a string",
            TypeError,
        ),
        (
            LIST_SECRETS,
            b'{"SecretList": [{"Name": "a"}, {"Tags": [{"Key": true}]}]}',
            "ListSecrets: invalid response: "
            "secret_list[1].tags[0].key: expected a string, got a boolean",
            TypeError,
        ),
        (
            LIST_SECRETS,
            b'{"SecretList": ["abc"]}',
            "ListSecrets: invalid response: secret_list[0]: expected an object, got a string",
            TypeError,
        ),
        (
            DESCRIBE_SECRET,
            b'{"CreatedDate": 1e300}',
            "DescribeSecret: invalid response: created_date: timestamp out of range",
            ValueError,
        ),
        (
            DESCRIBE_SECRET,
            b'{"VersionIdsToStages": {"v1": "AWSCURRENT"}}',
            "DescribeSecret: invalid response: "
            "version_ids_to_stages[<key>]: expected an array, got a string",
            TypeError,
        ),
        (
            LIST_SECRET_VERSION_IDS,
            b'{"Versions": [{"CreatedDate": true}]}',
            "ListSecretVersionIds: invalid response: "
            "versions[0].created_date: expected a timestamp, got a boolean",
            TypeError,
        ),
        (
            VALIDATE_RESOURCE_POLICY,
            b'{"PolicyValidationPassed": "yes"}',
            "ValidateResourcePolicy: invalid response: "
            "policy_validation_passed: expected a boolean, got a string",
            TypeError,
        ),
    ],
)
def test_parse_errors_name_the_field(
    operation: Operation[Any, Any], body: bytes, message: str, cause: type[Exception]
) -> None:
    """Every malformed body raises ResponseParseError naming the field, original as __cause__."""
    with pytest.raises(ResponseParseError) as info:
        operation.parse(body, METADATA)
    assert str(info.value) == message
    assert isinstance(info.value.__cause__, cause)


@pytest.mark.parametrize(
    "body",
    [
        {"CreatedDate": CANARY},
        {"SecretBinary": CANARY + "!"},
        {"SecretString": [CANARY]},
        {"VersionStages": [CANARY, {"x": CANARY}]},
        {"ARN": {CANARY: CANARY}},
    ],
)
def test_parse_errors_never_show_values(body: dict[str, Any]) -> None:
    """Neither the error nor its cause mentions a value from the response."""
    with pytest.raises(ResponseParseError) as info:
        GET_SECRET_VALUE.parse(json.dumps(body).encode(), METADATA)
    error = info.value
    assert CANARY not in str(error)
    assert CANARY not in repr(error)
    assert CANARY not in str(error.__cause__)


# -- secrecy of reprs -----------------------------------------------------------------------


def test_sensitive_fields_stay_out_of_repr_and_str() -> None:
    """SecretString, SecretBinary, RandomPassword and RotationToken never reach repr/str."""
    secret = CANARY.encode()
    values = [
        GetSecretValueResponse(name="n", secret_string=CANARY, secret_binary=secret),
        BatchGetSecretValueResponse(secret_values=[SecretValueEntry(secret_string=CANARY)]),
        GetRandomPasswordResponse(random_password=CANARY),
        CreateSecretRequest(name="n", secret_string=CANARY, secret_binary=secret),
        PutSecretValueRequest(secret_id="s", secret_string=CANARY, rotation_token=CANARY),
        GET_RANDOM_PASSWORD.parse(json.dumps({"RandomPassword": CANARY}).encode(), METADATA),
        BATCH_GET_SECRET_VALUE.parse(
            json.dumps({"SecretValues": [{"Name": "n", "SecretString": CANARY}]}).encode(), METADATA
        ),
    ]
    for value in values:
        assert CANARY not in repr(value)
        assert CANARY not in str(value)
        assert "secret_string=" not in repr(value)
    assert "name='n'" in repr(values[0])


# -- fuzzing --------------------------------------------------------------------------------

FUZZED = [GET_SECRET_VALUE, LIST_SECRETS, DESCRIBE_SECRET, BATCH_GET_SECRET_VALUE, TAG_RESOURCE]

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


def _wire_names() -> list[str]:
    return sorted(
        {f.metadata[WIRE] for cls in MODEL_CLASSES for f in attrs.fields(cls) if WIRE in f.metadata}
    )


# Objects keyed by real wire names (so the hooks deep inside run) holding junk values.
_shaped_like_models = st.recursive(
    _json_values,
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(_wire_names()), children, max_size=4)
    ),
    max_leaves=12,
)


def _parses_or_raises_ours(operation: Operation[Any, Any], body: bytes) -> None:
    try:
        result = operation.parse(body, METADATA)
    except ResponseParseError:
        return
    assert isinstance(result, operation.output_type)
    assert result.metadata is METADATA


@pytest.mark.parametrize("operation", FUZZED, ids=lambda op: op.name)
@settings(max_examples=150, deadline=None)
@given(body=st.binary(max_size=200))
def test_fuzz_arbitrary_bytes(operation: Operation[Any, Any], body: bytes) -> None:
    """Arbitrary bytes: a model or ResponseParseError, nothing else."""
    _parses_or_raises_ours(operation, body)


@pytest.mark.parametrize("operation", FUZZED, ids=lambda op: op.name)
@settings(max_examples=150, deadline=None)
@given(value=_json_values)
def test_fuzz_arbitrary_json(operation: Operation[Any, Any], value: Any) -> None:
    """Arbitrary JSON values: a model or ResponseParseError, nothing else."""
    _parses_or_raises_ours(operation, json.dumps(value).encode())


@pytest.mark.parametrize("operation", FUZZED, ids=lambda op: op.name)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.dictionaries(st.sampled_from(_wire_names()), _shaped_like_models, max_size=6))
def test_fuzz_json_with_model_keys(operation: Operation[Any, Any], value: dict[str, Any]) -> None:
    """Objects whose keys are real wire names (so hooks deep inside run) and junk values."""
    _parses_or_raises_ours(operation, json.dumps(value).encode())


def test_fuzz_deep_nesting() -> None:
    """JSON nested past the recursion limit is a ResponseParseError too."""
    body = b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(ResponseParseError):
        GET_SECRET_VALUE.parse(body, METADATA)
    body = b'{"SecretList": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    with pytest.raises(ResponseParseError):
        LIST_SECRETS.parse(body, METADATA)


# -- the converter itself -------------------------------------------------------------------


def test_make_converter_is_independent_and_cached_one_is_shared() -> None:
    """make_converter() builds a fresh converter; the protocol reuses one per process."""
    assert make_converter() is not make_converter()
    assert converter() is converter()
    assert converter(detailed=True) is not converter()


def test_codec_is_built_once_per_operation() -> None:
    """The per-operation hooks are fetched on first use and then reused."""
    op = GET_SECRET_VALUE
    op.parse(b"{}", METADATA)
    codec = op._codec
    assert codec is not None
    op.parse(b"{}", METADATA)
    assert op._codec is codec


def test_operation_resolves_its_models_on_first_use() -> None:
    """Models are fetched on first use, once for build_input (then the class) and the codec."""
    calls: list[int] = []

    def models() -> tuple[type[Tag], type[EmptyResponse]]:
        calls.append(1)
        return Tag, EmptyResponse

    op = Operation(name="Op", target="t.Op", models=models, validate=lambda params, limits: None)
    assert calls == []
    assert repr(op) == "Operation('Op')"
    assert op.build_input(key="k", value="v") == Tag(key="k", value="v")
    assert op.build_input is Tag  # later calls go straight to the class
    assert op.serialize(op.build_input(key="k")) == b'{"Key":"k"}'
    assert op.parse(b"{}", METADATA).metadata is METADATA
    assert calls == [1, 1]


def test_base64_round_trip_is_exact() -> None:
    """Any bytes survive the base64 mapping unchanged."""
    raw = bytes(range(256))
    body = json.dumps({"SecretBinary": base64.b64encode(raw).decode()}).encode()
    assert GET_SECRET_VALUE.parse(body, METADATA).secret_binary == raw
