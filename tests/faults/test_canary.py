"""Secrecy: canary secrets and credentials go through every operation and appear nowhere.

Canaries: a secret string, a secret binary, a rotation token, the secret access key, the session
token, and every RandomPassword the service hands back. They are looked for (raw, base64 and as
a bytes repr) in: every DEBUG log record of every logger (message, arguments, formatted
traceback), the repr and str of every model returned, every request sent (signed, with its
URL) and every response received, and the full formatted chain of every exception raised
(ParamValidationError, ServiceError, ResponseParseError, TransportError).

moto's server runs in its own process here, so its own logging (which may echo request bodies)
is not mistaken for ours; the five operations moto lacks go to the local extra-operations server.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from secretsmanager_async import (
    Credentials,
    Filter,
    ReplicaRegionType,
    SecretsManagerClient,
    Tag,
)
from secretsmanager_async._generated.operations import OPERATIONS
from secretsmanager_async._middleware.base import Handler
from secretsmanager_async._protocol import HttpRequest, HttpResponse
from secretsmanager_async.exceptions import (
    ParamValidationError,
    ResponseParseError,
    SecretsManagerError,
    ServiceError,
    TransportError,
)
from secretsmanager_async.testing import FakeTransport, json_response

from ..integration.extra_server import ExtraOpsServer
from .conftest import MotoProcess

TAG = uuid.uuid4().hex[:10]
SECRET_STRING = f"CANARYstr{TAG}"
SECRET_BINARY = f"CANARYbin{TAG}".encode()
ROTATION_TOKEN = f"CANARYrot-{uuid.uuid4()}"  # the model: 36-256 of [A-Za-z0-9-]
SECRET_KEY = f"CANARYkey/{TAG}+abc"
SESSION_TOKEN = f"CANARYtok{TAG}=="
CREDENTIALS = Credentials("AKIDCANARY", SECRET_KEY, SESSION_TOKEN)
POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    }
)


def forms(secret: str | bytes) -> set[str]:
    """The ways a secret could show up in text: as is, base64 (as on the wire), bytes repr."""
    raw = secret.encode() if isinstance(secret, str) else secret
    found = {base64.b64encode(raw).decode(), repr(raw)[2:-1]}
    if isinstance(secret, str):
        found.add(secret)
    return found


class Evidence:
    """Everything the client produced that a person or a log pipeline could read."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []  # (where, text)
        self.operations: set[str] = set()
        self.canaries: set[str] = set()
        for secret in (SECRET_STRING, SECRET_BINARY, ROTATION_TOKEN, SECRET_KEY, SESSION_TOKEN):
            self.canaries |= forms(secret)

    def add(self, where: str, *texts: str) -> None:
        self.texts.extend((where, text) for text in texts)

    def model(self, where: str, model: Any) -> None:
        self.add(where, repr(model), str(model))

    def error(self, where: str, error: BaseException) -> None:
        self.add(
            where,
            repr(error),
            str(error),
            repr(error.args),
            repr(vars(error)),
            "".join(traceback.format_exception(type(error), error, error.__traceback__)),
        )

    async def call(self, operation: str, call: Awaitable[Any]) -> Any:
        """Await one operation call, keeping the repr of its result or of its error."""
        self.operations.add(operation)
        try:
            result = await call
        except SecretsManagerError as error:
            self.error(operation, error)
            return None
        self.model(operation, result)
        return result

    def leaks(self) -> list[str]:
        return [
            f"{where}: {canary!r} in {text[:300]!r}"
            for where, text in self.texts
            for canary in self.canaries
            if canary in text
        ]


class Recorder:
    """A stage just above the transport: keeps each signed request and its response."""

    name = "recorder"

    def __init__(self, evidence: Evidence) -> None:
        self.evidence = evidence
        self.requests: list[HttpRequest] = []

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        self.requests.append(request)
        self.evidence.add("request", repr(request), str(request), request.url)
        response = await next(request)
        self.evidence.add("response", repr(response), str(response))
        return response


def client_for(url: str, evidence: Evidence, **kw: Any) -> tuple[SecretsManagerClient, Recorder]:
    recorder = Recorder(evidence)
    client = SecretsManagerClient(
        region="us-east-1",
        endpoint_url=url,
        credentials=CREDENTIALS,
        middleware=[recorder],
        **kw,
    )
    evidence.model("client", client)
    return client, recorder


