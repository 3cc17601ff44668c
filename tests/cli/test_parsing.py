"""In-process checks of the CLI's parsing and formatting helpers."""

from __future__ import annotations

import argparse
import subprocess

import pytest

from secretsmanager_async._cli.common import CliError
from secretsmanager_async._cli.output import env_lines, env_name, format_table
from secretsmanager_async._cli.parser import parse_filter, parse_secret_mapping

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("prod/db=DB", ("prod/db", None, "DB")),
        ("prod/db:user=DB_USER", ("prod/db", "user", "DB_USER")),
        ("a=b/c=X", ("a=b/c", None, "X")),  # '=' is legal in names: the last one splits
        ("prod/db:a:b=X", ("prod/db", "a:b", "X")),
        (f"{ARN}=DB", (ARN, None, "DB")),
        (f"{ARN}:password=PW", (ARN, "password", "PW")),
    ],
)
def test_parse_secret_mapping(text: str, expected: tuple[str, str | None, str]) -> None:
    """ID[:KEY]=ENV_NAME splits correctly for names, ARNs and keys with colons."""
    assert parse_secret_mapping(text) == expected


@pytest.mark.parametrize("text", ["noequals", "=X", "id=1X", "id=A-B", "id:=X"])
def test_parse_secret_mapping_rejects(text: str) -> None:
    """Malformed mappings are argparse type errors."""
    with pytest.raises(argparse.ArgumentTypeError):
        parse_secret_mapping(text)


def test_parse_filter() -> None:
    """--filter takes KEY=VALUE with a ListSecrets filter key."""
    assert parse_filter("name=prod/") == ("name", "prod/")
    assert parse_filter("tag-key=a=b") == ("tag-key", "a=b")
    for bad in ("name", "colour=red", "name="):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_filter(bad)


def test_env_name() -> None:
    """Secret names and ARNs become upper-case identifiers."""
    assert env_name("prod/db-password") == "PROD_DB_PASSWORD"
    assert env_name("prod/db-password", "prod/") == "DB_PASSWORD"
    assert env_name(ARN) == "PROD_DB_ABCDEF"
    assert env_name("9lives") == "_9LIVES"


def test_env_lines_collision_and_binary() -> None:
    """Two secrets mapping to one variable, or a binary value, are errors naming the ids."""
    with pytest.raises(CliError, match="both map to variable A_B"):
        env_lines([("a/b", "1"), ("a-b", "2")], export=False, strip_prefix="")
    with pytest.raises(CliError, match="binary"):
        env_lines([("a", b"\x00")], export=True, strip_prefix="")


def test_export_quoting_survives_the_shell() -> None:
    """Every awkward character comes back unchanged through sh's eval of export lines."""
    value = "a'b\"c$d`e\\f\ng h*"
    script = env_lines([("v", value)], export=True, strip_prefix="") + 'printf %s "$V"'
    assert subprocess.run(["sh", "-c", script], capture_output=True, check=True).stdout == (
        value.encode()
    )


def test_format_table() -> None:
    """Columns are padded to the widest cell; no trailing spaces."""
    assert format_table([("A", "BB"), ("ccc", "d")]) == "A    BB\nccc  d\n"


def test_rotation_column() -> None:
    """The ROTATION column: off, every N days, a schedule, or the pending deletion."""
    import datetime as dt

    from secretsmanager_async._cli.output import _rotation
    from secretsmanager_async._generated.models import RotationRulesType, SecretListEntry

    assert _rotation(SecretListEntry(name="a")) == "off"
    days = RotationRulesType(automatically_after_days=30)
    assert _rotation(SecretListEntry(rotation_enabled=True, rotation_rules=days)) == (
        "every 30 days"
    )
    cron = RotationRulesType(schedule_expression="rate(4 hours)")
    assert _rotation(SecretListEntry(rotation_enabled=True, rotation_rules=cron)) == (
        "rate(4 hours)"
    )
    gone = SecretListEntry(deleted_date=dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc))
    assert _rotation(gone) == "scheduled for deletion 2030-01-02 03:04:05Z"


def test_plain_never_carries_secret_material() -> None:
    """Model printing drops value fields even if a response model has them."""
    from secretsmanager_async._cli.output import plain
    from secretsmanager_async._generated.models import GetSecretValueResponse

    data = plain(GetSecretValueResponse(name="n", secret_string="s3cr3t", secret_binary=b"b"))
    assert data == {"name": "n"}
