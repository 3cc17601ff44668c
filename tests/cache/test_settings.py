"""SecretsManagerSettingsSource against moto: one bulk fetch fills a pydantic settings class."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

import pytest
from pydantic import Field, ValidationError, create_model
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from secretsmanager_async import Secret, SecretsManagerClient
from secretsmanager_async.settings import FromSecret, SecretsManagerSettingsSource, load_settings

from ..bulk.conftest import Counting, make_client


@pytest.fixture
async def counted(moto_url: str) -> AsyncIterator[tuple[SecretsManagerClient, Counting]]:
    """Our client on moto with a stage counting requests per operation."""
    counting = Counting()
    async with make_client(moto_url, middleware=[counting]) as c:
        yield c, counting


def settings_class(
    fields: dict[str, Any],
    factory: Callable[[], SecretsManagerClient] | None = None,
    secret_id: str | None = None,
) -> type[BaseSettings]:
    """A BaseSettings subclass with ``fields`` whose last source is ours."""

    class Base(BaseSettings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            ours = SecretsManagerSettingsSource(
                settings_cls, secret_id=secret_id, client_factory=factory
            )
            return (init_settings, env_settings, ours)

    return create_model("Settings", __base__=Base, **fields)  # type: ignore[call-overload,no-any-return]


async def create(client: SecretsManagerClient, values: dict[str, str]) -> dict[str, str]:
    """Create secrets under a fresh prefix; returns short name -> full name."""
    prefix = f"settings-{uuid.uuid4().hex[:8]}/"
    await asyncio.gather(
        *(client.create_secret(name=prefix + k, secret_string=v) for k, v in values.items())
    )
    return {k: prefix + k for k in values}


async def test_45_secrets_in_three_batch_requests(
    counted: tuple[SecretsManagerClient, Counting],
) -> None:
    """A class naming 45 secrets is filled by 3 BatchGetSecretValue requests, nothing else."""
    client, counting = counted
    names = await create(client, {f"s{i:02d}": f"value-{i:02d}" for i in range(45)})
    fields = {f"f{i:02d}": (Annotated[str, FromSecret(names[f"s{i:02d}"])], ...) for i in range(45)}
    settings_type = settings_class(fields)
    counting.counts.clear()
    settings = await load_settings(settings_type, client)
    assert [getattr(settings, f"f{i:02d}") for i in range(45)] == [
        f"value-{i:02d}" for i in range(45)
    ]
    assert counting.counts == {"BatchGetSecretValue": 3}


async def test_json_keys_secret_fields_defaults_and_init_precedence(
    counted: tuple[SecretsManagerClient, Counting],
) -> None:
    """JSON members, a Secret[...] field, a missing secret falling back to a default."""
    client, counting = counted
    names = await create(
        client,
        {"db": '{"user": "app", "password": "hunter2", "port": 5432}', "key": "k-123"},
    )
    settings_type = settings_class(
        {
            "db_user": (Annotated[str, FromSecret(names["db"], key="user")], ...),
            "db_password": (Annotated[Secret[str], FromSecret(names["db"], key="password")], ...),
            "db_port": (Annotated[int, FromSecret(names["db"], key="port")], ...),
            "api_key": (Annotated[str, FromSecret(names["key"])], ...),
            "feature": (Annotated[str, FromSecret("settings/absent")], "off"),
            "plain": (int, 7),
        }
    )
    counting.counts.clear()
    settings = await load_settings(settings_type, client, api_key="from-init")
    assert settings.db_user == "app" and settings.db_port == 5432  # type: ignore[attr-defined]
    assert settings.db_password.get() == "hunter2"  # type: ignore[attr-defined]
    assert settings.api_key == "from-init"  # type: ignore[attr-defined]
    assert settings.feature == "off" and settings.plain == 7  # type: ignore[attr-defined]
    assert "hunter2" not in repr(settings) and "hunter2" not in str(settings)
    assert "hunter2" not in settings.model_dump_json()
    assert counting.counts == {"BatchGetSecretValue": 1}


async def test_one_json_secret_fills_fields_by_name(
    counted: tuple[SecretsManagerClient, Counting],
) -> None:
    """secret_id=...: the JSON object's members fill the unmarked fields (aliases honoured)."""
    client, _ = counted
    names = await create(client, {"app": '{"user": "app", "db-port": 6543}'})
    settings_type = settings_class(
        {"user": (str, ...), "port": (int, Field(alias="db-port")), "extra": (str, "x")},
        secret_id=names["app"],
    )
    settings = await load_settings(settings_type, client)
    assert (settings.user, settings.port, settings.extra) == ("app", 6543, "x")  # type: ignore[attr-defined]


