"""Rotation against moto's server: a rotation function ARN, a stand-in database, helpers."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
import zipfile
from typing import Any

import pytest

from secretsmanager_async import RotationRulesType, SecretsManagerClient
from secretsmanager_async.rotation import AlternatingUsersRotation, SingleUserRotation
from tests.conftest import MotoServer

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


class UserTable:
    """A stand-in database: users with passwords and privileges; admins manage other users."""

    def __init__(self, users: dict[str, str], admins: tuple[str, ...] = ()) -> None:
        self.passwords = dict(users)
        self.admins = set(admins)
        self.privileges: dict[str, set[str]] = {u: {"read", "write"} for u in users}
        self.changes = 0

    def login(self, user: str, password: str) -> bool:
        """True if ``user`` exists and ``password`` is its password."""
        return self.passwords.get(user) == password

    def alter(
        self, as_user: str, as_password: str, user: str, password: str, like: str = ""
    ) -> None:
        """As ``as_user``, set ``user``'s password; only admins create users or alter others."""
        if not self.login(as_user, as_password):
            raise PermissionError("login failed")
        if user != as_user and as_user not in self.admins:
            raise PermissionError("not an administrator")
        if user not in self.passwords:
            self.privileges[user] = set(self.privileges.get(like, ()))
        self.passwords[user] = password
        self.changes += 1


class TableSingleUser(SingleUserRotation):
    """The single-user scheme over a UserTable."""

    def __init__(self, client: SecretsManagerClient, db: UserTable) -> None:
        super().__init__(client)
        self.db = db

    async def login_works(self, credentials: dict[str, Any]) -> bool:
        return self.db.login(credentials["username"], credentials["password"])

    async def change_password(self, login: dict[str, Any], new_password: str) -> None:
        self.db.alter(login["username"], login["password"], login["username"], new_password)


class TableAlternatingUsers(AlternatingUsersRotation):
    """The alternating-users scheme over a UserTable."""

    def __init__(self, client: SecretsManagerClient, db: UserTable) -> None:
        super().__init__(client)
        self.db = db

    async def login_works(self, credentials: dict[str, Any]) -> bool:
        return self.db.login(credentials["username"], credentials["password"])

    async def set_user_password(
        self, admin: dict[str, Any], user: dict[str, Any], like: dict[str, Any]
    ) -> None:
        self.db.alter(
            admin["username"],
            admin["password"],
            user["username"],
            user["password"],
            like=like["username"],
        )


@pytest.fixture(scope="session")
def rotation_lambda_arn(moto_server: MotoServer) -> str:
    """A Lambda function moto accepts as a rotation function (its Lambda backend without docker)."""
    import boto3

    request = urllib.request.Request(
        moto_server.url + "/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["lambda"]["use_docker"] is False
    settings: dict[str, Any] = {
        "endpoint_url": moto_server.url,
        "region_name": "us-east-1",
        "aws_access_key_id": "AKIDTEST",
        "aws_secret_access_key": "test-secret-key",
    }
    name = f"rotator-{uuid.uuid4().hex[:8]}"
    role = boto3.client("iam", **settings).create_role(RoleName=name, AssumeRolePolicyDocument="{}")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("rotate.py", "def handler(event, context):\n    pass\n")
    function = boto3.client("lambda", **settings).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="rotate.handler",
        Code={"ZipFile": code.getvalue()},
    )
    return str(function["FunctionArn"])


async def start_rotation(
    client: SecretsManagerClient, secret_id: str, lambda_arn: str, *, enabled: bool = True
) -> str:
    """RotateSecret now, as the service's schedule would; return the pending version's token.

    moto refuses a new rotation while AWSPENDING sits on the AWSCURRENT version (AWS allows
    exactly that state after finishSecret), so the label is first removed there, as AWS would
    at the end of a rotation.
    """
    described = await client.describe_secret(secret_id=secret_id)
    for version, stages in (described.version_ids_to_stages or {}).items():
        if "AWSPENDING" in stages and "AWSCURRENT" in stages:
            await client.update_secret_version_stage(
                secret_id=secret_id, version_stage="AWSPENDING", remove_from_version_id=version
            )
    rotated = await client.rotate_secret(
        secret_id=secret_id,
        rotation_lambda_arn=lambda_arn,
        rotation_rules=RotationRulesType(automatically_after_days=30) if enabled else None,
        rotate_immediately=True,
    )
    assert rotated.version_id
    return rotated.version_id


def event(secret_id: str, token: str, step: str) -> dict[str, str]:
    """The Lambda event Secrets Manager sends for one step."""
    return {"SecretId": secret_id, "ClientRequestToken": token, "Step": step}


async def stages(client: SecretsManagerClient, secret_id: str) -> dict[str, list[str]]:
    """Version id -> staging labels."""
    described = await client.describe_secret(secret_id=secret_id)
    return dict(described.version_ids_to_stages or {})


async def value(client: SecretsManagerClient, secret_id: str, stage: str) -> dict[str, Any]:
    """The JSON value at a stage."""
    got = await client.get_secret_value(secret_id=secret_id, version_stage=stage)
    assert got.secret_string is not None
    result: dict[str, Any] = json.loads(got.secret_string)
    return result