async def moto_operations(client: SecretsManagerClient, ev: Evidence) -> None:
    """The 21 operations moto's server implements, with the canaries as values."""
    name = f"canary/{TAG}"
    created = await ev.call(
        "CreateSecret", client.create_secret(name=name, secret_string=SECRET_STRING)
    )
    assert created is not None
    got = await ev.call("GetSecretValue", client.get_secret_value(secret_id=name))
    assert got.secret_string == SECRET_STRING  # the canary really went through
    put = await ev.call(
        "PutSecretValue",
        client.put_secret_value(
            secret_id=name, secret_binary=SECRET_BINARY, rotation_token=ROTATION_TOKEN
        ),
    )
    assert put is not None
    got = await ev.call("GetSecretValue", client.get_secret_value(secret_id=name))
    assert got.secret_binary == SECRET_BINARY
    batch = await ev.call(
        "BatchGetSecretValue", client.batch_get_secret_value(secret_id_list=[name])
    )
    assert batch.secret_values[0].secret_binary == SECRET_BINARY
    for entry in batch.secret_values:
        ev.model("SecretValueEntry", entry)
    await ev.call("UpdateSecret", client.update_secret(secret_id=name, secret_string=SECRET_STRING))
    await ev.call("DescribeSecret", client.describe_secret(secret_id=name))
    await ev.call("ListSecrets", client.list_secrets(filters=[Filter(key="name", values=[name])]))
    versions = await ev.call("ListSecretVersionIds", client.list_secret_version_ids(secret_id=name))
    await ev.call(
        "UpdateSecretVersionStage",
        client.update_secret_version_stage(
            secret_id=name,
            version_stage="STAGING",
            move_to_version_id=versions.versions[0].version_id,
        ),
    )
    await ev.call(
        "TagResource", client.tag_resource(secret_id=name, tags=[Tag(key="k", value="v")])
    )
    await ev.call("UntagResource", client.untag_resource(secret_id=name, tag_keys=["k"]))
    await ev.call(
        "PutResourcePolicy", client.put_resource_policy(secret_id=name, resource_policy=POLICY)
    )
    await ev.call("GetResourcePolicy", client.get_resource_policy(secret_id=name))
    await ev.call("DeleteResourcePolicy", client.delete_resource_policy(secret_id=name))
    password = await ev.call("GetRandomPassword", client.get_random_password(password_length=40))
    ev.canaries |= forms(password.random_password)
    await ev.call("RotateSecret", client.rotate_secret(secret_id=name))
    await ev.call("CancelRotateSecret", client.cancel_rotate_secret(secret_id=name))
    await ev.call(
        "ReplicateSecretToRegions",
        client.replicate_secret_to_regions(
            secret_id=name, add_replica_regions=[ReplicaRegionType(region="eu-west-1")]
        ),
    )
    await ev.call(
        "RemoveRegionsFromReplication",
        client.remove_regions_from_replication(
            secret_id=name, remove_replica_regions=["eu-west-1"]
        ),
    )
    await ev.call("DeleteSecret", client.delete_secret(secret_id=name))
    await ev.call("RestoreSecret", client.restore_secret(secret_id=name))
    # a service error for a call that carried a secret value
    await ev.call(
        "PutSecretValue",
        client.put_secret_value(secret_id=f"missing/{TAG}", secret_string=SECRET_STRING),
    )


async def extra_operations(client: SecretsManagerClient, server: ExtraOpsServer) -> None:
    """The five operations moto lacks, against the local server."""
    ev: Evidence = client._canary_evidence  # type: ignore[attr-defined]
    server.add_secret("canary/extra")
    replica = "arn:aws:secretsmanager:us-east-1:210987654321:secret:canary/extra-abc123"
    await ev.call(
        "AssociateCrossAccountReplica",
        client.associate_cross_account_replica(
            secret_id="canary/extra", cross_account_replica_arn=replica
        ),
    )
    await ev.call(
        "DisassociateCrossAccountReplica",
        client.disassociate_cross_account_replica(
            secret_id="canary/extra", cross_account_replica_arn=replica
        ),
    )
    await ev.call("ListResourcePolicies", client.list_resource_policies(secret_id="canary/extra"))
    await ev.call(
        "StopReplicationToReplica", client.stop_replication_to_replica(secret_id="canary/extra")
    )
    await ev.call(
        "ValidateResourcePolicy",
        client.validate_resource_policy(secret_id="canary/extra", resource_policy=POLICY),
    )


async def bad_input(client: SecretsManagerClient, ev: Evidence) -> None:
    """Calls the validator rejects, each carrying a canary value."""
    bad_calls: list[Callable[[], Awaitable[Any]]] = [
        # mutually exclusive members
        lambda: client.put_secret_value(
            secret_id="x", secret_string=SECRET_STRING, secret_binary=SECRET_BINARY
        ),
        # too long
        lambda: client.create_secret(name="x", secret_string=SECRET_STRING * 5000),
        lambda: client.put_secret_value(secret_id="x", secret_binary=SECRET_BINARY * 5000),
        # wrong types: the value must not be quoted back
        lambda: client.put_secret_value(secret_id="x", secret_string=SECRET_BINARY),  # type: ignore[arg-type]
        lambda: client.put_secret_value(secret_id="x", secret_binary=SECRET_STRING),  # type: ignore[arg-type]
        lambda: client.update_secret(secret_id="x", secret_string=[SECRET_STRING]),  # type: ignore[arg-type]
        lambda: client.put_secret_value(
            secret_id="x", secret_string="ok", rotation_token=ROTATION_TOKEN * 100
        ),
    ]
    for make in bad_calls:
        with pytest.raises(ParamValidationError) as info:
            await make()
        ev.error("ParamValidationError", info.value)