def test_sync_construction_uses_its_own_client(moto_url: str, boto3_client: Any) -> None:
    """Settings() in plain sync code: the source runs its fetch in a loop of its own."""
    name = f"settings-{uuid.uuid4().hex[:8]}/sync"
    boto3_client.create_secret(Name=name, SecretString="sync-value")
    made: list[SecretsManagerClient] = []

    def factory() -> SecretsManagerClient:
        made.append(make_client(moto_url))
        return made[-1]

    settings_type = settings_class({"value": (Annotated[str, FromSecret(name)], ...)}, factory)
    assert settings_type().value == "sync-value"  # type: ignore[attr-defined]
    assert len(made) == 1 and made[0].closed


async def test_sync_construction_inside_a_running_loop(moto_url: str, boto3_client: Any) -> None:
    """Settings() called in async code still works (the fetch runs in a worker thread)."""
    name = f"settings-{uuid.uuid4().hex[:8]}/in-loop"
    boto3_client.create_secret(Name=name, SecretString="loop-value")
    settings_type = settings_class(
        {"value": (Annotated[str, FromSecret(name)], ...)}, lambda: make_client(moto_url)
    )
    assert settings_type().value == "loop-value"  # type: ignore[attr-defined]


async def test_errors_other_than_not_found_are_raised_and_missing_required_is_reported(
    counted: tuple[SecretsManagerClient, Counting], caplog: pytest.LogCaptureFixture
) -> None:
    """A required field whose secret is missing fails validation; not-JSON names the secret."""
    client, _ = counted
    names = await create(client, {"text": "hunter2 not json"})
    settings_type = settings_class({"value": (Annotated[str, FromSecret("settings/none")], ...)})
    with pytest.raises(ValidationError, match="value"):
        await load_settings(settings_type, client)
    settings_type = settings_class(
        {"value": (Annotated[str, FromSecret(names["text"], key="k")], ...)}
    )
    with pytest.raises(ValueError, match="is not a JSON object") as info:
        await load_settings(settings_type, client)
    assert "hunter2" not in str(info.value) and info.value.__context__ is None
    assert "hunter2" not in caplog.text


def test_the_package_never_imports_pydantic() -> None:
    """Importing secretsmanager_async and using the cache loads neither pydantic module."""
    import subprocess
    import sys

    code = (
        "import sys, secretsmanager_async\n"
        "from secretsmanager_async import SecretCache, Secret\n"
        "print([m for m in ('pydantic', 'pydantic_settings', 'pydantic_core') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert out.stdout.strip() == "[]"


def test_the_module_imports_without_pydantic_settings_and_says_what_is_missing() -> None:
    """Without pydantic-settings the module imports; the source names the extra to install."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "sys.modules['pydantic_settings'] = None\n"
        "import secretsmanager_async.settings as s\n"
        "print(s.FromSecret('x').secret_id)\n"
        "try:\n"
        "    s.SecretsManagerSettingsSource\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, text=True)
    assert out.stdout.splitlines() == [
        "x",
        "SecretsManagerSettingsSource needs pydantic-settings: "
        "pip install 'secretsmanager-async[pydantic]'",
    ]
