"""get_secret_values: chunking, per-id errors, order, duplicates, ARNs, concurrency, fallback."""

from __future__ import annotations

import logging
import math

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._bulk import BulkResult
from secretsmanager_async.exceptions import (
    DecryptionFailure,
    ParamValidationError,
    ResourceNotFoundException,
    ServiceError,
)

from .conftest import Counting, Population, make_client
from .local_server import LocalSecretsServer

# -- against moto's server ---------------------------------------------------------------------


async def test_mixed_ids_keep_order_and_dedupe(
    counted: tuple[SecretsManagerClient, Counting], population: Population
) -> None:
    """Names, full and partial ARNs, missing ids and duplicates: caller order, one entry each."""
    client, counting = counted
    names = population.names
    full_arn = population.arns[names[1]]
    partial_arn = population.arns[names[2]][:-7]
    requested = [
        names[0],
        "missing/one",
        full_arn,
        partial_arn,
        names[1],  # the same secret as full_arn, in the same chunk: one entry settles both
        names[0],
        *names[10:60],
        "missing/two",
        full_arn,
    ]
    result = await client.get_secret_values(requested)
    expected_ids = list(dict.fromkeys(requested))
    assert tuple(result) == result.ids == tuple(expected_ids)
    assert len(result) == 56  # 54 existing, 2 missing
    assert list(result.errors) == ["missing/one", "missing/two"]
    for missing in ("missing/one", "missing/two"):
        error = result.errors[missing]
        assert isinstance(error, ResourceNotFoundException)
        assert error.code == "ResourceNotFoundException"
        assert error.message
        with pytest.raises(ResourceNotFoundException):
            result[missing]
    assert list(result.values) == [i for i in expected_ids if not i.startswith("missing/")]
    assert result[full_arn].name == names[1]
    assert result[names[1]] is result[full_arn]
    assert result[partial_arn].name == names[2]
    for name in [names[0], *names[10:60]]:
        assert result[name].secret_string == f"value-of-{name}"
    assert counting.counts["BatchGetSecretValue"] == math.ceil(56 / 20)
    assert counting.counts["GetSecretValue"] == 0
    assert not result.ok
    with pytest.raises(ResourceNotFoundException):
        result.raise_for_errors()


async def test_all_300_in_chunks_of_20_within_the_bound(
    counted: tuple[SecretsManagerClient, Counting], population: Population
) -> None:
    """300 ids: 15 batch requests, never more than max_concurrency in flight."""
    client, counting = counted
    result = await client.get_secret_values(population.names, max_concurrency=4)
    assert result.ok
    assert list(result.values) == population.names
    assert counting.counts["BatchGetSecretValue"] == 15
    assert 1 < counting.max_in_flight <= 4


async def test_matches_boto3(
    client: SecretsManagerClient, boto3_client: object, population: Population
) -> None:
    """Each entry equals what boto3 reads with GetSecretValue for the same id."""
    ids = population.names[100:130]
    result = await client.get_secret_values(ids)
    for secret_id in ids:
        theirs = boto3_client.get_secret_value(SecretId=secret_id)  # type: ignore[attr-defined]
        ours = result[secret_id]
        assert (ours.arn, ours.name, ours.version_id, ours.secret_string) == (
            theirs["ARN"],
            theirs["Name"],
            theirs["VersionId"],
            theirs["SecretString"],
        )


async def test_other_version_stage_uses_single_calls(
    counted: tuple[SecretsManagerClient, Counting], unique_name: str
) -> None:
    """AWSPREVIOUS cannot be batched: one GetSecretValue per id, previous values returned."""
    client, counting = counted
    names = [f"{unique_name}/{i}" for i in range(3)]
    for n in names:
        await client.create_secret(name=n, secret_string=f"old-{n}")
        await client.put_secret_value(secret_id=n, secret_string=f"new-{n}")
    counting.counts.clear()
    result = await client.get_secret_values(names, version_stage="AWSPREVIOUS")
    assert {n: result[n].secret_string for n in names} == {n: f"old-{n}" for n in names}
    assert counting.counts == {"GetSecretValue": 3}


async def test_empty_input_sends_nothing(counted: tuple[SecretsManagerClient, Counting]) -> None:
    """No ids, no requests, an empty result."""
    client, counting = counted
    result = await client.get_secret_values([])
    assert (len(result), result.ok, sum(counting.counts.values())) == (0, True, 0)


async def test_bad_arguments(client: SecretsManagerClient) -> None:
    """A bare string and a zero bound are refused before anything is sent."""
    with pytest.raises(TypeError, match="not a single str"):
        await client.get_secret_values("db/creds")
    with pytest.raises(ParamValidationError, match="max_concurrency"):
        await client.get_secret_values(["a"], max_concurrency=0)