PARSE_FAILURES: list[tuple[str, Any]] = [
    # wrong JSON types around secret members, and a secret value in a non-secret member
    ("GetSecretValue", {"SecretString": [SECRET_STRING]}),
    ("GetSecretValue", {"SecretString": {"v": SECRET_STRING}}),
    ("GetSecretValue", {"SecretBinary": f"!!{SECRET_STRING}!!"}),
    ("GetSecretValue", {"CreatedDate": SECRET_STRING}),
    ("GetSecretValue", {"VersionStages": SECRET_STRING}),
    ("BatchGetSecretValue", {"SecretValues": [{"SecretString": 7, "Name": [SECRET_STRING]}]}),
    ("GetRandomPassword", {"RandomPassword": {"p": SECRET_STRING}}),
]


async def parse_failures(ev: Evidence) -> None:
    """Responses that do not fit the model: ResponseParseError, canary-free."""
    bodies: list[bytes] = [json.dumps(payload).encode() for _, payload in PARSE_FAILURES]
    bodies.append(f'{{"SecretString": "{SECRET_STRING}'.encode())  # truncated JSON
    bodies.append(f'["{SECRET_STRING}"]'.encode())  # not an object
    transport = FakeTransport()
    for body in bodies:
        transport.add(HttpResponse(200, json_response().headers, body))
    client, _ = client_for(
        "https://secretsmanager.us-east-1.amazonaws.com", ev, transport=transport
    )
    async with client:
        ops = [op for op, _ in PARSE_FAILURES] + ["GetSecretValue", "GetSecretValue"]
        for op in ops:
            call = (
                client.batch_get_secret_value(secret_id_list=["x"])
                if op == "BatchGetSecretValue"
                else client.get_random_password()
                if op == "GetRandomPassword"
                else client.get_secret_value(secret_id="x")
            )
            with pytest.raises(ResponseParseError) as info:
                await call
            ev.error("ResponseParseError", info.value)
        # a modeled error response for a call that sent a secret
        transport.add(json_response(400, {"__type": "InvalidRequestException", "message": "no"}))
        with pytest.raises(ServiceError) as service_error:
            await client.put_secret_value(secret_id="x", secret_string=SECRET_STRING)
        ev.error("ServiceError", service_error.value)
    for request in transport.requests:
        ev.add("fake request", repr(request), request.url)


async def transport_failure(ev: Evidence) -> None:
    """A refused connection, with the canary credentials loaded."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client, _ = client_for(f"http://127.0.0.1:{port}", ev, max_attempts=2)
    async with client:
        with pytest.raises(TransportError) as info:
            await client.put_secret_value(secret_id="x", secret_string=SECRET_STRING)
        ev.error("TransportError", info.value)


async def test_canaries_appear_nowhere(
    moto_process: MotoProcess, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    """No canary secret or credential reaches a log line, repr, str, URL or exception text."""
    caplog.set_level(logging.DEBUG)  # the root logger: every logger propagates here
    for name in ("secretsmanager_async", "aiohttp", "asyncio"):
        caplog.set_level(logging.DEBUG, logger=name)
    ev = Evidence()

    client, recorder = client_for(moto_process.url, ev)
    async with client:
        await moto_operations(client, ev)
        await bad_input(client, ev)
    server = ExtraOpsServer()
    await server.start()
    try:
        extra, extra_recorder = client_for(server.url, ev)
        extra._canary_evidence = ev  # type: ignore[attr-defined]
        async with extra:
            await extra_operations(extra, server)
    finally:
        await server.stop()
    await parse_failures(ev)
    await transport_failure(ev)

    # every operation of the model went through, signed with the canary credentials
    assert ev.operations == set(OPERATIONS)
    signed = recorder.requests + extra_recorder.requests
    assert all(r.headers["X-Amz-Security-Token"] == SESSION_TOKEN for r in signed)
    for request in signed:
        assert SECRET_KEY not in request.url and SESSION_TOKEN not in request.url
    # the test can see a leak: the values did reach the wire (bodies), just nowhere readable
    wire = b"".join(r.body for r in recorder.requests)
    assert SECRET_STRING.encode() in wire
    assert base64.b64encode(SECRET_BINARY) in wire

    for record in caplog.records:
        ev.add(f"log {record.name}", record.getMessage(), repr(record.args))
        if record.exc_info:
            ev.add(f"log {record.name}", "".join(traceback.format_exception(*record.exc_info)))
    ev.add("caplog", caplog.text)
    captured = capsys.readouterr()
    ev.add("stdout/stderr", captured.out, captured.err)
    assert caplog.records  # DEBUG logging was on and produced records
    assert ev.leaks() == []
