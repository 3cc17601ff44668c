"""``create``, ``put`` and ``delete``: the service state changes and no value is echoed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Run


def test_create_with_value_description_and_tags(
    cli: Run, boto3_client: Any, unique_name: str
) -> None:
    """create stores the value, description and tags, and prints name/ARN but not the value."""
    result = cli(
        "create", unique_name, "--value", "s3cr3t-create", "--description", "d",
        "--tag", "team=core", "--tag", "env=dev", "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    printed = json.loads(result.stdout)
    assert printed["name"] == unique_name
    assert printed["arn"].startswith("arn:aws:secretsmanager:")
    assert b"s3cr3t-create" not in result.stdout
    got = boto3_client.get_secret_value(SecretId=unique_name)
    assert got["SecretString"] == "s3cr3t-create"
    described = boto3_client.describe_secret(SecretId=unique_name)
    assert described["Description"] == "d"
    assert {t["Key"]: t["Value"] for t in described["Tags"]} == {"team": "core", "env": "dev"}


def test_create_existing_fails(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """Creating a name that exists exits 1 with ResourceExistsException."""
    boto3_client.create_secret(Name=unique_name, SecretString="x")
    result = cli("create", unique_name, "--value", "y")
    assert result.returncode == 1
    assert b"ResourceExistsException" in result.stderr


def test_create_binary_from_stdin(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """--value-file - --binary stores stdin's bytes as SecretBinary."""
    blob = b"\x00\xffbinary\n"
    result = cli("create", unique_name, "--value-file", "-", "--binary", input=blob)
    assert result.returncode == 0, result.stderr
    assert boto3_client.get_secret_value(SecretId=unique_name)["SecretBinary"] == blob


def test_put_from_file_makes_a_new_version(
    cli: Run, boto3_client: Any, unique_name: str, tmp_path: Any
) -> None:
    """put --value-file stores a new AWSCURRENT version; the old one becomes AWSPREVIOUS."""
    boto3_client.create_secret(Name=unique_name, SecretString="v1")
    path = tmp_path / "value.txt"
    path.write_text("v2-from-file")
    result = cli("put", unique_name, "--value-file", str(path))
    assert result.returncode == 0, result.stderr
    assert b"AWSCURRENT" in result.stdout
    assert b"v2-from-file" not in result.stdout
    assert boto3_client.get_secret_value(SecretId=unique_name)["SecretString"] == "v2-from-file"
    previous = boto3_client.get_secret_value(SecretId=unique_name, VersionStage="AWSPREVIOUS")
    assert previous["SecretString"] == "v1"


def test_put_requires_a_value(cli: Run, unique_name: str) -> None:
    """put without --value or --value-file is a usage error."""
    assert cli("put", unique_name).returncode == 2


def test_delete_with_recovery_window(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """delete --recovery-window-days schedules deletion; the secret is still describable."""
    boto3_client.create_secret(Name=unique_name, SecretString="x")
    result = cli("delete", unique_name, "--recovery-window-days", "7", "--json")
    assert result.returncode == 0, result.stderr
    assert "deletion_date" in json.loads(result.stdout)
    assert "DeletedDate" in boto3_client.describe_secret(SecretId=unique_name)


def test_delete_force(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """delete --force removes the secret at once."""
    boto3_client.create_secret(Name=unique_name, SecretString="x")
    result = cli("delete", unique_name, "--force")
    assert result.returncode == 0, result.stderr
    with pytest.raises(boto3_client.exceptions.ResourceNotFoundException):
        boto3_client.describe_secret(SecretId=unique_name)
