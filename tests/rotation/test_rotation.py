"""The rotation add-on against moto's server, with an in-process user table as the database."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from typing import Any

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async.rotation import (
    CredentialsRejectedError,
    InvalidTokenError,
    MalformedEventError,
    RotationEvent,
    RotationNotEnabledError,
    SecretFormatError,
    SecretValue,
)

from .conftest import (
    STEPS,
    TableAlternatingUsers,
    TableSingleUser,
    UserTable,
    event,
    stages,
    start_rotation,
    value,
)

TOKEN = "0123456789abcdef0123456789abcdef"


def _db_secret(username: str, password: str, **extra: str) -> str:
    return json.dumps(
        {"engine": "postgres", "host": "db.local", "username": username, "password": password}
        | extra
    )


async def _rotate(handler: Any, secret_id: str, token: str) -> None:
    for step in STEPS:
        await handler.handle(event(secret_id, token, step))


# -- the event ------------------------------------------------------------------------------


def test_event_parsed_and_rotation_token_hidden() -> None:
    """A rotation event parses into typed fields; the rotation token stays out of the repr."""
    rotation_token = "r" * 40
    parsed = RotationEvent.from_dict(
        {**event("arn:secret", TOKEN, "setSecret"), "RotationToken": rotation_token}
    )
    assert (parsed.secret_id, parsed.token, parsed.step) == ("arn:secret", TOKEN, "setSecret")
    assert parsed.rotation_token == rotation_token
    assert rotation_token not in repr(parsed)


@pytest.mark.parametrize(
    ("bad", "field", "rule"),
    [
        ({"ClientRequestToken": TOKEN, "Step": "setSecret"}, "SecretId", "got missing"),
        ({"SecretId": 7, "ClientRequestToken": TOKEN, "Step": "setSecret"}, "SecretId", "int"),
        ({"SecretId": "s", "ClientRequestToken": "short", "Step": "setSecret"}, "Client", "32"),
        ({"SecretId": "s", "ClientRequestToken": TOKEN, "Step": "rotate"}, "Step", "one of"),
        ({"SecretId": "s", "ClientRequestToken": TOKEN}, "Step", "got NoneType"),
        (
            {
                "SecretId": "s",
                "ClientRequestToken": TOKEN,
                "Step": "setSecret",
                "RotationToken": "x",
            },
            "RotationToken",
            "36 to 256",
        ),
        (["SecretId"], "event", "mapping"),
    ],
)
async def test_malformed_event_fails_before_any_call(bad: Any, field: str, rule: str) -> None:
    """A malformed event names the field and rule, and nothing is sent (no server is there)."""
    client = SecretsManagerClient(
        region="us-east-1", endpoint_url="http://127.0.0.1:9", credentials=None
    )
    handler = TableSingleUser(client, UserTable({}))
    with pytest.raises(MalformedEventError, match=field) as raised:
        await handler.handle(bad)
    assert rule in str(raised.value)
    assert isinstance(raised.value, ValueError)
    await client.close()


def test_import_is_an_add_on() -> None:
    """Importing the package (and using its client) never imports the rotation module."""
    code = (
        "import sys, secretsmanager_async\n"
        "secretsmanager_async.SecretsManagerClient(region='us-east-1')\n"
        "print('secretsmanager_async.rotation' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_secret_format_error_holds_no_value() -> None:
    """A value that is not a JSON object raises an error with no value in it or behind it."""
    secret = 'not json {"password": "hunter2-secret"'
    with pytest.raises(SecretFormatError) as raised:
        SecretValue(version_id="v1", stages=("AWSCURRENT",), string=secret).json()
    error = raised.value
    assert error.__cause__ is None and error.__context__ is None
    assert "hunter2" not in str(error) and "hunter2" not in repr(error.args)
    assert "hunter2" not in repr(SecretValue(version_id="v1", stages=(), string=secret))
    with pytest.raises(SecretFormatError):
        SecretValue(version_id="v1", stages=(), string='["a list"]').json()


# -- end to end -----------------------------------------------------------------------------


async def test_single_user_rotation_end_to_end(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """Four steps: AWSCURRENT holds a new working password, AWSPREVIOUS the old one."""
    db = UserTable({"app": "old-password"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "old-password"))
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await _rotate(TableSingleUser(client, db), unique_name, token)

    current = await value(client, unique_name, "AWSCURRENT")
    previous = await value(client, unique_name, "AWSPREVIOUS")
    assert previous["password"] == "old-password"
    assert current["password"] != "old-password" and len(current["password"]) == 32
    assert {k: v for k, v in current.items() if k != "password"} == {
        k: v for k, v in previous.items() if k != "password"
    }
    assert db.login("app", current["password"]) and not db.login("app", "old-password")
    versions = await stages(client, unique_name)
    assert "AWSCURRENT" in versions[token]


async def test_alternating_users_end_to_end(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """Users take turns: the previous user keeps working until the next rotation."""
    db = UserTable({"app": "pw-0", "admin": "admin-pw"}, admins=("admin",))
    admin_name = unique_name + "-admin"
    admin = await client.create_secret(
        name=admin_name, secret_string=_db_secret("admin", "admin-pw")
    )
    await client.create_secret(
        name=unique_name, secret_string=_db_secret("app", "pw-0", masterarn=str(admin.arn))
    )
    handler = TableAlternatingUsers(client, db)

    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await _rotate(handler, unique_name, token)
    first = await value(client, unique_name, "AWSCURRENT")
    assert first["username"] == "app_clone" and first["masterarn"] == admin.arn
    assert db.login("app_clone", first["password"])
    assert db.privileges["app_clone"] == db.privileges["app"]
    assert db.login("app", "pw-0")  # the previous user still works
    assert (await value(client, unique_name, "AWSPREVIOUS"))["username"] == "app"

    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await _rotate(handler, unique_name, token)
    second = await value(client, unique_name, "AWSCURRENT")
    assert second["username"] == "app" and second["password"] not in ("pw-0", first["password"])
    assert db.login("app", second["password"]) and not db.login("app", "pw-0")
    assert db.login("app_clone", first["password"])  # now the previous user, still working
    assert await value(client, unique_name, "AWSPREVIOUS") == first


# -- retries, failures and refusals ---------------------------------------------------------


async def test_every_step_retried_changes_nothing(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """Each step sent twice: no extra version, one password change, the same end state."""
    db = UserTable({"app": "old-password"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "old-password"))
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    handler = TableSingleUser(client, db)
    versions_before = await stages(client, unique_name)

    await handler.handle(event(unique_name, token, "createSecret"))
    pending = await client.get_secret_value(
        secret_id=unique_name, version_id=token, version_stage="AWSPENDING"
    )
    await handler.handle(event(unique_name, token, "createSecret"))
    again = await client.get_secret_value(
        secret_id=unique_name, version_id=token, version_stage="AWSPENDING"
    )
    assert again.secret_string == pending.secret_string
    assert (await stages(client, unique_name)).keys() == versions_before.keys()

    for step in ("setSecret", "testSecret", "finishSecret"):
        await handler.handle(event(unique_name, token, step))
        await handler.handle(event(unique_name, token, step))
    assert db.changes == 1
    after = await stages(client, unique_name)
    assert after.keys() == versions_before.keys()
    assert "AWSCURRENT" in after[token]
    assert (await value(client, unique_name, "AWSCURRENT"))["password"] == json.loads(
        pending.secret_string or ""
    )["password"]


async def test_already_finished_rotation_is_left_alone(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """Every step of a finished rotation ends without a call that changes anything."""
    db = UserTable({"app": "old-password"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "old-password"))
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    handler = TableSingleUser(client, db)
    await _rotate(handler, unique_name, token)
    before = (await stages(client, unique_name), await value(client, unique_name, "AWSCURRENT"))
    changes = db.changes

    sent: list[str] = []

    class Recorder:
        name = "recorder"

        async def handle(self, request: Any, next: Any) -> Any:
            sent.append(request.headers["X-Amz-Target"].split(".")[-1])
            return await next(request)

    client.middleware.insert_before("parse_errors", Recorder())
    for step in STEPS:
        await handler.handle(event(unique_name, token, step))
    assert sent == ["DescribeSecret"] * 4
    after = (await stages(client, unique_name), await value(client, unique_name, "AWSCURRENT"))
    assert after == before and db.changes == changes


async def test_failing_test_secret_leaves_current_unchanged(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """If the new password does not work, testSecret fails and AWSCURRENT is untouched."""

    class LosesPasswords(TableSingleUser):
        async def change_password(self, login: dict[str, Any], new_password: str) -> None:
            """A database that accepts the change and keeps the old password."""

    db = UserTable({"app": "old-password"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "old-password"))
    current_before = (await client.get_secret_value(secret_id=unique_name)).version_id
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    handler = LosesPasswords(client, db)
    await handler.handle(event(unique_name, token, "createSecret"))
    await handler.handle(event(unique_name, token, "setSecret"))
    with pytest.raises(CredentialsRejectedError, match="testSecret"):
        await handler.handle(event(unique_name, token, "testSecret"))

    versions = await stages(client, unique_name)
    assert versions[token] == ["AWSPENDING"]
    assert current_before is not None and "AWSCURRENT" in versions[current_before]
    assert (await value(client, unique_name, "AWSCURRENT"))["password"] == "old-password"
    assert db.login("app", "old-password")


async def test_wrong_token_is_refused(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """A token that is not a version, or a version that is not AWSPENDING, is refused."""
    db = UserTable({"app": "old-password"})
    created = await client.create_secret(
        name=unique_name, secret_string=_db_secret("app", "old-password")
    )
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    handler = TableSingleUser(client, db)
    await _rotate(handler, unique_name, token)
    before = await stages(client, unique_name)

    with pytest.raises(InvalidTokenError, match="is not a version"):
        await handler.handle(event(unique_name, "f" * 32, "createSecret"))
    assert created.version_id and "AWSPREVIOUS" in before[created.version_id]
    for step in STEPS:  # the old version: neither AWSCURRENT nor AWSPENDING
        with pytest.raises(InvalidTokenError, match="is not AWSPENDING"):
            await handler.handle(event(unique_name, created.version_id, step))
    assert await stages(client, unique_name) == before
    assert db.changes == 1


async def test_rotation_disabled_is_refused(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """A secret without rotation enabled is refused before any step, whether or not rotated."""
    db = UserTable({"app": "old-password"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "old-password"))
    handler = TableSingleUser(client, db)
    with pytest.raises(RotationNotEnabledError):  # never rotated: no RotationEnabled at all
        await handler.handle(event(unique_name, TOKEN, "createSecret"))
    token = await start_rotation(client, unique_name, rotation_lambda_arn, enabled=False)
    assert (await client.describe_secret(secret_id=unique_name)).rotation_enabled is False
    for step in STEPS:
        with pytest.raises(RotationNotEnabledError, match="not enabled"):
            await handler.handle(event(unique_name, token, step))
    assert (await stages(client, unique_name))[token] == ["AWSPENDING"]
    with pytest.raises(Exception, match="can't find"):  # createSecret did not run
        await client.get_secret_value(
            secret_id=unique_name, version_id=token, version_stage="AWSPENDING"
        )


async def test_set_secret_falls_back_to_previous_and_checks_user(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """Single user: the previous password logs in when the current does not; a pending value
    for another user is refused."""
    db = UserTable({"app": "pw-0"})
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "pw-0"))
    handler = TableSingleUser(client, db)
    await _rotate(
        handler, unique_name, await start_rotation(client, unique_name, rotation_lambda_arn)
    )
    db.passwords["app"] = "pw-0"  # the database was restored from a backup
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await _rotate(handler, unique_name, token)
    assert db.login("app", (await value(client, unique_name, "AWSCURRENT"))["password"])

    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await client.put_secret_value(
        secret_id=unique_name,
        client_request_token=token,
        secret_string=_db_secret("root", "x"),
        version_stages=["AWSPENDING"],
    )
    with pytest.raises(SecretFormatError, match="'username'"):
        await handler.handle(event(unique_name, token, "setSecret"))
    assert "root" not in db.passwords


async def test_logs_name_versions_never_values(
    client: SecretsManagerClient,
    unique_name: str,
    rotation_lambda_arn: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A rotation and a failed one log secret, step and versions, and no password."""

    class Fails(TableAlternatingUsers):
        async def login_works(self, credentials: dict[str, Any]) -> bool:
            return False

    db = UserTable({"app": "pw-0", "admin": "admin-pw"}, admins=("admin",))
    admin = await client.create_secret(
        name=unique_name + "-admin", secret_string=_db_secret("admin", "admin-pw")
    )
    await client.create_secret(
        name=unique_name, secret_string=_db_secret("app", "pw-0", masterarn=str(admin.arn))
    )
    caplog.set_level(logging.DEBUG)
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await _rotate(TableAlternatingUsers(client, db), unique_name, token)
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    await Fails(client, db).handle(event(unique_name, token, "createSecret"))
    with pytest.raises(CredentialsRejectedError) as raised:
        await Fails(client, db).handle(event(unique_name, token, "setSecret"))

    values = [p for p in db.passwords.values()] + ["app_clone"]
    pending = await client.get_secret_value(
        secret_id=unique_name, version_id=token, version_stage="AWSPENDING"
    )
    values.append(json.loads(pending.secret_string or "")["password"])
    rotation_logs = [r for r in caplog.records if r.name == "secretsmanager_async.rotation"]
    assert {"createSecret", "setSecret", "testSecret", "finishSecret"} <= {
        r.getMessage().split(":")[0] for r in rotation_logs
    }
    assert any(token in r.getMessage() for r in rotation_logs)
    for record in caplog.records:
        text = record.getMessage()
        assert not any(v in text for v in values), text
    assert not any(v in str(raised.value) for v in values)


