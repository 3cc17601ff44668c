"""One scripted scenario of the 21 operations moto implements, against moto's server and the
fake, through the same client code; results compared with generated ids and times masked."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import attrs

from secretsmanager_async import (
    Credentials,
    Filter,
    ReplicaRegionType,
    RotationRulesType,
    SecretsManagerClient,
    ServiceError,
    Tag,
)
from secretsmanager_async.testing import FakeSecretsManager

POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":'
    '{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue",'
    '"Resource":"*"}]}'
)
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:no-such-rotator"

# Fields where moto is known to differ from the service and the fake follows the service:
# moto keeps no access dates; its ListSecretVersionIds puts the name in ARN, sends an empty
# NextToken and no KmsKeyIds; its replication calls echo the given id as ARN; its
# CancelRotateSecret names the current version, not the interrupted rotation's.
IGNORED = {
    ("cancel_rotate_secret", "version_id"),
    ("replicate_secret_to_regions", "arn"),
    ("remove_regions_from_replication", "arn"),
    ("*", "last_accessed_date"),
    ("list_secret_version_ids", "arn"),
    ("list_secret_version_ids", "next_token"),
    ("list_secret_version_ids", "kms_key_ids"),
}


def scenario(p: str, t1: str, t2: str) -> list[tuple[str, dict[str, Any]]]:
    """(method, kwargs) steps; ``p`` is a unique name prefix, t1/t2 client request tokens."""
    a, b, c = f"{p}/a", f"{p}/b", f"{p}/c"
    mine = [Filter(key="name", values=[p])]
    return [
        (
            "create_secret",
            {
                "name": a,
                "secret_string": "v1",
                "description": "first secret",
                "tags": [Tag(key="team", value="blue")],
                "client_request_token": t1,
            },
        ),
        ("create_secret", {"name": a, "secret_string": "v1", "client_request_token": t1}),
        ("create_secret", {"name": a, "secret_string": "other"}),
        ("create_secret", {"name": b, "secret_binary": b"\x00\xffbin"}),
        ("create_secret", {"name": c}),
        ("get_secret_value", {"secret_id": a}),
        ("get_secret_value", {"secret_id": b}),
        ("get_secret_value", {"secret_id": c}),
        ("get_secret_value", {"secret_id": f"{p}/missing"}),
        ("put_secret_value", {"secret_id": a, "secret_string": "v2", "client_request_token": t2}),
        ("put_secret_value", {"secret_id": a, "secret_string": "v2", "client_request_token": t2}),
        ("put_secret_value", {"secret_id": a, "secret_string": "v3", "client_request_token": t2}),
        ("get_secret_value", {"secret_id": a, "version_stage": "AWSPREVIOUS"}),
        ("get_secret_value", {"secret_id": a, "version_id": t1}),
        ("get_secret_value", {"secret_id": a, "version_id": t1, "version_stage": "AWSCURRENT"}),
        (
            "put_secret_value",
            {"secret_id": a, "secret_string": "p", "version_stages": ["AWSPENDING"]},
        ),
        ("get_secret_value", {"secret_id": a, "version_stage": "AWSPENDING"}),
        (
            "update_secret_version_stage",
            {
                "secret_id": a,
                "version_stage": "AWSCURRENT",
                "move_to_version_id": t1,
                "remove_from_version_id": t2,
            },
        ),
        # by label: moto's stage-less read ignores UpdateSecretVersionStage (the service doesn't)
        ("get_secret_value", {"secret_id": a, "version_stage": "AWSCURRENT"}),
        ("get_secret_value", {"secret_id": a, "version_stage": "AWSPREVIOUS"}),
        (
            "update_secret_version_stage",
            {
                "secret_id": a,
                "version_stage": "AWSCURRENT",
                "move_to_version_id": t2,
                "remove_from_version_id": t1,
            },
        ),
        ("get_secret_value", {"secret_id": a}),
        ("update_secret", {"secret_id": a, "description": "changed"}),
        ("update_secret", {"secret_id": b, "secret_string": "now text"}),
        ("get_secret_value", {"secret_id": b}),
        ("describe_secret", {"secret_id": a}),
        ("list_secret_version_ids", {"secret_id": a}),
        ("tag_resource", {"secret_id": a, "tags": [Tag(key="env", value="prod")]}),
        ("untag_resource", {"secret_id": a, "tag_keys": ["team"]}),
        ("describe_secret", {"secret_id": a}),
        ("list_secrets", {"filters": mine}),
        ("list_secrets", {"filters": [*mine, Filter(key="tag-key", values=["env"])]}),
        ("list_secrets", {"filters": [Filter(key="description", values=["changed"]), *mine]}),
        ("batch_get_secret_value", {"secret_id_list": [a, b, f"{p}/missing"]}),
        ("batch_get_secret_value", {"filters": [Filter(key="name", values=[a, b])]}),
        ("put_resource_policy", {"secret_id": a, "resource_policy": POLICY}),
        ("get_resource_policy", {"secret_id": a}),
        ("delete_resource_policy", {"secret_id": a}),
        ("get_resource_policy", {"secret_id": a}),
        ("get_random_password", {"password_length": 20, "exclude_punctuation": True}),
        (
            "replicate_secret_to_regions",
            {"secret_id": b, "add_replica_regions": [ReplicaRegionType(region="eu-west-1")]},
        ),
        ("describe_secret", {"secret_id": b}),
        ("delete_secret", {"secret_id": b}),
        (
            "remove_regions_from_replication",
            {"secret_id": b, "remove_replica_regions": ["eu-west-1"]},
        ),
        ("delete_secret", {"secret_id": b, "recovery_window_in_days": 7}),
        ("get_secret_value", {"secret_id": b}),
        ("list_secrets", {"filters": mine}),
        ("list_secrets", {"filters": mine, "include_planned_deletion": True}),
        ("restore_secret", {"secret_id": b}),
        ("get_secret_value", {"secret_id": b}),
        ("delete_secret", {"secret_id": c, "force_delete_without_recovery": True}),
        ("describe_secret", {"secret_id": c}),
        # a rotation of "a" is refused by the service (AWSPENDING is on a non-current version);
        # moto checks the opposite condition, so rotate "b"
        (
            "rotate_secret",
            {
                "secret_id": b,
                "rotation_lambda_arn": LAMBDA,
                "rotation_rules": RotationRulesType(automatically_after_days=5),
            },
        ),
        ("cancel_rotate_secret", {"secret_id": a}),
        ("cancel_rotate_secret", {"secret_id": b}),
    ]


def normalize(value: Any, method: str, ids: dict[str, str]) -> Any:
    """Models to dicts; generated ids, ARN suffixes, tokens and times replaced by stable marks."""
    if attrs.has(type(value)):
        return {
            f.name: normalize(getattr(value, f.name), method, ids)
            for f in attrs.fields(type(value))
            if f.name != "metadata"
            and ("*", f.name) not in IGNORED
            and (method, f.name) not in IGNORED
        }
    if isinstance(value, datetime):
        return "<time>"
    if isinstance(value, dict):
        return {normalize(k, method, ids): normalize(v, method, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v, method, ids) for v in value]
    if isinstance(value, str):
        value = re.sub(r"(:secret:[^:]+)-[A-Za-z0-9]{6}$", r"\1-<suffix>", value)
        for generated in re.findall(
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", value
        ):
            ids.setdefault(generated, f"<id{len(ids)}>")
            value = value.replace(generated, ids[generated])
    return value


async def run(client: SecretsManagerClient, steps: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    ids: dict[str, str] = {}
    results: list[Any] = []
    for method, kwargs in steps:
        try:
            result = await getattr(client, method)(**kwargs)
        except ServiceError as e:
            results.append((method, "error", e.code))
            continue
        if method == "get_random_password":
            result = len(result.random_password)
        elif method == "list_secrets":  # order may differ on equal creation times
            result = sorted(normalize(result.secret_list, method, ids), key=lambda s: s["name"])
        results.append((method, normalize(result, method, ids)))
    return results


async def test_fake_matches_moto_on_every_operation_moto_implements(moto_url: str) -> None:
    """Same scenario, same client, same results from moto's server and from the fake."""
    prefix = f"diff-{uuid.uuid4().hex[:8]}"
    steps = scenario(prefix, "1" * 32, "2" * 32)
    assert len({m for m, _ in steps}) == 21
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=moto_url, credentials=Credentials("AKIDTEST", "secret")
    ) as moto:
        expected = await run(moto, steps)
    fake = FakeSecretsManager(account_id="123456789012")
    async with fake.client() as client:
        actual = await run(client, steps)
    for step, want, got in zip(steps, expected, actual, strict=True):
        assert got == want, f"{step[0]}: fake {got!r} != moto {want!r}"
