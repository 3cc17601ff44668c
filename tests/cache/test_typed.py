"""get_secret_model and the Secret wrapper: typed secrets, parsed once, never shown."""

from __future__ import annotations

import copy
import dataclasses
import logging
import pickle
from typing import TypedDict

import attrs
import pytest

from secretsmanager_async import Secret, SecretsManagerClient
from secretsmanager_async._cache import SecretCache

from ..bulk.local_server import LocalSecretsServer
from .conftest import FakeClock


@attrs.frozen
class DbCreds:
    """An attrs model with a redacted password."""

    user: str
    password: Secret[str]
    port: int = 5432


@dataclasses.dataclass(frozen=True)
class DbCredsDC:
    """The same as a dataclass."""

    user: str
    password: Secret[str]
    port: int


class DbCredsTD(TypedDict):
    """The same as a TypedDict."""

    user: str
    password: str
    port: int


def reachable(exc: BaseException) -> str:
    """Everything reachable from an exception, as text: args, reprs, causes and contexts."""
    seen: list[str] = []
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None:
            continue
        seen += [repr(e), str(e), repr(e.args), repr(vars(e)) if hasattr(e, "__dict__") else ""]
        seen += [repr(getattr(e, "__notes__", ""))]
        todo += [e.__cause__, e.__context__, *getattr(e, "exceptions", ())]
    return "\n".join(seen)


async def test_models_of_every_kind_with_redacted_fields(
    sm: SecretsManagerClient, caplog: pytest.LogCaptureFixture
) -> None:
    """attrs, dataclass and TypedDict models; the Secret field hides the value everywhere."""
    caplog.set_level(logging.DEBUG)
    async with SecretCache(sm) as cache:
        creds = await cache.get_secret_model("db/creds", DbCreds)
        assert creds.user == "app" and creds.port == 5432 and creds.password.get() == "hunter2"
        dc = await cache.get_secret_model("db/creds", DbCredsDC)
        assert dc.password.get() == "hunter2"
        td = await cache.get_secret_model("db/creds", DbCredsTD)
        assert td == {"user": "app", "password": "hunter2", "port": 5432}
        port = await cache.get_secret_model("db/creds", int, key="port")
        assert port == 5432
        token = await cache.get_secret_model("db/creds", Secret[str], key="password")
        assert token.get() == "hunter2" and "hunter2" not in repr(token)
        for text in (repr(creds), str(creds), f"{creds.password}", repr(dc), str(creds.password)):
            assert "hunter2" not in text
        logging.getLogger("test").info("creds %s %r", creds, creds.password)
        assert "hunter2" not in caplog.text
        with pytest.raises(TypeError, match="pickle"):
            pickle.dumps(creds.password)
        assert creds.password == Secret("hunter2") and hash(creds.password) == hash("hunter2")


async def test_model_built_once_per_version(
    server: LocalSecretsServer, sm: SecretsManagerClient, clock: FakeClock
) -> None:
    """The same object until the version changes; a TypedDict (a dict) is copied per caller."""
    async with SecretCache(sm, clock=clock) as cache:
        first = await cache.get_secret_model("db/creds", DbCreds)
        assert await cache.get_secret_model("db/creds", DbCreds) is first
        td = await cache.get_secret_model("db/creds", DbCredsTD)
        td["user"] = "changed"
        assert (await cache.get_secret_model("db/creds", DbCredsTD))["user"] == "app"
        server.rotate("db/creds", '{"user": "new", "password": "pw2", "port": 1}')
        clock.advance(10)
        second = await cache.get_secret_model("db/creds", DbCreds, refresh=True)
        assert second is not first and second.user == "new"


async def test_model_errors_name_the_field_never_the_value(
    server: LocalSecretsServer, sm: SecretsManagerClient
) -> None:
    """A bad field, a missing field, a non-object and a non-JSON secret: no value leaks."""
    server.add("bad/port", '{"user": "app", "password": "hunter2", "port": "hunter2-port"}')
    server.add("bad/missing", '{"user": "app", "port": 1}')
    async with SecretCache(sm) as cache:
        with pytest.raises(ValueError, match=r"'bad/port' does not fit DbCreds") as info:
            await cache.get_secret_model("bad/port", DbCreds)
        assert "$.port" in str(info.value) and "expected int" in str(info.value)
        assert "hunter2" not in reachable(info.value)
        with pytest.raises(ValueError, match=r"required field missing @ \$\.password") as info:
            await cache.get_secret_model("bad/missing", DbCreds)
        assert "hunter2" not in reachable(info.value)
        with pytest.raises(ValueError, match="expected int") as info:
            await cache.get_secret_model("bad/port", int, key="password")
        assert "hunter2" not in reachable(info.value)
        with pytest.raises(KeyError):
            await cache.get_secret_model("db/creds", DbCreds, key="absent")
        with pytest.raises(ValueError, match="not valid JSON"):
            await cache.get_secret_model("s02", DbCreds)
        with pytest.raises(TypeError, match="binary"):
            await cache.get_secret_model("blob", DbCreds)


def test_secret_wrapper_copies_and_compares() -> None:
    """copy and deepcopy keep the value; repr, str and format never show it."""
    s = Secret(["token"])
    assert copy.copy(s).get() == ["token"] and copy.deepcopy(s).get() == ["token"]
    assert repr(s) == "Secret('**********')" and str(s) == "**********"
    assert f"{s:>20}" == "**********" and s != "token"


def test_sync_cache_models_refresh_and_on_change(moto_url: str) -> None:
    """The sync facade offers get_secret_model, refresh=True and on_change too."""
    import uuid

    from secretsmanager_async import Credentials
    from secretsmanager_async.sync import SecretCache as SyncCache
    from secretsmanager_async.sync import SecretsManagerClient as SyncClient

    name = f"sync-model/{uuid.uuid4().hex[:8]}"
    with SyncClient(
        region="us-east-1", endpoint_url=moto_url, credentials=Credentials("AKID", "s")
    ) as client:
        client.create_secret(name=name, secret_string='{"user": "a", "password": "p1"}')
        heard: list[str | None] = []
        with SyncCache(client, min_refresh_interval=0) as cache:
            cache.on_change(lambda secret_id, old, new: heard.append(new))
            creds = cache.get_secret_model(name, DbCredsTD2)
            assert creds == {"user": "a", "password": "p1"}
            new = client.put_secret_value(
                secret_id=name, secret_string='{"user": "a", "password": "p2"}'
            ).version_id
            assert cache.get_secret_json(name, "password", refresh=True) == "p2"
            assert heard == [new]


class DbCredsTD2(TypedDict):
    """Two string fields."""

    user: str
    password: str
