"""Every one of the 26 operations over real HTTP: moto's server for the 21 it implements, a
local model-driven server for the other five. Each checks results and an error path."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator

import pytest

from secretsmanager_async import (
    Credentials,
    Filter,
    InvalidRequestException,
    ParamValidationError,
    ResourceExistsException,
    ResourceNotFoundException,
    SecretsManagerClient,
    ServiceError,
    Tag,
)
from secretsmanager_async._generated.operations import OPERATIONS

from .extra_server import ExtraOpsServer

MISSING = "test/does-not-exist/4f1c"
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


def covers(*ops: str) -> None:
    """Declare which operations a test exercises (checked by the last test)."""


async def test_create_describe_get_put(client: SecretsManagerClient, unique_name: str) -> None:
    """CreateSecret, DescribeSecret, GetSecretValue, PutSecretValue and their errors."""
    covers("CreateSecret", "DescribeSecret", "GetSecretValue", "PutSecretValue")
    created = await client.create_secret(
        name=unique_name,
        secret_string="v1",
        description="d",
        tags=[Tag(key="team", value="core")],
    )
    assert created.name == unique_name
    assert created.arn and created.version_id
    assert created.metadata.status_code == 200
    assert created.metadata.request_id
    assert created.metadata.attempts == 1

    with pytest.raises(ResourceExistsException) as info:
        await client.create_secret(name=unique_name, secret_string="again")
    assert info.value.code == "ResourceExistsException"
    assert info.value.status_code == 400

    described = await client.describe_secret(secret_id=unique_name)
    assert described.description == "d"
    assert described.tags == [Tag(key="team", value="core")]
    assert isinstance(described.created_date, dt.datetime)
    assert described.created_date.tzinfo is not None

    value = await client.get_secret_value(secret_id=created.arn)
    assert value.secret_string == "v1"
    assert value.secret_binary is None
    assert value.version_stages == ["AWSCURRENT"]

    put = await client.put_secret_value(secret_id=unique_name, secret_binary=b"\x00\xffbin")
    assert put.version_id != created.version_id
    value = await client.get_secret_value(secret_id=unique_name)
    assert value.secret_binary == b"\x00\xffbin"
    previous = await client.get_secret_value(secret_id=unique_name, version_stage="AWSPREVIOUS")
    assert previous.secret_string == "v1"

    with pytest.raises(ResourceNotFoundException):
        await client.get_secret_value(secret_id=MISSING)
    with pytest.raises(ResourceNotFoundException):
        await client.describe_secret(secret_id=MISSING)
    with pytest.raises(ResourceNotFoundException):
        await client.put_secret_value(secret_id=MISSING, secret_string="x")


async def test_update_and_version_stages(client: SecretsManagerClient, unique_name: str) -> None:
    """UpdateSecret, ListSecretVersionIds, UpdateSecretVersionStage."""
    covers("UpdateSecret", "ListSecretVersionIds", "UpdateSecretVersionStage")
    first = await client.create_secret(name=unique_name, secret_string="a")
    updated = await client.update_secret(secret_id=unique_name, secret_string="b", description="x")
    assert updated.version_id and updated.version_id != first.version_id
    versions = await client.list_secret_version_ids(secret_id=unique_name)
    ids = {v.version_id: v.version_stages for v in versions.versions or []}
    assert ids[updated.version_id] == ["AWSCURRENT"]
    assert ids[first.version_id] == ["AWSPREVIOUS"]

    moved = await client.update_secret_version_stage(
        secret_id=unique_name, version_stage="STAGING", move_to_version_id=first.version_id
    )
    assert moved.name == unique_name
    staged = await client.get_secret_value(secret_id=unique_name, version_stage="STAGING")
    assert staged.secret_string == "a"

    with pytest.raises(ResourceNotFoundException):
        await client.update_secret(secret_id=MISSING, secret_string="x")
    # (moto answers ListSecretVersionIds on a missing secret with a bare 500, so no check here)
    with pytest.raises(ServiceError):
        await client.update_secret_version_stage(
            secret_id=unique_name, version_stage="AWSCURRENT", move_to_version_id="nope" * 9
        )


async def test_list_secrets_with_filter(client: SecretsManagerClient, unique_name: str) -> None:
    """ListSecrets with a name filter, and a bad filter value."""
    covers("ListSecrets")
    for i in range(3):
        await client.create_secret(name=f"{unique_name}-{i}", secret_string="x")
    listed = await client.list_secrets(filters=[Filter(key="name", values=[unique_name])])
    names = sorted(s.name or "" for s in listed.secret_list or [])
    assert names == [f"{unique_name}-{i}" for i in range(3)]
    assert all(s.arn for s in listed.secret_list or [])
    with pytest.raises(ParamValidationError, match="max_results"):
        await client.list_secrets(max_results=0)
    with pytest.raises(ServiceError):
        await client.list_secrets(filters=[Filter(key="not-a-key", values=["x"])])


async def test_delete_and_restore(client: SecretsManagerClient, unique_name: str) -> None:
    """DeleteSecret with a recovery window, RestoreSecret, and a forced delete."""
    covers("DeleteSecret", "RestoreSecret")
    await client.create_secret(name=unique_name, secret_string="x")
    deleted = await client.delete_secret(secret_id=unique_name, recovery_window_in_days=7)
    assert deleted.deletion_date is not None
    assert deleted.deletion_date.tzinfo is not None
    with pytest.raises(InvalidRequestException):
        await client.get_secret_value(secret_id=unique_name)
    restored = await client.restore_secret(secret_id=unique_name)
    assert restored.name == unique_name
    assert (await client.get_secret_value(secret_id=unique_name)).secret_string == "x"
    forced = await client.delete_secret(secret_id=unique_name, force_delete_without_recovery=True)
    assert forced.name == unique_name
    with pytest.raises(ResourceNotFoundException):
        await client.restore_secret(secret_id=MISSING)


async def test_tags(client: SecretsManagerClient, unique_name: str) -> None:
    """TagResource and UntagResource; their results carry the response metadata."""
    covers("TagResource", "UntagResource")
    await client.create_secret(name=unique_name, secret_string="x")
    tagged = await client.tag_resource(
        secret_id=unique_name, tags=[Tag(key="a", value="1"), Tag(key="b", value="2")]
    )
    assert tagged.metadata.status_code == 200
    untagged = await client.untag_resource(secret_id=unique_name, tag_keys=["a"])
    assert untagged.metadata.status_code == 200
    described = await client.describe_secret(secret_id=unique_name)
    assert described.tags == [Tag(key="b", value="2")]
    with pytest.raises(ResourceNotFoundException):
        await client.tag_resource(secret_id=MISSING, tags=[Tag(key="a", value="1")])
    with pytest.raises(ResourceNotFoundException):
        await client.untag_resource(secret_id=MISSING, tag_keys=["a"])


async def test_random_password(client: SecretsManagerClient) -> None:
    """GetRandomPassword honours length and exclusions; a bad length is refused."""
    covers("GetRandomPassword")
    result = await client.get_random_password(
        password_length=40, exclude_punctuation=True, exclude_numbers=True
    )
    assert result.random_password is not None
    assert len(result.random_password) == 40
    assert result.random_password.isalpha()
    assert result.random_password not in repr(result)
    with pytest.raises(ParamValidationError, match="password_length"):
        await client.get_random_password(password_length=5000)
    with pytest.raises(ServiceError):
        await client.get_random_password(
            password_length=4,
            require_each_included_type=True,
            exclude_lowercase=True,
            exclude_uppercase=True,
            exclude_numbers=True,
            exclude_punctuation=True,
        )


async def test_resource_policies(client: SecretsManagerClient, unique_name: str) -> None:
    """PutResourcePolicy, GetResourcePolicy, DeleteResourcePolicy."""
    covers("PutResourcePolicy", "GetResourcePolicy", "DeleteResourcePolicy")
    await client.create_secret(name=unique_name, secret_string="x")
    put = await client.put_resource_policy(secret_id=unique_name, resource_policy=POLICY)
    assert put.name == unique_name
    got = await client.get_resource_policy(secret_id=unique_name)
    assert json.loads(got.resource_policy or "{}") == json.loads(POLICY)
    deleted = await client.delete_resource_policy(secret_id=unique_name)
    assert deleted.name == unique_name
    assert (await client.get_resource_policy(secret_id=unique_name)).resource_policy is None
    with pytest.raises(ResourceNotFoundException):
        await client.put_resource_policy(secret_id=MISSING, resource_policy=POLICY)
    with pytest.raises(ResourceNotFoundException):
        await client.get_resource_policy(secret_id=MISSING)
    with pytest.raises(ResourceNotFoundException):
        await client.delete_resource_policy(secret_id=MISSING)


async def test_rotation(client: SecretsManagerClient, unique_name: str) -> None:
    """RotateSecret and CancelRotateSecret.

    moto invokes a real Lambda (through docker) when given one, so rotation here runs without
    a rotation function: moto then promotes the new version itself.
    """
    covers("RotateSecret", "CancelRotateSecret")
    created = await client.create_secret(name=unique_name, secret_string="x")
    rotated = await client.rotate_secret(secret_id=unique_name)
    assert rotated.name == unique_name
    assert rotated.version_id and rotated.version_id != created.version_id
    described = await client.describe_secret(secret_id=unique_name)
    assert described.last_rotated_date is not None
    # Without a rotation function, the service refuses to cancel (as AWS documents) ...
    with pytest.raises(InvalidRequestException):
        await client.cancel_rotate_secret(secret_id=unique_name)
    # ... so give the secret one directly in moto's in-process state (registering a Lambda
    # through the API would make moto try to run it in docker).
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends["123456789012"]["us-east-1"]
    backend.secrets[
        unique_name
    ].rotation_lambda_arn = "arn:aws:lambda:us-east-1:123456789012:function:rotator"
    backend.secrets[unique_name].rotation_enabled = True
    cancelled = await client.cancel_rotate_secret(secret_id=unique_name)
    assert cancelled.name == unique_name
    assert (await client.describe_secret(secret_id=unique_name)).rotation_enabled is False
    with pytest.raises(ResourceNotFoundException):
        await client.rotate_secret(secret_id=MISSING)
    with pytest.raises(ResourceNotFoundException):
        await client.cancel_rotate_secret(secret_id=MISSING)


async def test_batch_get(client: SecretsManagerClient, unique_name: str) -> None:
    """BatchGetSecretValue by ids (with a missing one) and by filter."""
    covers("BatchGetSecretValue")
    for i in range(3):
        await client.create_secret(name=f"{unique_name}-{i}", secret_string=f"value-{i}")
    batch = await client.batch_get_secret_value(
        secret_id_list=[f"{unique_name}-0", f"{unique_name}-2", MISSING]
    )
    values = {e.name: e.secret_string for e in batch.secret_values or []}
    assert values == {f"{unique_name}-0": "value-0", f"{unique_name}-2": "value-2"}
    assert [(e.secret_id, e.error_code) for e in batch.errors or []] == [
        (MISSING, "ResourceNotFoundException")
    ]
    by_filter = await client.batch_get_secret_value(
        filters=[Filter(key="name", values=[unique_name])]
    )
    assert len(by_filter.secret_values or []) == 3
    with pytest.raises(ParamValidationError, match="secret_id_list"):
        await client.batch_get_secret_value(secret_id_list=[str(i) for i in range(21)])


async def test_replication(client: SecretsManagerClient, unique_name: str) -> None:
    """ReplicateSecretToRegions and RemoveRegionsFromReplication."""
    from secretsmanager_async import ReplicaRegionType

    covers("ReplicateSecretToRegions", "RemoveRegionsFromReplication")
    await client.create_secret(name=unique_name, secret_string="x")
    replicated = await client.replicate_secret_to_regions(
        secret_id=unique_name, add_replica_regions=[ReplicaRegionType(region="eu-west-1")]
    )
    assert [s.region for s in replicated.replication_status or []] == ["eu-west-1"]
    removed = await client.remove_regions_from_replication(
        secret_id=unique_name, remove_replica_regions=["eu-west-1"]
    )
    assert removed.arn == replicated.arn
    with pytest.raises(ResourceNotFoundException):
        await client.replicate_secret_to_regions(
            secret_id=MISSING, add_replica_regions=[ReplicaRegionType(region="eu-west-1")]
        )


@pytest.fixture
async def extra() -> AsyncIterator[tuple[ExtraOpsServer, SecretsManagerClient]]:
    server = ExtraOpsServer()
    await server.start()
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=server.url, credentials=Credentials("AKID", "SECRET")
    ) as c:
        yield server, c
    await server.stop()


async def test_cross_account_replicas(extra: tuple[ExtraOpsServer, SecretsManagerClient]) -> None:
    """AssociateCrossAccountReplica and DisassociateCrossAccountReplica (local server)."""
    covers("AssociateCrossAccountReplica", "DisassociateCrossAccountReplica")
    server, c = extra
    arn = server.add_secret("app/db")
    replica = "arn:aws:secretsmanager:us-east-1:210987654321:secret:app/db-abc123"
    associated = await c.associate_cross_account_replica(
        secret_id="app/db", cross_account_replica_arn=replica
    )
    assert (associated.arn, associated.cross_account_replica_arn) == (arn, replica)
    assert associated.replication_status == "InProgress"
    with pytest.raises(InvalidRequestException):
        await c.associate_cross_account_replica(
            secret_id="app/db", cross_account_replica_arn=replica
        )
    gone = await c.disassociate_cross_account_replica(
        secret_id=arn, cross_account_replica_arn=replica
    )
    assert gone.arn == arn
    with pytest.raises(ResourceNotFoundException):
        await c.disassociate_cross_account_replica(
            secret_id="nope", cross_account_replica_arn=replica
        )
    op, body, _headers = server.requests[0]
    assert op == "AssociateCrossAccountReplica"
    assert body == {"SecretId": "app/db", "CrossAccountReplicaARN": replica}


async def test_list_resource_policies(extra: tuple[ExtraOpsServer, SecretsManagerClient]) -> None:
    """ListResourcePolicies pages with NextToken (local server)."""
    covers("ListResourcePolicies")
    server, c = extra
    server.add_secret("app/pol", policies=3)
    first = await c.list_resource_policies(secret_id="app/pol", max_results=2)
    assert [p.policy_name for p in first.resource_policies] == ["policy-0", "policy-1"]
    assert first.next_token == "2"
    second = await c.list_resource_policies(secret_id="app/pol", next_token=first.next_token)
    assert [p.policy_name for p in second.resource_policies] == ["policy-2"]
    assert second.next_token is None
    with pytest.raises(ResourceNotFoundException):
        await c.list_resource_policies(secret_id="nope")


async def test_stop_replication(extra: tuple[ExtraOpsServer, SecretsManagerClient]) -> None:
    """StopReplicationToReplica (local server)."""
    covers("StopReplicationToReplica")
    server, c = extra
    arn = server.add_secret("app/replica")
    assert (await c.stop_replication_to_replica(secret_id="app/replica")).arn == arn
    with pytest.raises(InvalidRequestException):
        await c.stop_replication_to_replica(secret_id="app/replica")


async def test_validate_resource_policy(
    extra: tuple[ExtraOpsServer, SecretsManagerClient],
) -> None:
    """ValidateResourcePolicy passes, reports errors, and rejects malformed JSON (local server)."""
    from secretsmanager_async import MalformedPolicyDocumentException

    covers("ValidateResourcePolicy")
    server, c = extra
    server.add_secret("app/policy")
    ok = await c.validate_resource_policy(secret_id="app/policy", resource_policy=POLICY)
    assert ok.policy_validation_passed is True
    assert ok.validation_errors == []
    bad = await c.validate_resource_policy(resource_policy="{}")
    assert bad.policy_validation_passed is False
    assert [e.check_name for e in bad.validation_errors or []] == ["Statement"]
    with pytest.raises(MalformedPolicyDocumentException):
        await c.validate_resource_policy(resource_policy="not json")


def test_every_operation_is_covered() -> None:
    """The tests in this file together declare (and call) all 26 operations of the model."""
    import re
    from pathlib import Path

    source = Path(__file__).read_text()
    declared = {
        op
        for call in re.findall(r"covers\(([^)]*)\)", source)
        for op in re.findall(r'"(\w+)"', call)
    }
    assert len(OPERATIONS) == 26
    assert set(OPERATIONS) == declared, sorted(set(OPERATIONS) ^ declared)
