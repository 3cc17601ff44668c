"""The README's rotation function, run as written against moto's server."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from .conftest import STEPS, UserTable, event
from .test_lambda_handler import _boto3_rotate

README = Path(__file__).resolve().parents[2] / "README.md"


def _readme_rotation_code() -> str:
    section = README.read_text().split("### Rotation functions\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the rotation section has exactly one code block"
    return str(blocks[0])


def _stand_in_driver(db: UserTable) -> types.ModuleType:
    """``mydb`` for the example: connections to the in-process user table."""
    module = types.ModuleType("mydb")

    class LoginError(Exception):
        pass

    class Connection:
        def __init__(self, user: str) -> None:
            self.user = user

        def __enter__(self) -> Connection:
            return self

        def __exit__(self, *exc: object) -> None:
            self.close()

        def close(self) -> None:
            pass

        def set_password(self, user: str, password: str) -> None:
            db.alter(self.user, db.passwords[self.user], user, password)

    def connect(*, host: str, user: str, password: str) -> Connection:
        if host != "db.local" or not db.login(user, password):
            raise LoginError("login failed")
        return Connection(user)

    module.LoginError = LoginError  # type: ignore[attr-defined]
    module.connect = connect  # type: ignore[attr-defined]
    return module


def test_readme_example_is_short() -> None:
    """The README's complete rotation function fits in under 40 lines."""
    assert len(_readme_rotation_code().splitlines()) < 40


def test_readme_example_rotates(
    moto_url: str,
    boto3_client: Any,
    unique_name: str,
    rotation_lambda_arn: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The example, executed as written, rotates a password in the stand-in database."""
    db = UserTable({"app": "old-password"})
    monkeypatch.setitem(sys.modules, "mydb", _stand_in_driver(db))
    for name, setting in {
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDTEST",
        "AWS_SECRET_ACCESS_KEY": "test-secret-key",
        "SECRETS_MANAGER_ENDPOINT": moto_url,
    }.items():
        monkeypatch.setenv(name, setting)
    secret = {"engine": "postgres", "host": "db.local", "username": "app"}
    boto3_client.create_secret(
        Name=unique_name, SecretString=json.dumps(secret | {"password": "old-password"})
    )
    namespace: dict[str, Any] = {"__name__": "rotate"}
    exec(compile(_readme_rotation_code(), "README.md#rotation", "exec"), namespace)
    handler = namespace["lambda_handler"].__self__
    try:
        for _ in range(2):
            token = _boto3_rotate(boto3_client, unique_name, rotation_lambda_arn)
            for step in STEPS:
                namespace["lambda_handler"](event(unique_name, token, step), None)
    finally:
        handler.close()
    current = json.loads(
        boto3_client.get_secret_value(SecretId=unique_name, VersionStage="AWSCURRENT")[
            "SecretString"
        ]
    )
    assert current.keys() == {*secret, "password"}
    assert db.login("app", current["password"]) and db.changes == 2
    assert not db.login("app", "old-password")
