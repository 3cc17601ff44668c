"""The generated codecs (``_generated.codecs``) against the cattrs converter they replace."""

from __future__ import annotations

import json
import subprocess
import sys
import typing
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secretsmanager_async._generated import codecs, models
from secretsmanager_async._generated.operations import OPERATIONS
from secretsmanager_async._protocol import WIRE, EmptyResponse, ResponseMetadata, converter
from secretsmanager_async._protocol.scalars import draft_class
from secretsmanager_async._protocol.wire import METADATA_KEY
from tests.unit.test_converters import _instances

METADATA = ResponseMetadata(request_id="r", status_code=200, attempts=1, total_retry_delay=0.0)
ENCODED = sorted(codecs._ENCODER_FACTORIES)
DECODED = sorted(set(codecs._DECODER_FACTORIES) - {"EmptyResponse"})
TOP = {op.output_type.__name__ for op in OPERATIONS.values()}
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: JSON values of every type, some of which break any member's rule
BAD_VALUES = st.sampled_from(
    [None, 0, 1.5, True, "x", "", [], ["x"], [1], [None], {}, {"k": "v"}, {"k": 1}, "@@"]
)


def _decode(name: str, wire: Any) -> Any:
    fn = codecs.decoder(name)
    return fn(wire, METADATA) if name in TOP else fn(wire)


def _cattrs_decode(name: str, wire: Any) -> Any:
    cls = getattr(models, name)
    if name in TOP and isinstance(wire, dict):
        wire = {**wire, METADATA_KEY: METADATA}
    return converter().structure(wire, cls)


def _outcome(fn: Any, *args: Any) -> tuple[str, Any]:
    try:
        return "ok", fn(*args)
    except Exception as exc:  # the kind of failure, not its text
        return "error", type(exc).__mro__[-3].__name__ if isinstance(exc, Exception) else None


def test_a_draft_becomes_exactly_its_frozen_model() -> None:
    """Decoders store fields on a mutable twin of the model, then make it the model itself."""
    cls = models.SecretValueEntry
    draft = draft_class(cls)
    assert issubclass(draft, cls) and draft is not cls
    built: Any = object.__new__(draft)
    fields = {f.name: f"v-{f.name}" for f in attrs.fields(cls)}
    for name, value in fields.items():
        setattr(built, name, value)  # plain stores: the draft is not frozen
    built.__class__ = cls
    assert type(built) is cls
    assert built == cls(**fields)
    assert not hasattr(built, "__dict__")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        built.name = "changed"


def test_every_operation_has_generated_codecs() -> None:
    """Each operation's encoder and decoder exist for its own models."""
    for op in OPERATIONS.values():
        encode, decode = op._codec_functions()
        assert encode is codecs.encoder(op.input_type.__name__)
        assert decode is codecs.decoder(op.output_type.__name__)


@pytest.mark.parametrize("name", ENCODED)
@SETTINGS
@given(data=st.data())
def test_encoder_writes_the_same_json_as_cattrs(name: str, data: st.DataObject) -> None:
    """Generated encoders produce byte-identical JSON (keys, order, omitted Nones)."""
    value = data.draw(_instances(getattr(models, name)))
    ours = json.dumps(codecs.encoder(name)(value), separators=(",", ":"))
    assert ours == json.dumps(converter().unstructure(value), separators=(",", ":"))


@pytest.mark.parametrize("name", DECODED)
@SETTINGS
@given(data=st.data())
def test_decoder_builds_the_same_model_as_cattrs(name: str, data: st.DataObject) -> None:
    """Valid wire data decodes to equal models, with the metadata attached to responses."""
    value = data.draw(_instances(getattr(models, name)))
    wire = json.loads(json.dumps(converter().unstructure(value)))
    wire["UnknownNewMember"] = {"ignored": True}
    ours = _decode(name, wire)
    assert ours == _cattrs_decode(name, wire) == value
    assert type(ours) is type(value)
    if name in TOP:
        assert ours.metadata is METADATA


@pytest.mark.parametrize("name", DECODED)
@SETTINGS
@given(data=st.data())
def test_decoder_fails_exactly_where_cattrs_fails(name: str, data: st.DataObject) -> None:
    """A member replaced by a value of any JSON type: both accept it, or both reject it."""
    cls = getattr(models, name)
    value = data.draw(_instances(cls))
    wire = json.loads(json.dumps(converter().unstructure(value)))
    members = [f.metadata[WIRE] for f in attrs.fields(cls) if WIRE in f.metadata]
    member = data.draw(st.sampled_from(members))
    wire[member] = data.draw(BAD_VALUES)
    ours = _outcome(_decode, name, wire)
    theirs = _outcome(_cattrs_decode, name, wire)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


@pytest.mark.parametrize("top", [[], "x", 1, None])
def test_decoder_rejects_a_non_object(top: Any) -> None:
    """A response or nested value that is not a JSON object is a type error, as in cattrs."""
    with pytest.raises(TypeError):
        codecs.decoder("SecretValueEntry")(top)
    with pytest.raises(TypeError):
        codecs.decoder("EmptyResponse")(top, METADATA)
    assert codecs.decoder("EmptyResponse")({"X": 1}, METADATA) == EmptyResponse()


def test_codecs_are_built_once() -> None:
    """encoder() and decoder() cache what they build."""
    assert codecs.decoder("SecretValueEntry") is codecs.decoder("SecretValueEntry")
    assert codecs.encoder("Tag") is codecs.encoder("Tag")
    assert typing.get_type_hints(models.SecretValueEntry)  # built through models' __getattr__


def test_a_call_never_imports_cattrs() -> None:
    """Import, a successful call and its decode run without cattrs (cold-start cost)."""
    code = """
import asyncio, sys
from secretsmanager_async import SecretsManagerClient, Credentials
from secretsmanager_async.testing import FakeTransport
from secretsmanager_async._protocol import HttpResponse

async def main():
    transport = FakeTransport().add(HttpResponse(200, {}, b'{"Name":"n","SecretString":"s"}'))
    async with SecretsManagerClient(
        region="us-east-1", credentials=Credentials("a", "b"), transport=transport
    ) as client:
        result = await client.get_secret_value(secret_id="n")
    assert result.secret_string == "s", result
    print("cattrs" in sys.modules)

asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "False"