def test_result_repr_and_get_hide_values() -> None:
    """The result's repr shows counts only; get() returns a default for failed ids."""
    from secretsmanager_async import SecretValueEntry

    entry = SecretValueEntry(name="a", secret_string="hunter2")
    result = BulkResult(
        ("a", "b"), {"a": entry}, {"b": ServiceError("x", code="Nope", status_code=400)}
    )
    assert "hunter2" not in repr(result) and "hunter2" not in repr(result.values)
    assert repr(result) == "<BulkResult 1 values, 1 errors>"
    assert result.get("b") is None and result.get("a") is entry and "b" in result
    with pytest.raises(KeyError):
        result["c"]


# -- against the local server: fallback and the odd cases ---------------------------------------


async def test_access_denied_falls_back_and_logs_once(
    local: LocalSecretsServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A denied batch call becomes GetSecretValue calls; the warning appears once per client."""
    names = [f"app/{i}" for i in range(45)]
    for n in names:
        local.add(n, f"v-{n}")
    local.deny_batch = True
    caplog.set_level(logging.WARNING, logger="secretsmanager_async")
    async with make_client(local.url, max_attempts=1) as client:
        first = await client.get_secret_values([*names, "nope"], max_concurrency=5)
        assert list(first.values) == names
        assert isinstance(first.errors["nope"], ResourceNotFoundException)
        assert {n: first[n].secret_string for n in names} == {n: f"v-{n}" for n in names}
        assert local.max_in_flight <= 5
        # every chunk of the first call may have been sent before the first denial came back
        assert 1 <= local.counts["BatchGetSecretValue"] <= 3
        batch_calls = local.counts["BatchGetSecretValue"]
        second = await client.get_secret_values(names[:10])
        assert second.ok
        assert local.counts["BatchGetSecretValue"] == batch_calls  # not asked again
        assert local.counts["GetSecretValue"] == 46 + 10
    denials = [r for r in caplog.records if "BatchGetSecretValue was denied" in r.getMessage()]
    assert len(denials) == 1 and denials[0].levelno == logging.WARNING
    async with make_client(local.url, max_attempts=1) as other:
        await other.get_secret_values(names[:1])
    denials = [r for r in caplog.records if "BatchGetSecretValue was denied" in r.getMessage()]
    assert len(denials) == 2  # a new client logs its own once


async def test_per_id_errors_are_typed_and_transient_ones_retried_singly(
    local: LocalSecretsServer, local_client: SecretsManagerClient
) -> None:
    """Batch Errors become modeled exceptions; throttled and omitted ids are fetched singly."""
    for n in ("a", "b", "c", "d", "e"):
        local.add(n, f"v-{n}")
    local.batch_errors = {"b": "DecryptionFailure", "c": "ThrottlingException", "e": "Odd"}
    local.omit = {"d"}
    result = await local_client.get_secret_values(["a", "b", "c", "d", "e"])
    assert {k: v.secret_string for k, v in result.values.items()} == {
        "a": "v-a",
        "c": "v-c",
        "d": "v-d",
    }
    assert isinstance(result.errors["b"], DecryptionFailure)
    assert result.errors["b"].code == "DecryptionFailure"
    assert result.errors["b"].message == "per-id"
    unknown = result.errors["e"]
    assert type(unknown) is ServiceError and unknown.code == "Odd"
    assert list(result) == ["a", "b", "c", "d", "e"]
    assert local.counts == {"BatchGetSecretValue": 1, "GetSecretValue": 2}


async def test_one_malformed_id_does_not_fail_its_chunk(
    local: LocalSecretsServer, local_client: SecretsManagerClient
) -> None:
    """A batch rejected as a whole for one bad id is split; only that id fails."""
    names = [f"s{i}" for i in range(25)]
    for n in names:
        local.add(n, n.upper())
    result = await local_client.get_secret_values([*names[:5], "bad!id", *names[5:]])
    assert list(result.values) == names
    assert list(result.errors) == ["bad!id"]
    assert local.counts["BatchGetSecretValue"] == 2
    assert local.counts["GetSecretValue"] == 20  # the rejected chunk's ids, one by one


async def test_client_side_invalid_id_is_isolated(
    local: LocalSecretsServer, local_client: SecretsManagerClient
) -> None:
    """An id the model rejects (empty) fails alone with ParamValidationError."""
    local.add("good", "g")
    result = await local_client.get_secret_values(["good", ""])
    assert result["good"].secret_string == "g"
    assert isinstance(result.errors[""], ParamValidationError)


async def test_batch_failing_transiently_fails_only_its_ids(
    local: LocalSecretsServer, local_client: SecretsManagerClient
) -> None:
    """When a whole batch request fails for good (after retries), its ids carry the error."""
    local.add("x", "1")
    local.deny_batch = False
    original = local._batch

    def failing(params: dict[str, object]) -> object:
        return local._error("InternalServiceError", "oops", 500)

    local._batch = failing  # type: ignore[method-assign,assignment]
    try:
        result = await local_client.get_secret_values(["x", "y"])
    finally:
        local._batch = original  # type: ignore[method-assign]
    assert set(result.errors) == {"x", "y"}
    assert result.errors["x"].code == "InternalServiceError"  # type: ignore[attr-defined]
