"""The synchronous Lambda entry point: one client, one event loop, many invocations."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from secretsmanager_async import Credentials, SecretsManagerClient
from secretsmanager_async.rotation import PasswordOptions, RotationHandler, RotationStep

from .conftest import STEPS, event

INVOCATIONS = 100


class ApiKeys(RotationHandler):
    """A plain handler: the service is a dict of valid API keys; records the loop of each step."""

    def __init__(self, client: SecretsManagerClient, valid: set[str]) -> None:
        super().__init__(client, password_key="key", password=PasswordOptions(password_length=40))
        self.valid = valid
        self.loops: list[asyncio.AbstractEventLoop] = []

    async def set_secret(self, step: RotationStep) -> None:
        self.loops.append(asyncio.get_running_loop())
        self.valid.add((await step.pending()).json()["key"])

    async def test_secret(self, step: RotationStep) -> None:
        self.loops.append(asyncio.get_running_loop())
        assert (await step.pending()).json()["key"] in self.valid


def _boto3_rotate(boto3_client: Any, secret_id: str, lambda_arn: str) -> str:
    # moto refuses a rotation while AWSPENDING sits on AWSCURRENT (see conftest.start_rotation)
    versions = boto3_client.describe_secret(SecretId=secret_id)["VersionIdsToStages"]
    for version, labels in versions.items():
        if "AWSPENDING" in labels and "AWSCURRENT" in labels:
            boto3_client.update_secret_version_stage(
                SecretId=secret_id, VersionStage="AWSPENDING", RemoveFromVersionId=version
            )
    rotated = boto3_client.rotate_secret(
        SecretId=secret_id,
        RotationLambdaARN=lambda_arn,
        RotationRules={"AutomaticallyAfterDays": 30},
        RotateImmediately=True,
    )
    return str(rotated["VersionId"])


def test_hundred_invocations_share_one_client_and_loop(
    moto_url: str,
    boto3_client: Any,
    unique_name: str,
    rotation_lambda_arn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """100 step invocations (25 rotations) run on one private loop with one aiohttp session."""
    sessions: list[aiohttp.ClientSession] = []
    original_init = aiohttp.ClientSession.__init__

    def counting_init(self: aiohttp.ClientSession, *args: Any, **kwargs: Any) -> None:
        sessions.append(self)
        original_init(self, *args, **kwargs)

    monkeypatch.setattr(aiohttp.ClientSession, "__init__", counting_init)
    boto3_client.create_secret(Name=unique_name, SecretString=json.dumps({"key": "k-0"}))
    client = SecretsManagerClient(
        region="us-east-1", endpoint_url=moto_url, credentials=Credentials("AKIDTEST", "secret")
    )
    valid = {"k-0"}
    handler = ApiKeys(client, valid)
    keys = []
    try:
        for _ in range(INVOCATIONS // len(STEPS)):
            token = _boto3_rotate(boto3_client, unique_name, rotation_lambda_arn)
            for step in STEPS:
                handler.lambda_handler(event(unique_name, token, step), None)
            current = boto3_client.get_secret_value(SecretId=unique_name, VersionStage="AWSCURRENT")
            assert current["VersionId"] == token
            keys.append(json.loads(current["SecretString"])["key"])
    finally:
        handler.close()
    assert len(set(keys)) == INVOCATIONS // len(STEPS) and all(len(k) == 40 for k in keys)
    assert valid == {"k-0", *keys}
    assert len(handler.loops) == INVOCATIONS // 2  # setSecret and testSecret
    assert len(set(map(id, handler.loops))) == 1 and handler.loops[0].is_closed()
    assert len(sessions) == 1 and sessions[0].closed
    assert client.closed


async def test_lambda_handler_refuses_a_running_loop(moto_url: str) -> None:
    """Called inside async code, lambda_handler says to await handle() instead."""
    client = SecretsManagerClient(region="us-east-1", endpoint_url=moto_url)
    handler = ApiKeys(client, set())
    with pytest.raises(RuntimeError, match=r"await handler\.handle"):
        handler.lambda_handler(event("s", "0" * 32, "createSecret"), None)
    handler.close()
    await client.close()


def test_closed_handler_refuses_invocations(moto_url: str) -> None:
    """After close(), an invocation fails clearly; close() twice is fine."""
    from secretsmanager_async.rotation import RotationError

    handler = ApiKeys(SecretsManagerClient(region="us-east-1", endpoint_url=moto_url), set())
    handler.close()
    handler.close()
    with pytest.raises(RotationError, match="closed"):
        handler.lambda_handler(event("s", "0" * 32, "createSecret"), None)


def test_set_and_test_must_be_implemented() -> None:
    """A handler without set_secret and test_secret cannot be created."""

    class Incomplete(RotationHandler):
        async def set_secret(self, step: RotationStep) -> None:
            """Only one of the two."""

    with pytest.raises(TypeError, match="test_secret"):
        Incomplete(SecretsManagerClient(region="us-east-1"))  # type: ignore[abstract]
