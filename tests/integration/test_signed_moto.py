"""SigV4 against an independent verifier: moto's server with request authentication on.

With INITIAL_NO_AUTH_ACTION_COUNT set, moto recomputes every request's signature from the IAM
access key it issued and refuses mismatches. The server runs in its own process because the
setting is process-wide and the other tests use moto without authentication.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from secretsmanager_async import (
    Credentials,
    ResourceNotFoundException,
    SecretsManagerClient,
    ServiceError,
)

from ..moto_process import moto_subprocess

SETUP_CALLS = 5  # the IAM calls below, made before authentication switches on
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@pytest.fixture(scope="module")
def auth_server() -> Iterator[dict[str, Any]]:
    """moto's server with authentication, an IAM user with a key, and a role to assume."""
    import boto3

    with moto_subprocess({"INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}) as url:
        kw: dict[str, Any] = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "AKIDBOOT",
            "aws_secret_access_key": "boot",
        }
        iam = boto3.client("iam", **kw)
        iam.create_user(UserName="signer")
        iam.put_user_policy(UserName="signer", PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName="signer")["AccessKey"]
        role = iam.create_role(RoleName="signer-role", AssumeRolePolicyDocument=ALLOW_ALL)
        iam.put_role_policy(RoleName="signer-role", PolicyName="all", PolicyDocument=ALLOW_ALL)
        user = Credentials(key["AccessKeyId"], key["SecretAccessKey"])
        sts = boto3.client(
            "sts",
            endpoint_url=url,
            region_name="us-east-1",
            aws_access_key_id=user.access_key_id,
            aws_secret_access_key=user.secret_access_key,
        )
        assumed = sts.assume_role(RoleArn=role["Role"]["Arn"], RoleSessionName="signer-session")[
            "Credentials"
        ]
        session = Credentials(
            assumed["AccessKeyId"], assumed["SecretAccessKey"], assumed["SessionToken"]
        )
        yield {"url": url, "user": user, "session": session}


def _client(server: dict[str, Any], credentials: Credentials) -> SecretsManagerClient:
    return SecretsManagerClient(
        region="us-east-1", endpoint_url=server["url"], credentials=credentials
    )


async def test_iam_key_signs_large_and_non_ascii(auth_server: dict[str, Any]) -> None:
    """Signed with an IAM key: non-ASCII names and a large body pass verification."""
    big = "x" * 60_000
    async with _client(auth_server, auth_server["user"]) as client:
        created = await client.create_secret(name="signed/ünïcødé-名前", secret_string=big)
        got = await client.get_secret_value(secret_id=created.arn or "")
        assert got.secret_string == big
        with pytest.raises(ResourceNotFoundException):
            await client.get_secret_value(secret_id="signed/missing")


async def test_session_token_signs(auth_server: dict[str, Any]) -> None:
    """Temporary credentials from AssumeRole (with a session token) pass verification."""
    async with _client(auth_server, auth_server["session"]) as client:
        await client.create_secret(name="signed/with-token", secret_string="t")
        assert (await client.get_secret_value(secret_id="signed/with-token")).secret_string == "t"


async def test_wrong_secret_key_is_a_signature_error(auth_server: dict[str, Any]) -> None:
    """A wrong secret key surfaces as a ServiceError carrying the server's signature code."""
    wrong = Credentials(auth_server["user"].access_key_id, "not-the-right-secret")
    async with _client(auth_server, wrong) as client:
        with pytest.raises(ServiceError) as info:
            await client.list_secrets()
    assert info.value.code == "SignatureDoesNotMatch"
    assert info.value.status_code == 403
    assert "not-the-right-secret" not in str(info.value)
