"""Paginators: NextToken handling, caps and resume tokens; against a fake and moto's server."""

from __future__ import annotations

import math

import pytest

from secretsmanager_async import Filter, SecretsManagerClient
from secretsmanager_async._generated.models import ListSecretsResponse, SecretListEntry
from secretsmanager_async._paginators import Paginator
from secretsmanager_async.exceptions import ParamValidationError, ResponseParseError

from .conftest import Counting, Population


class FakeListing:
    """ListSecrets pages served from a script: token -> (names, next token)."""

    def __init__(self, pages: dict[str | None, tuple[list[str], str | None]]) -> None:
        self.pages = pages
        self.tokens: list[str | None] = []

    async def fetch(self, token: str | None) -> ListSecretsResponse:
        self.tokens.append(token)
        names, next_token = self.pages[token]
        return ListSecretsResponse(
            secret_list=[SecretListEntry(name=n) for n in names], next_token=next_token
        )

    def paginator(self, **caps: object) -> Paginator[ListSecretsResponse, SecretListEntry]:
        return Paginator("ListSecrets", self.fetch, "secret_list", **caps)  # type: ignore[arg-type]


SCRIPT: dict[str | None, tuple[list[str], str | None]] = {
    None: (["a", "b", "c"], "t1"),
    "t1": ([], "t2"),  # an empty page that is not the end
    "t2": (["d", "e"], "t3"),
    "t3": (["f"], None),
}


async def test_empty_page_with_token_is_not_the_end() -> None:
    """Iteration continues past an empty page that carries a NextToken, stops at no token."""
    fake = FakeListing(SCRIPT)
    names = [e.name async for e in fake.paginator().items()]
    assert names == ["a", "b", "c", "d", "e", "f"]
    assert fake.tokens == [None, "t1", "t2", "t3"]


async def test_pages_are_yielded_in_order() -> None:
    """Iterating the paginator yields every page, the empty one included."""
    fake = FakeListing(SCRIPT)
    pages = [page async for page in fake.paginator()]
    assert [len(p.secret_list or []) for p in pages] == [3, 0, 2, 1]


async def test_max_pages_stops_and_gives_the_next_token() -> None:
    """max_pages stops early; resume_token is the service's next token."""
    fake = FakeListing(SCRIPT)
    paginator = fake.paginator(max_pages=2)
    assert len([p async for p in paginator]) == 2
    assert paginator.resume_token == "t2"
    rest = FakeListing(SCRIPT).paginator(starting_token=paginator.resume_token)
    assert [e.name async for e in rest.items()] == ["d", "e", "f"]


@pytest.mark.parametrize("cap", [1, 2, 3, 4, 5, 6, 7])
async def test_max_items_cuts_mid_page_and_resumes_exactly(cap: int) -> None:
    """max_items yields exactly that many; the resume token continues with no gap or repeat."""
    first = FakeListing(SCRIPT).paginator(max_items=cap)
    got = [e.name async for e in first.items()]
    assert got == list("abcdef")[:cap]
    if cap >= 6:
        assert first.resume_token is None
        return
    assert first.resume_token is not None
    rest = FakeListing(SCRIPT).paginator(starting_token=first.resume_token)
    assert got + [e.name async for e in rest.items()] == list("abcdef")


async def test_repeated_token_is_an_error_not_a_loop() -> None:
    """A service that hands back the token it was sent fails instead of looping forever."""
    fake = FakeListing({None: (["a"], "t"), "t": (["b"], "t")})
    with pytest.raises(ResponseParseError, match="NextToken"):
        _ = [e async for e in fake.paginator().items()]
    assert fake.tokens == [None, "t"]


async def test_each_iteration_starts_over() -> None:
    """Iterating the same paginator twice fetches the listing twice from the start."""
    fake = FakeListing(SCRIPT)
    paginator = fake.paginator()
    assert [e.name async for e in paginator.items()] == [e.name async for e in paginator.items()]
    assert fake.tokens.count(None) == 2


