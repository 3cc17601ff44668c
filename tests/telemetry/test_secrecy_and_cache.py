"""Canaries (a secret value, a secret name) never reach spans, events or metrics; cache metrics."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from secretsmanager_async import Credentials, SecretCache, SecretsManagerClient, ServiceError, Tag
from secretsmanager_async.telemetry import ARN_ATTRIBUTE, instrument, uninstrument
from secretsmanager_async.testing import FakeSecretsManager

from .conftest import Otel

TAG = uuid.uuid4().hex[:8]
NAME = f"CANARYname{TAG}"
VALUE = f"CANARYvalue{TAG}"
NEW_VALUE = f"CANARYnew{TAG}"
MISSING = f"CANARYmissing{TAG}"


async def exercise(client: SecretsManagerClient) -> None:
    """Operations naming the canary secret by name (never by ARN), with errors and retries."""
    await client.create_secret(name=NAME, secret_string=VALUE, tags=[Tag(key="k", value=NAME)])
    await client.get_secret_value(secret_id=NAME)
    await client.describe_secret(secret_id=NAME)
    await client.put_secret_value(secret_id=NAME, secret_string=NEW_VALUE)
    await client.update_secret(secret_id=NAME, description=f"about {NAME}")
    await client.list_secret_version_ids(secret_id=NAME)
    await client.list_secrets()
    await client.get_secret_values([NAME, MISSING])
    with pytest.raises(ServiceError):
        await client.get_secret_value(secret_id=MISSING)
    with pytest.raises(ServiceError):
        await client.create_secret(name=NAME, secret_string=VALUE)  # exists already


def check_spans_and_metrics(otel: Otel) -> None:
    spans = otel.spans()
    assert len(spans) >= 10
    for span in spans:
        dumped = json.loads(span.to_json())
        arn = dumped["attributes"].pop(ARN_ATTRIBUTE, None)
        if arn is not None:
            assert arn.startswith("arn:") and ":secretsmanager:" in arn  # a name only in an ARN
        text = json.dumps(dumped)
        for canary in (NAME, VALUE, NEW_VALUE, MISSING):
            assert canary not in text, (span.name, canary)
        assert VALUE not in span.to_json() and NEW_VALUE not in span.to_json()
    metrics = otel.metrics_json()
    assert "smithy.client.call.duration" in metrics
    for canary in (NAME, VALUE, NEW_VALUE, MISSING):
        assert canary not in metrics


async def test_canaries_never_in_telemetry_with_the_fake(otel: Otel) -> None:
    """Against the in-memory fake, with throttles and 5xx retried: no canary in any output."""
    fake = FakeSecretsManager()
    async with fake.client() as client:
        instrument(client, **otel.providers)
        fake.throttle("GetSecretValue", times=1)
        fake.server_error("DescribeSecret", status=503, times=1)
        await exercise(client)
    spans = otel.spans()
    retried = [s for s in spans if s.events]
    assert retried  # the faults were retried and show as events
    # ARNs do reach the spans: the ones the service sent back
    assert any(NAME in str((s.attributes or {}).get(ARN_ATTRIBUTE, "")) for s in spans)
    check_spans_and_metrics(otel)


async def test_canaries_never_in_telemetry_against_moto(otel: Otel, moto_url: str) -> None:
    """Over real HTTP to moto's server: the same checks."""
    async with SecretsManagerClient(
        region="us-east-1",
        endpoint_url=moto_url,
        credentials=Credentials("AKIDTEST", "test-secret-key"),
    ) as client:
        instrument(client, **otel.providers)
        await exercise(client)
        await client.delete_secret(secret_id=NAME, force_delete_without_recovery=True)
    spans = otel.spans()
    assert {s.attributes["server.address"] for s in spans if s.attributes} == {"127.0.0.1"}
    check_spans_and_metrics(otel)


# -- the cache -----------------------------------------------------------------------------


def points(otel: Otel) -> dict[str, list[tuple[dict[str, Any], Any]]]:
    return {k: v for k, v in otel.metrics().items() if k.startswith("secretsmanager_async.cache")}


async def test_cache_metrics_read_its_stats(otel: Otel) -> None:
    """hits, misses, requests by operation, size, ... are the cache's stats at collection."""
    fake = FakeSecretsManager()
    fake.put("db", "pw")
    fake.put("api", "key")
    async with fake.client() as client:
        cache = SecretCache(client, ttl=60)
        instrument(cache, **otel.providers)
        for _ in range(3):
            await cache.get_secret_string("db")
        await cache.get_secret_string("api")
        stats = cache.stats
        found = points(otel)
        await cache.close()

    def value(name: str) -> Any:
        ((attributes, point),) = found[f"secretsmanager_async.cache.{name}"]
        assert attributes["secretsmanager_async.cache.id"] >= 1
        return point.value

    assert (value("hits"), value("misses")) == (stats.hits, stats.misses) == (2, 2)
    assert value("size") == 2
    assert value("stale_reads") == 0 and value("errors") == 0
    requests = found["secretsmanager_async.cache.requests"]
    assert sum(point.value for _, point in requests) == 2
    for attributes, _ in requests:
        if "rpc.method" in attributes:  # a cache that counts per operation
            assert attributes["rpc.method"] == "GetSecretValue"
    for canary in ("db", "api", "pw", "key"):
        assert f'"{canary}"' not in otel.metrics_json()


async def test_two_caches_on_one_meter_are_told_apart(otel: Otel) -> None:
    """Two instrumented caches report separately; an uninstrumented one stops reporting."""
    fake = FakeSecretsManager()
    fake.put("db", "pw")
    async with fake.client() as client:
        first, second = SecretCache(client), SecretCache(client)
        instrument(first, **otel.providers)
        instrument(second, **otel.providers)
        await first.get_secret_string("db")
        await second.get_secret_string("db")
        await second.get_secret_string("db")
        hits = points(otel)["secretsmanager_async.cache.hits"]
        assert sorted(p.value for _, p in hits) == [0, 1]
        assert len({a["secretsmanager_async.cache.id"] for a, _ in hits}) == 2
        uninstrument(first)
        hits = points(otel)["secretsmanager_async.cache.hits"]
        assert [p.value for _, p in hits] == [1]
        await first.close()
        await second.close()


async def test_cache_refreshes_are_timed_in_a_histogram(otel: Otel) -> None:
    """Each refresh of a held value is one refresh.duration measurement; loads are not."""
    fake = FakeSecretsManager()
    fake.put("db", "pw")
    async with fake.client() as client:
        cache = SecretCache(client, ttl=60)
        instrument(cache, **otel.providers)
        await cache.get_secret_string("db")  # a load, not a refresh
        assert "secretsmanager_async.cache.refresh.duration" not in points(otel)
        await cache.refresh("db")
        await cache.refresh("db")
        ((attributes, point),) = points(otel)["secretsmanager_async.cache.refresh.duration"]
        assert point.count == 2 == cache.stats.refreshes
        assert point.sum >= 0
        assert attributes["secretsmanager_async.cache.id"] >= 1
        uninstrument(cache)
        await cache.refresh("db")
        ((_, point),) = points(otel)["secretsmanager_async.cache.refresh.duration"]
        assert point.count == 2  # no longer timed
        await cache.close()
