"""pydantic-settings source: fill a settings class from Secrets Manager with one bulk fetch.

Needs the ``[pydantic]`` extra (pydantic 2 and pydantic-settings 2), imported when the source
class is first used; the package never imports this module by itself. Mark fields with
:class:`FromSecret`, or give the source a ``secret_id`` whose JSON object supplies the fields
by name::

    class Settings(BaseSettings):
        db_password: Annotated[Secret[str], FromSecret("prod/db", key="password")]
        api_key: Annotated[str, FromSecret("prod/api-key")]

        @classmethod
        def settings_customise_sources(cls, settings_cls, init_settings, env_settings,
                                       dotenv_settings, file_secret_settings):
            return (init_settings, env_settings, SecretsManagerSettingsSource(settings_cls))

    settings = Settings()                            # sync start-up code
    settings = await load_settings(Settings, client)  # async start-up code

Every secret the class names is read by one ``get_secret_values`` call (BatchGetSecretValue,
20 ids per request), unlike pydantic-settings' own boto3 source, which reads one secret.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import attrs

from .exceptions import ResourceNotFoundException

if TYPE_CHECKING:
    from pydantic.fields import FieldInfo
    from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

    from ._bulk import BulkResult
    from ._client import SecretsManagerClient

__all__ = ["FromSecret", "SecretsManagerSettingsSource", "load_settings"]

S = TypeVar("S", bound="BaseSettings")


class _Prefetch:
    """load_settings() at work on a settings class: the secrets, once it has fetched them."""

    __slots__ = ("result", "settings_cls")

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        self.settings_cls = settings_cls
        self.result: BulkResult | None = None


class _NeedSecrets(Exception):
    """Raised by the source to tell load_settings() which secrets to fetch."""

    def __init__(self, secret_ids: list[str]) -> None:
        super().__init__(secret_ids)
        self.secret_ids = secret_ids


#: the load_settings() call building a settings class in this context, if any
_LOADING: contextvars.ContextVar[_Prefetch | None] = contextvars.ContextVar(
    "secretsmanager_async_settings", default=None
)


@attrs.frozen
class FromSecret:
    """Field metadata: the value is the secret ``secret_id``, or its JSON member ``key``."""

    secret_id: str
    key: str | None = None


if TYPE_CHECKING:

    class SecretsManagerSettingsSource(PydanticBaseSettingsSource):
        """A pydantic-settings source reading every secret a settings class names at once."""

        def __init__(
            self,
            settings_cls: type[BaseSettings],
            *,
            secret_id: str | None = None,
            client_factory: Callable[[], SecretsManagerClient] | None = None,
        ) -> None: ...
        def secret_ids(self) -> list[str]: ...
        def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]: ...
        def __call__(self) -> dict[str, Any]: ...

else:

    def __getattr__(name: str) -> Any:
        # the class is defined on first use: its base class comes from pydantic-settings, an
        # optional dependency that importing this module must not need
        if name != "SecretsManagerSettingsSource":
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        source = globals()[name] = _define_source()
        return source


def _define_source() -> type[SecretsManagerSettingsSource]:
    try:
        from pydantic_settings import PydanticBaseSettingsSource
    except ImportError:
        missing = True
    else:
        missing = False
    if missing:
        raise ImportError(
            "SecretsManagerSettingsSource needs pydantic-settings: "
            "pip install 'secretsmanager-async[pydantic]'"
        )

    class _Source(PydanticBaseSettingsSource):
        """A pydantic-settings source reading every secret a settings class names in one bulk fetch.

        :param settings_cls: the settings class
        :param secret_id: a JSON secret whose members fill the fields not marked with
            :class:`FromSecret`, by field name (or alias)
        :param client_factory: makes the client used when the settings are built synchronously
            (default: ``SecretsManagerClient()``, the standard credentials chain); it is created,
            used and closed in an event loop of its own. :func:`load_settings` uses your client.

        A secret that does not exist leaves its fields to defaults and later sources; any other
        error (access denied, throttling that outlasted the retries, ...) is raised.
        """

        def __init__(
            self,
            settings_cls: type[BaseSettings],
            *,
            secret_id: str | None = None,
            client_factory: Callable[[], SecretsManagerClient] | None = None,
        ) -> None:
            super().__init__(settings_cls)
            self._secret_id = secret_id
            self._client_factory = client_factory
            self._fields = {
                name: _source(field, name, secret_id)
                for name, field in settings_cls.model_fields.items()
            }

        def secret_ids(self) -> list[str]:
            """The secrets this source reads, in field order, without duplicates."""
            return list(dict.fromkeys(s.secret_id for s in self._fields.values() if s is not None))

        def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
            # __call__ does the work for all fields at once; pydantic-settings requires this method
            return None, field_name, False

        def __call__(self) -> dict[str, Any]:
            loading = _LOADING.get()
            if loading is not None and loading.settings_cls is self.settings_cls:
                if loading.result is None:
                    # load_settings() asks first which secrets this source reads, then fetches
                    # them with its client and builds the settings again
                    raise _NeedSecrets(self.secret_ids())
                result = loading.result
            else:
                result = _run_sync(self._fetch_with_own_client())
            values: dict[str, Any] = {}
            documents: dict[str, Any] = {}
            for name, where in self._fields.items():
                if where is None:
                    continue
                error = result.errors.get(where.secret_id)
                if error is not None:
                    if isinstance(error, ResourceNotFoundException):
                        continue
                    raise error
                entry = result.values[where.secret_id]
                raw: Any = entry.secret_string if entry.secret_string is not None else None
                if raw is None:
                    raw = entry.secret_binary
                field = self.settings_cls.model_fields[name]
                if where.key is not None:
                    document = documents.get(where.secret_id)
                    if document is None:
                        document = documents[where.secret_id] = _json_object(where.secret_id, raw)
                    if where.key not in document:
                        continue
                    value = document[where.key]
                else:
                    value = self.prepare_field_value(name, field, raw, False)
                values[field.alias or name] = value
            return values

        async def _fetch_with_own_client(self) -> BulkResult:
            from ._client import SecretsManagerClient

            factory = self._client_factory or SecretsManagerClient
            async with factory() as client:
                return await client.get_secret_values(self.secret_ids())

        def __repr__(self) -> str:
            return f"SecretsManagerSettingsSource(secret_ids={self.secret_ids()!r})"

    _Source.__name__ = _Source.__qualname__ = "SecretsManagerSettingsSource"
    return cast("type[SecretsManagerSettingsSource]", _Source)


async def load_settings(settings_cls: type[S], client: SecretsManagerClient, /, **values: Any) -> S:
    """Build ``settings_cls(**values)`` in async code, its secrets read through ``client``.

    The class's :class:`SecretsManagerSettingsSource` gets the values of one bulk fetch made
    here instead of fetching with a client of its own.
    """
    loading = _Prefetch(settings_cls)
    token = _LOADING.set(loading)
    try:
        try:
            return settings_cls(**values)  # returns only if the class has no source of ours
        except _NeedSecrets as need:
            secret_ids = need.secret_ids
        loading.result = await client.get_secret_values(secret_ids)
        return settings_cls(**values)
    finally:
        _LOADING.reset(token)


def _source(field: FieldInfo, name: str, secret_id: str | None) -> FromSecret | None:
    for item in field.metadata:
        if isinstance(item, FromSecret):
            return item
    if secret_id is not None:
        return FromSecret(secret_id, field.alias or name)
    return None


def _json_object(secret_id: str, raw: Any) -> Mapping[str, Any]:
    failed = False
    try:
        document = json.loads(raw) if isinstance(raw, (str, bytes)) else None
    except ValueError:
        failed = True
    # raised outside the except block: the decode error holds the whole document
    if failed or not isinstance(document, dict):
        raise ValueError(f"secret {secret_id!r} is not a JSON object")
    return document


def _run_sync(coro: Any) -> BulkResult:
    """Run ``coro`` to completion from sync code, in a loop of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # type: ignore[no-any-return]
    # called from inside a running loop (a sync constructor in async code): that loop cannot
    # be re-entered, so the fetch runs in a worker thread; prefer load_settings() there
    with concurrent.futures.ThreadPoolExecutor(1, "secretsmanager-settings") as pool:
        return pool.submit(asyncio.run, coro).result()  # type: ignore[no-any-return]
