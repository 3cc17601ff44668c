"""boto3 and this client read each other's writes on the same server: binary and non-ASCII too."""

from __future__ import annotations

from typing import Any

import pytest

from secretsmanager_async import SecretsManagerClient

CASES = [
    ("plain", "hello", None),
    ("unicode", "pässwörd ✓ 密码 🔑", None),
    ("binary", None, bytes(range(256))),
    ("empty-ish binary", None, b"\x00"),
]


@pytest.mark.parametrize(("label", "text", "blob"), CASES, ids=[c[0] for c in CASES])
async def test_we_write_boto3_reads(
    client: SecretsManagerClient,
    boto3_client: Any,
    unique_name: str,
    label: str,
    text: str | None,
    blob: bytes | None,
) -> None:
    """What this client writes, boto3 reads back identically."""
    name = f"{unique_name}/ünï-{label.replace(' ', '-')}"
    if text is not None:
        await client.create_secret(name=name, secret_string=text)
    else:
        await client.create_secret(name=name, secret_binary=blob)
    got = boto3_client.get_secret_value(SecretId=name)
    assert got.get("SecretString") == text
    assert got.get("SecretBinary") == blob


@pytest.mark.parametrize(("label", "text", "blob"), CASES, ids=[c[0] for c in CASES])
async def test_boto3_writes_we_read(
    client: SecretsManagerClient,
    boto3_client: Any,
    unique_name: str,
    label: str,
    text: str | None,
    blob: bytes | None,
) -> None:
    """What boto3 writes, this client reads back identically, with the same metadata."""
    name = f"{unique_name}/ünï-{label.replace(' ', '-')}"
    kwargs: dict[str, Any] = {"SecretString": text} if text is not None else {"SecretBinary": blob}
    created = boto3_client.create_secret(Name=name, **kwargs)
    got = await client.get_secret_value(secret_id=name)
    assert got.secret_string == text
    assert got.secret_binary == blob
    assert got.arn == created["ARN"]
    assert got.version_id == created["VersionId"]
    described = boto3_client.describe_secret(SecretId=name)
    ours = await client.describe_secret(secret_id=name)
    assert ours.created_date == described["CreatedDate"]
