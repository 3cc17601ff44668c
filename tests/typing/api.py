"""Typed usage of the public API, checked by ``mypy --strict`` (nox -s typecheck).

Not collected by pytest (no test_ prefix); it only has to type-check.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from secretsmanager_async import (
    BulkResult,
    ClientConfig,
    Credentials,
    EmptyResponse,
    Filter,
    GetSecretValueResponse,
    HttpRequest,
    HttpResponse,
    ResourceNotFoundException,
    ResponseMetadata,
    Secret,
    SecretCache,
    SecretListEntry,
    SecretsManagerClient,
    ServiceError,
    Tag,
)
from secretsmanager_async._middleware.base import Handler


class Timing:
    name = "timing"

    async def handle(self, request: HttpRequest, next: Handler) -> HttpResponse:
        return await next(request)


async def usage() -> None:
    client = SecretsManagerClient(
        region="us-east-1",
        credentials=Credentials("AKID", "SECRET"),
        config=ClientConfig(max_attempts=5, retry_mode="adaptive"),
    )
    client.middleware.insert_after("retry", Timing())
    async with client:
        value: GetSecretValueResponse = await client.get_secret_value(secret_id="x")
        text: str | None = value.secret_string
        blob: bytes | None = value.secret_binary
        created: dt.datetime | None = value.created_date
        meta: ResponseMetadata = value.metadata
        attempts: int = meta.attempts
        await client.create_secret(name="n", secret_string="s", tags=[Tag(key="k", value="v")])
        tagged: EmptyResponse = await client.tag_resource(secret_id="n", tags=[Tag(key="k")])
        tag_status: int = tagged.metadata.status_code
        page = await client.list_secrets(filters=[Filter(key="name", values=["app/"])])
        entries: list[SecretListEntry] = page.secret_list or []
        try:
            await client.describe_secret(secret_id="missing")
        except ResourceNotFoundException as e:
            code: str = e.code
            request_id: str | None = e.request_id
            del code, request_id
        except ServiceError as e:
            status: int = e.status_code
            del status
        async for secret in client.paginate_list_secrets().items():
            name: str | None = secret.name
        bulk: BulkResult = await client.get_secret_values(["a", "b"])
        cache: SecretCache = SecretCache(client)
        port: int = await cache.get_secret_model("db", int, key="port")
        token: Secret[str] = await cache.get_secret_model("db", Secret[str], key="password")
        fresh: str = await cache.get_secret_string("db", refresh=True)
        plain: str = token.get()
        requests: Mapping[str, int] = cache.stats.requests

        def changed(secret_id: str, old: str | None, new: str | None) -> None:
            del secret_id, old, new

        cache.on_change(changed)
        del text, blob, created, attempts, tag_status, entries, bulk, name, cache
        del port, token, fresh, plain, requests


def sync_usage() -> None:
    from secretsmanager_async import sync

    with sync.SecretsManagerClient(region="us-east-1") as client:
        value: GetSecretValueResponse = client.get_secret_value(secret_id="x")
        text: str | None = value.secret_string
        client.create_secret(name="n", secret_string="s", tags=[Tag(key="k", value="v")])
        for entry in client.paginate_list_secrets(max_items=10).items():
            name: str | None = entry.name
        bulk: BulkResult = client.get_secret_values(["a", "b"])
        with sync.SecretCache(client, ttl=60) as cache:
            password: str = cache.get_secret_string("db")
            doc: object = cache.get_secret_json("db")
        del text, name, bulk, password, doc


async def observability_usage() -> None:
    from typing_extensions import assert_type

    from secretsmanager_async import (
        ClientView,
        DescribeSecretRequest,
        DescribeSecretResponse,
        GetSecretValueRequest,
        TagResourceRequest,
    )
    from secretsmanager_async.telemetry import instrument

    async with SecretsManagerClient(region="us-east-1") as client:
        # send() infers the response model from the request model
        assert_type(await client.send(GetSecretValueRequest(secret_id="x")), GetSecretValueResponse)
        assert_type(await client.send(DescribeSecretRequest(secret_id="x")), DescribeSecretResponse)
        assert_type(await client.send(TagResourceRequest(secret_id="x", tags=[])), EmptyResponse)
        view: ClientView = client.with_options(timeout=0.5, max_attempts=2, retry_mode="standard")
        assert_type(await view.get_secret_value(secret_id="x"), GetSecretValueResponse)
        assert_type(await view.send(GetSecretValueRequest(secret_id="x")), GetSecretValueResponse)
        client.with_options(middleware=[Timing()]).with_options(timeout=1.0)
        instrument(client)
        instrument(SecretCache(client))