def test_bad_caps_and_tokens_fail_at_the_call_site() -> None:
    """Caps below 1 and a mangled resume token are rejected before anything is sent."""
    fake = FakeListing(SCRIPT)
    with pytest.raises(ParamValidationError, match="max_items"):
        fake.paginator(max_items=0)
    with pytest.raises(ParamValidationError, match="max_pages"):
        fake.paginator(max_pages=0)
    with pytest.raises(ParamValidationError, match="starting_token"):
        fake.paginator(starting_token="smasync-resume:x:t1")
    assert fake.tokens == []


async def test_list_secrets_pages_against_moto(
    counted: tuple[SecretsManagerClient, Counting], population: Population
) -> None:
    """300 secrets in pages of 17: every name once, in ceil(300/17) requests."""
    client, counting = counted
    paginator = client.paginate_list_secrets(
        filters=[Filter(key="name", values=[population.prefix])], max_results=17
    )
    pages = [page async for page in paginator]
    names = [e.name for page in pages for e in page.secret_list or []]
    assert sorted(names) == population.names
    assert all(len(p.secret_list or []) <= 17 for p in pages)
    assert len(pages) == counting.counts["ListSecrets"] == math.ceil(300 / 17)
    assert pages[-1].next_token is None


async def test_list_secrets_items_capped_and_resumed_against_moto(
    client: SecretsManagerClient, population: Population
) -> None:
    """max_items=45 over pages of 20, then resume: together exactly the 300 names."""
    flt = [Filter(key="name", values=[population.prefix])]
    first = client.paginate_list_secrets(filters=flt, max_results=20, max_items=45)
    head = [e.name async for e in first.items()]
    assert len(head) == 45
    rest = client.paginate_list_secrets(
        filters=flt, max_results=20, starting_token=first.resume_token
    )
    tail = [e.name async for e in rest.items()]
    assert len(head) + len(tail) == 300
    assert sorted(head + tail) == population.names


async def test_batch_get_by_filter_pages_against_moto(
    client: SecretsManagerClient, population: Population
) -> None:
    """BatchGetSecretValue with a name filter, 20 per page: all 300 values."""
    paginator = client.paginate_batch_get_secret_value(
        filters=[Filter(key="name", values=[population.prefix])], max_results=20
    )
    values = {e.name: e.secret_string async for e in paginator.items()}
    assert values == {n: f"value-of-{n}" for n in population.names}


async def test_list_secret_version_ids_against_moto(
    client: SecretsManagerClient, boto3_client: object, unique_name: str
) -> None:
    """Every version of a secret with seven values, in pages of 2."""
    await client.create_secret(name=unique_name, secret_string="v0")
    for i in range(1, 7):
        await client.put_secret_value(secret_id=unique_name, secret_string=f"v{i}")
    ours = [
        v.version_id
        async for v in client.paginate_list_secret_version_ids(
            secret_id=unique_name, include_deprecated=True, max_results=2
        ).items()
    ]
    theirs = boto3_client.list_secret_version_ids(  # type: ignore[attr-defined]
        SecretId=unique_name, IncludeDeprecated=True, MaxResults=100
    )["Versions"]
    assert sorted(ours) == sorted(v["VersionId"] for v in theirs)
    assert len(ours) == len(set(ours)) >= 2


async def test_empty_string_token_ends_the_listing() -> None:
    """A NextToken of "" ends the listing (it cannot be sent back)."""
    fake = FakeListing({None: (["a"], "")})
    assert [e.name async for e in fake.paginator().items()] == ["a"]
    assert fake.tokens == [None]


async def test_list_resource_policies_pages() -> None:
    """ListResourcePolicies (which moto lacks) against the local extra-ops server, pages of 2."""
    from ..integration.extra_server import ExtraOpsServer
    from .conftest import make_client

    server = ExtraOpsServer()
    await server.start()
    try:
        server.add_secret("with-policies", policies=5)
        async with make_client(server.url) as client:
            paginator = client.paginate_list_resource_policies(
                secret_id="with-policies", max_results=2
            )
            pages = [p async for p in paginator]
            assert [len(p.resource_policies or []) for p in pages] == [2, 2, 1]
            capped = client.paginate_list_resource_policies(
                secret_id="with-policies", max_results=2, max_items=3
            )
            assert len([s async for s in capped.items()]) == 3
    finally:
        await server.stop()