async def test_rotation_token_is_passed_to_put_secret_value(
    client: SecretsManagerClient, unique_name: str, rotation_lambda_arn: str
) -> None:
    """A newer event's RotationToken goes with the PutSecretValue of createSecret."""
    bodies: dict[str, dict[str, Any]] = {}

    class Recorder:
        name = "recorder"

        async def handle(self, request: Any, next: Any) -> Any:
            bodies[request.headers["X-Amz-Target"].split(".")[-1]] = json.loads(request.body)
            return await next(request)

    client.middleware.insert_before("parse_errors", Recorder())
    await client.create_secret(name=unique_name, secret_string=_db_secret("app", "pw"))
    token = await start_rotation(client, unique_name, rotation_lambda_arn)
    rotation_token = "0a1b2c3d-" * 5
    handler = TableSingleUser(client, UserTable({}))
    await handler.handle(
        {**event(unique_name, token, "createSecret"), "RotationToken": rotation_token}
    )
    put = bodies["PutSecretValue"]
    assert put["RotationToken"] == rotation_token
    assert (put["ClientRequestToken"], put["VersionStages"]) == (token, ["AWSPENDING"])


def test_deeply_nested_secret_is_a_format_error() -> None:
    """A value nested too deeply for the JSON decoder is a SecretFormatError, not RecursionError."""
    from secretsmanager_async.rotation import SecretFormatError, SecretValue

    value = SecretValue(version_id="v1", stages=("AWSCURRENT",), string="[" * 100_000)
    with pytest.raises(SecretFormatError) as info:
        value.json()
    assert info.value.__context__ is None and info.value.__cause__ is None
