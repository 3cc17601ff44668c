"""``get`` and ``describe``: values only where asked for, exit codes, output formats."""

from __future__ import annotations

import base64
import json
from typing import Any

from .conftest import Run


def test_get_prints_the_string_value(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """get prints SecretString followed by a newline, and exits 0."""
    boto3_client.create_secret(Name=unique_name, SecretString='p@ss "w$rd"')
    result = cli("get", unique_name)
    assert result.returncode == 0, result.stderr
    assert result.stdout == b'p@ss "w$rd"\n'
    assert result.stderr == b""


def test_get_no_newline(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """-n prints the value with nothing after it."""
    boto3_client.create_secret(Name=unique_name, SecretString="exact")
    assert cli("get", "-n", unique_name).stdout == b"exact"


def test_get_json_key(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """--json-key prints one key: strings unquoted, other JSON values as JSON."""
    boto3_client.create_secret(
        Name=unique_name, SecretString=json.dumps({"user": "bob", "port": 5432})
    )
    assert cli("get", unique_name, "--json-key", "user").stdout == b"bob\n"
    assert cli("get", unique_name, "--json-key", "port").stdout == b"5432\n"


def test_get_json_key_missing_names_key_not_value(
    cli: Run, boto3_client: Any, unique_name: str
) -> None:
    """A missing key exits 1 with a message naming the key and never the value."""
    boto3_client.create_secret(Name=unique_name, SecretString=json.dumps({"pw": "hunter2"}))
    result = cli("get", unique_name, "--json-key", "nope")
    assert result.returncode == 1
    assert result.stdout == b""
    assert b"'nope'" in result.stderr
    assert b"hunter2" not in result.stderr


def test_get_binary_as_bytes_and_base64(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """A binary secret goes to stdout as raw bytes, or as base64 with --base64."""
    blob = bytes(range(256))
    boto3_client.create_secret(Name=unique_name, SecretBinary=blob)
    assert cli("get", unique_name).stdout == blob
    encoded = cli("get", unique_name, "--base64").stdout
    assert base64.b64decode(encoded) == blob


def test_get_version_stage(cli: Run, boto3_client: Any, unique_name: str) -> None:
    """--version-stage AWSPREVIOUS reads the value before the last put."""
    boto3_client.create_secret(Name=unique_name, SecretString="old")
    boto3_client.put_secret_value(SecretId=unique_name, SecretString="new")
    assert cli("get", unique_name).stdout == b"new\n"
    assert cli("get", unique_name, "--version-stage", "AWSPREVIOUS").stdout == b"old\n"


def test_global_options_after_the_subcommand(
    moto_url: str, cli: Run, boto3_client: Any, unique_name: str
) -> None:
    """Connection options are accepted after the subcommand too."""
    from .conftest import run_cli

    boto3_client.create_secret(Name=unique_name, SecretString="v")
    env = {"AWS_ACCESS_KEY_ID": "AKIDTEST", "AWS_SECRET_ACCESS_KEY": "x"}
    result = run_cli(
        "get", unique_name, "--region", "us-east-1", "--endpoint-url", moto_url, env=env
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b"v\n"


def test_describe_text_and_json_without_value(
    cli: Run, boto3_client: Any, unique_name: str
) -> None:
    """describe prints name, tags and stages (text or JSON) and never the value."""
    boto3_client.create_secret(
        Name=unique_name,
        SecretString="topsecret-value",
        Description="the db",
        Tags=[{"Key": "team", "Value": "core"}],
    )
    text = cli("describe", unique_name)
    assert text.returncode == 0, text.stderr
    assert unique_name.encode() in text.stdout
    assert b"team=core" in text.stdout
    assert b"AWSCURRENT" in text.stdout
    data = json.loads(cli("describe", unique_name, "--json").stdout)
    assert data["name"] == unique_name
    assert data["description"] == "the db"
    assert data["tags"] == [{"key": "team", "value": "core"}]
    assert b"topsecret-value" not in text.stdout + text.stderr
