"""FakeSecretsManager: the service's semantics through the real client, faults, seeding."""

from __future__ import annotations

import asyncio
import time

import pytest

from secretsmanager_async import (
    ConnectionClosedError,
    Filter,
    InternalServiceError,
    InvalidNextTokenException,
    InvalidParameterException,
    InvalidRequestException,
    MalformedPolicyDocumentException,
    PublicPolicyException,
    ReplicaRegionType,
    ResourceExistsException,
    ResourceNotFoundException,
    RotationRulesType,
    SecretsManagerClient,
    ServiceError,
    Tag,
)
from secretsmanager_async.testing import FakeSecretsManager
from secretsmanager_async.testing._fake import OPERATIONS

TOKEN = "a" * 32


def test_every_operation_of_the_model_is_served() -> None:
    """The fake implements all 26 operations of the service model."""
    from secretsmanager_async._generated.operations import OPERATIONS as MODEL

    assert set(OPERATIONS) == set(MODEL) and len(OPERATIONS) == 26


async def test_versions_and_stage_moves(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """PutSecretValue moves AWSCURRENT and AWSPREVIOUS; custom stages move alone."""
    first = await sm_client.create_secret(name="db", secret_string="v1")
    second = await sm_client.put_secret_value(secret_id="db", secret_string="v2")
    assert second.version_stages == ["AWSCURRENT"]
    assert sm_fake.stages("db") == {
        first.version_id: ["AWSPREVIOUS"],
        second.version_id: ["AWSCURRENT"],
    }
    third = await sm_client.put_secret_value(
        secret_id="db", secret_string="v3", version_stages=["AWSPENDING"]
    )
    assert (await sm_client.get_secret_value(secret_id="db")).secret_string == "v2"
    assert (
        await sm_client.get_secret_value(secret_id="db", version_stage="AWSPENDING")
    ).secret_string == "v3"
    await sm_client.update_secret_version_stage(
        secret_id="db",
        version_stage="AWSCURRENT",
        move_to_version_id=third.version_id,
        remove_from_version_id=second.version_id,
    )
    assert sm_fake.stages("db") == {
        second.version_id: ["AWSPREVIOUS"],
        third.version_id: ["AWSPENDING", "AWSCURRENT"],
    }
    with pytest.raises(InvalidParameterException, match="RemoveFromVersionId"):
        await sm_client.update_secret_version_stage(
            secret_id="db", version_stage="AWSCURRENT", move_to_version_id=second.version_id
        )
    versions = await sm_client.list_secret_version_ids(secret_id="db")
    assert {v.version_id for v in versions.versions} == {second.version_id, third.version_id}
    deprecated = await sm_client.list_secret_version_ids(secret_id="db", include_deprecated=True)
    assert len(deprecated.versions) == 3


async def test_update_secret_makes_a_version_only_with_a_value(
    sm_client: SecretsManagerClient,
) -> None:
    """UpdateSecret changes metadata; with a value it adds an AWSCURRENT version."""
    await sm_client.create_secret(name="u", secret_string="v1")
    meta = await sm_client.update_secret(secret_id="u", description="d")
    assert meta.version_id is None
    new = await sm_client.update_secret(secret_id="u", secret_binary=b"\x00\x01")
    value = await sm_client.get_secret_value(secret_id="u")
    assert value.version_id == new.version_id and value.secret_binary == b"\x00\x01"
    assert (await sm_client.describe_secret(secret_id="u")).description == "d"


async def test_client_request_token_idempotency(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """A repeated token with the same value is a no-op; with another value it fails."""
    await sm_client.create_secret(name="i", secret_string="v1", client_request_token=TOKEN)
    again = await sm_client.create_secret(name="i", secret_string="v1", client_request_token=TOKEN)
    assert again.version_id == TOKEN
    other = "b" * 32
    await sm_client.put_secret_value(secret_id="i", secret_string="v2", client_request_token=other)
    await sm_client.put_secret_value(secret_id="i", secret_string="v2", client_request_token=other)
    assert len(sm_fake.stages("i")) == 2
    with pytest.raises(ResourceExistsException, match="ClientRequestToken"):
        await sm_client.put_secret_value(
            secret_id="i", secret_string="v3", client_request_token=other
        )
    with pytest.raises(ResourceExistsException):
        await sm_client.create_secret(name="i", secret_string="v1")


async def test_deletion_window_force_and_restore(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """Deleted secrets refuse reads, hide from lists, restore, and vanish after the window."""
    await sm_client.create_secret(name="d", secret_string="v")
    deleted = await sm_client.delete_secret(secret_id="d", recovery_window_in_days=7)
    assert deleted.deletion_date is not None
    with pytest.raises(InvalidRequestException, match="marked for deletion"):
        await sm_client.get_secret_value(secret_id="d")
    with pytest.raises(InvalidRequestException, match="scheduled for deletion"):
        await sm_client.create_secret(name="d", secret_string="w")
    assert (await sm_client.list_secrets()).secret_list == []
    assert len((await sm_client.list_secrets(include_planned_deletion=True)).secret_list) == 1
    assert (await sm_client.describe_secret(secret_id="d")).deleted_date is not None
    await sm_client.restore_secret(secret_id="d")
    assert (await sm_client.get_secret_value(secret_id="d")).secret_string == "v"
    await sm_client.delete_secret(secret_id="d")
    sm_fake.advance(30 * 86400 + 1)
    with pytest.raises(ResourceNotFoundException):
        await sm_client.describe_secret(secret_id="d")
    await sm_client.create_secret(name="f", secret_string="v")
    with pytest.raises(InvalidParameterException):
        await sm_client.delete_secret(
            secret_id="f", recovery_window_in_days=7, force_delete_without_recovery=True
        )
    await sm_client.delete_secret(secret_id="f", force_delete_without_recovery=True)
    assert sm_fake.names() == []


async def test_ids_by_name_full_and_partial_arn(sm_client: SecretsManagerClient) -> None:
    """A secret is found by name, full ARN and partial ARN."""
    arn = (await sm_client.create_secret(name="p/q", secret_string="v")).arn
    partial = arn[:-7]
    for secret_id in ("p/q", arn, partial):
        assert (await sm_client.get_secret_value(secret_id=secret_id)).arn == arn


async def test_tags_filters_sorting_and_pagination(sm_client: SecretsManagerClient) -> None:
    """ListSecrets filters (ANDed, values ORed, '!' negates), sorts, and pages with NextToken."""
    for i, name in enumerate(["app/b", "app/a", "other/c"]):
        await sm_client.create_secret(
            name=name,
            secret_string="v",
            description=f"the {name} secret",
            tags=[Tag(key="team", value="blue" if i else "red")],
        )
    await sm_client.tag_resource(secret_id="app/a", tags=[Tag(key="env", value="prod")])
    await sm_client.untag_resource(secret_id="app/a", tag_keys=["team"])
    assert (await sm_client.describe_secret(secret_id="app/a")).tags == [
        Tag(key="env", value="prod")
    ]

    async def names(**kwargs: object) -> list[str]:
        return [s.name for s in (await sm_client.list_secrets(**kwargs)).secret_list]  # type: ignore[arg-type]

    assert await names(filters=[Filter(key="name", values=["app/"])]) == ["app/b", "app/a"]
    assert await names(
        filters=[Filter(key="name", values=["app/"]), Filter(key="tag-value", values=["red"])]
    ) == ["app/b"]
    assert await names(filters=[Filter(key="name", values=["!app/"])]) == ["other/c"]
    assert await names(filters=[Filter(key="all", values=["PROD"])]) == ["app/a"]
    assert await names(sort_by="name", sort_order="asc") == ["app/a", "app/b", "other/c"]
    page = await sm_client.list_secrets(max_results=2)
    assert len(page.secret_list) == 2 and page.next_token
    rest = await sm_client.list_secrets(max_results=2, next_token=page.next_token)
    assert [s.name for s in rest.secret_list] == ["other/c"] and rest.next_token is None
    with pytest.raises(InvalidNextTokenException):
        await sm_client.list_secrets(next_token="bogus")


async def test_batch_get_with_per_id_errors_and_filters(sm_client: SecretsManagerClient) -> None:
    """BatchGetSecretValue returns values and one error per failed id; filters page."""
    await sm_client.create_secret(name="b1", secret_string="1")
    await sm_client.create_secret(name="b2", secret_string="2")
    await sm_client.delete_secret(secret_id="b2")
    result = await sm_client.batch_get_secret_value(secret_id_list=["b1", "b2", "nope"])
    assert [v.secret_string for v in result.secret_values] == ["1"]
    assert [(e.secret_id, e.error_code) for e in result.errors] == [
        ("b2", "InvalidRequestException"),
        ("nope", "ResourceNotFoundException"),
    ]
    by_filter = await sm_client.batch_get_secret_value(
        filters=[Filter(key="name", values=["b"])], max_results=1
    )
    assert [v.name for v in by_filter.secret_values] == ["b1"] and by_filter.next_token is None


async def test_resource_policies(sm_client: SecretsManagerClient) -> None:
    """Put/Get/List/Delete/Validate policies; public and malformed policies are refused."""
    await sm_client.create_secret(name="pol", secret_string="v")
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
        '{"AWS":"arn:aws:iam::1:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
    )
    public = policy.replace('{"AWS":"arn:aws:iam::1:root"}', '"*"')
    await sm_client.put_resource_policy(secret_id="pol", resource_policy=policy)
    assert (await sm_client.get_resource_policy(secret_id="pol")).resource_policy == policy
    assert len((await sm_client.list_resource_policies(secret_id="pol")).resource_policies) == 1
    assert (
        await sm_client.validate_resource_policy(resource_policy=policy)
    ).policy_validation_passed
    assert not (
        await sm_client.validate_resource_policy(resource_policy=public)
    ).policy_validation_passed
    with pytest.raises(PublicPolicyException):
        await sm_client.put_resource_policy(
            secret_id="pol", resource_policy=public, block_public_policy=True
        )
    with pytest.raises(MalformedPolicyDocumentException):
        await sm_client.put_resource_policy(secret_id="pol", resource_policy="{not json")
    await sm_client.delete_resource_policy(secret_id="pol")
    assert (await sm_client.get_resource_policy(secret_id="pol")).resource_policy is None


async def test_replication_bookkeeping(sm_fake: FakeSecretsManager) -> None:
    """Replicas appear in their region, refuse writes, follow the primary, and can be promoted."""
    async with sm_fake.client() as east, sm_fake.client(region="eu-west-1") as west:
        created = await east.create_secret(
            name="r",
            secret_string="v1",
            add_replica_regions=[ReplicaRegionType(region="eu-west-1")],
        )
        assert [s.status for s in created.replication_status or []] == ["InSync"]
        await east.put_secret_value(secret_id="r", secret_string="v2")
        replica = await west.get_secret_value(secret_id="r")
        assert replica.secret_string == "v2" and ":eu-west-1:" in replica.arn
        assert (await west.describe_secret(secret_id="r")).primary_region == "us-east-1"
        with pytest.raises(InvalidParameterException, match="replica"):
            await west.put_secret_value(secret_id="r", secret_string="x")
        with pytest.raises(InvalidParameterException, match="replica regions"):
            await east.delete_secret(secret_id="r")
        await east.replicate_secret_to_regions(
            secret_id="r", add_replica_regions=[ReplicaRegionType(region="ap-south-1")]
        )
        removed = await east.remove_regions_from_replication(
            secret_id="r", remove_replica_regions=["ap-south-1"]
        )
        assert [s.region for s in removed.replication_status or []] == ["eu-west-1"]
        await west.stop_replication_to_replica(secret_id="r")
        await west.put_secret_value(secret_id="r", secret_string="west only")
        assert (await east.get_secret_value(secret_id="r")).secret_string == "v2"
        assert (await east.describe_secret(secret_id="r")).replication_status is None
        other = "arn:aws:secretsmanager:us-east-1:999999999999:secret:x-abcdef"
        await east.associate_cross_account_replica(secret_id="r", cross_account_replica_arn=other)
        assert len((await east.describe_secret(secret_id="r")).cross_account_replicas or []) == 1
        await east.disassociate_cross_account_replica(
            secret_id="r", cross_account_replica_arn=other
        )
        with pytest.raises(ResourceNotFoundException):
            await east.disassociate_cross_account_replica(
                secret_id="r", cross_account_replica_arn=other
            )


async def test_rotation_runs_the_rotation_function(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """RotateSecret runs the four Lambda steps; a handler using the client completes a rotation."""
    lam = "arn:aws:lambda:us-east-1:123456789012:function:rotate"
    await sm_client.create_secret(name="rot", secret_string="old")
    steps: list[str] = []

    async def rotation(event: dict[str, str]) -> None:
        steps.append(event["Step"])
        token = event["ClientRequestToken"]
        if event["Step"] == "createSecret":
            await sm_client.put_secret_value(
                secret_id=event["SecretId"],
                secret_string="new",
                client_request_token=token,
                version_stages=["AWSPENDING"],
            )
        if event["Step"] == "finishSecret":
            current = sm_fake.describe(event["SecretId"])["VersionIdsToStages"]
            old = next(v for v, s in current.items() if "AWSCURRENT" in s)
            await sm_client.update_secret_version_stage(
                secret_id=event["SecretId"],
                version_stage="AWSCURRENT",
                move_to_version_id=token,
                remove_from_version_id=old,
            )

    with pytest.raises(ResourceNotFoundException, match="rotate"):
        await sm_client.rotate_secret(secret_id="rot", rotation_lambda_arn=lam)
    sm_fake.add_rotation_function(lam, rotation)
    result = await sm_client.rotate_secret(
        secret_id="rot",
        rotation_lambda_arn=lam,
        rotation_rules=RotationRulesType(automatically_after_days=30),
    )
    assert steps == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert (
        sm_fake.value("rot") == "new" and sm_fake.value("rot", version_stage="AWSPREVIOUS") == "old"
    )
    assert sm_fake.stages("rot")[result.version_id or ""] == ["AWSCURRENT"]
    described = await sm_client.describe_secret(secret_id="rot")
    assert described.rotation_enabled and described.next_rotation_date is not None
    await sm_client.cancel_rotate_secret(secret_id="rot")
    assert (await sm_client.describe_secret(secret_id="rot")).rotation_enabled is False
    with pytest.raises(InvalidRequestException):
        await sm_client.rotate_secret(
            secret_id=(await sm_client.create_secret(name="n", secret_string="v")).arn
        )


async def test_random_password_rules(sm_client: SecretsManagerClient) -> None:
    """GetRandomPassword honours length, exclusions and the each-type requirement."""
    password = (
        await sm_client.get_random_password(
            password_length=40, exclude_punctuation=True, exclude_characters="abc"
        )
    ).random_password or ""
    assert len(password) == 40 and password.isalnum() and not set("abc") & set(password)
    with pytest.raises(InvalidParameterException):
        await sm_client.get_random_password(
            exclude_lowercase=True,
            exclude_uppercase=True,
            exclude_numbers=True,
            exclude_punctuation=True,
        )


async def test_faults_per_operation_and_secret(sm_fake: FakeSecretsManager) -> None:
    """Throttling is retried, 5xx surfaces when persistent, faults can target one secret."""
    sm_fake.put("a", "1")
    sm_fake.put("b", "2")
    async with sm_fake.client() as client:
        throttle = sm_fake.throttle("get_secret_value", times=2)
        assert (await client.get_secret_value(secret_id="a")).metadata.attempts == 3
        assert throttle.hits == 2
        sm_fake.server_error("GetSecretValue", secret_id="b", times=None)
        assert (await client.get_secret_value(secret_id="a")).secret_string == "1"
        with pytest.raises(InternalServiceError) as info:
            await client.get_secret_value(secret_id="b")
        assert info.value.status_code == 500
        sm_fake.clear_faults()
        sm_fake.fail("DescribeSecret", code="AccessDeniedException", message="no", status=400)
        with pytest.raises(ServiceError) as denied:
            await client.describe_secret(secret_id="a")
        assert denied.value.code == "AccessDeniedException"
        sm_fake.disconnect(times=3)
        with pytest.raises(ConnectionClosedError):
            await client.get_secret_value(secret_id="a")


async def test_latency_fault_meets_the_call_timeout(sm_fake: FakeSecretsManager) -> None:
    """An injected delay is real time: a call timeout fires."""
    from secretsmanager_async import CallTimeoutError

    sm_fake.put("slow", "v")
    sm_fake.delay(5, "get_secret_value")
    async with sm_fake.client(timeout=0.05) as client:
        start = time.monotonic()
        with pytest.raises(CallTimeoutError):
            await client.get_secret_value(secret_id="slow")
        assert time.monotonic() - start < 2


async def test_seeding_and_inspection_bypass_the_api(sm_fake: FakeSecretsManager) -> None:
    """put/value/stages/describe/names work without calls and are not recorded."""
    arn = sm_fake.put("seed", b"\x01", tags={"k": "v"}, description="d")
    sm_fake.put("seed", "two", version_id="v2")
    assert (
        sm_fake.value("seed") == "two"
        and sm_fake.value("seed", version_stage="AWSPREVIOUS") == b"\x01"
    )
    assert sm_fake.describe(arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert sm_fake.names() == ["seed"] and sm_fake.calls == []
    async with sm_fake.client() as client:
        assert (await client.get_secret_value(secret_id="seed")).secret_string == "two"
    assert [c.operation for c in sm_fake.calls] == ["GetSecretValue"]
    assert "two" not in repr(sm_fake.calls)  # values stay out of reprs
    with pytest.raises(KeyError):
        sm_fake.value("missing")


async def test_secret_values_stay_out_of_recorded_call_reprs(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """The recorded parameters of a write hide SecretString."""
    await sm_client.create_secret(name="x", secret_string="hunter2")
    assert (
        "hunter2" not in repr(sm_fake.calls[0])
        and sm_fake.calls[0].params["SecretString"] == "hunter2"
    )


async def test_concurrent_calls(
    sm_client: SecretsManagerClient, sm_fake: FakeSecretsManager
) -> None:
    """Many concurrent calls on one fake see consistent state."""
    sm_fake.put("c", "0")
    await asyncio.gather(
        *(sm_client.put_secret_value(secret_id="c", secret_string=str(i)) for i in range(20))
    )
    assert (
        len(
            (
                await sm_client.list_secret_version_ids(secret_id="c", include_deprecated=True)
            ).versions
        )
        == 21
    )


async def test_fake_runs_a_rotation_handler_end_to_end() -> None:
    """RotateSecret makes the pending version first, so a RotationHandler works on the fake."""
    from secretsmanager_async.rotation import RotationHandler, RotationStep

    db_passwords: list[str] = []

    class Rotation(RotationHandler):
        async def set_secret(self, step: RotationStep) -> None:
            db_passwords.append((await step.pending()).json()["password"])

        async def test_secret(self, step: RotationStep) -> None:
            assert (await step.pending()).json()["password"] == db_passwords[-1]

    fake = FakeSecretsManager()
    fake.put("app/db", '{"username": "app", "password": "old"}')
    arn = "arn:aws:lambda:us-east-1:123456789012:function:rotate"
    async with fake.client() as client:
        handler = Rotation(client)
        fake.add_rotation_function(arn, handler.handle)
        result = await client.rotate_secret(secret_id="app/db", rotation_lambda_arn=arn)
        current = await client.get_secret_value(secret_id="app/db")
        previous = await client.get_secret_value(secret_id="app/db", version_stage="AWSPREVIOUS")
        versions = await client.list_secret_version_ids(secret_id="app/db")
    assert current.version_id == result.version_id
    assert current.secret_string is not None and db_passwords[-1] in current.secret_string
    assert previous.secret_string == '{"username": "app", "password": "old"}'
    assert len(versions.versions or []) == 2  # the pending version was filled, not added to
