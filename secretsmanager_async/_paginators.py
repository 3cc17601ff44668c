"""Paginators: the listing operations as async iterators of pages or of items.

A paginator follows ``NextToken`` until the service stops sending one. An empty page that
carries a token is not the end (the service may return empty pages while it scans), so only
the token decides; an empty-string token (some implementations send one) counts as absent,
as it could not be sent back. ``max_pages`` and ``max_items`` stop early;
:attr:`Paginator.resume_token` then says where to pick up, even in the middle of a page.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

import attrs

from ._generated.operations import OperationsMixin
from .exceptions import ParamValidationError, ResponseParseError

if TYPE_CHECKING:
    from ._generated.models import (
        BatchGetSecretValueResponse,
        Filter,
        ListResourcePoliciesResponse,
        ListSecretsResponse,
        ListSecretVersionIdsResponse,
        ResourcePolicySummary,
        SecretListEntry,
        SecretValueEntry,
        SecretVersionsListEntry,
    )

__all__ = ["Paginator", "PaginatorsMixin"]


class _Page(Protocol):
    @property
    def next_token(self) -> str | None: ...


P = TypeVar("P", bound=_Page)
T = TypeVar("T")

# A resume token that points inside a page: "<prefix><items to skip>:<token of that page>".
# Our own format, so a plain service token (no prefix) is accepted as a starting token too.
_RESUME_PREFIX = "smasync-resume:"


def _parse_starting_token(token: str | None) -> tuple[str | None, int]:
    if token is None or not token.startswith(_RESUME_PREFIX):
        return token, 0
    skip, sep, page_token = token[len(_RESUME_PREFIX) :].partition(":")
    if not sep or not skip.isdigit():
        raise ParamValidationError("starting_token", "is not a token this paginator produced")
    return page_token or None, int(skip)


def _resume_token(page_token: str | None, skip: int) -> str:
    return f"{_RESUME_PREFIX}{skip}:{page_token or ''}"


def _check_cap(name: str, value: int | None) -> None:
    if value is not None and value < 1:
        raise ParamValidationError(name, "must be at least 1 (or None for no limit)")


class Paginator(Generic[P, T]):
    """The pages of one listing call; ``async for page in paginator`` fetches them in turn.

    Each ``async for`` starts again from ``starting_token`` (or the beginning).
    :meth:`items` iterates the entries across pages instead. With ``max_items`` the last page
    is cut to size; when a cap stops the iteration, :attr:`resume_token` can be passed back
    as ``starting_token`` to continue exactly where it stopped.
    """

    __slots__ = (
        "_fetch",
        "_field",
        "_max_items",
        "_max_pages",
        "_operation",
        "_starting_token",
        "resume_token",
    )

    def __init__(
        self,
        operation: str,
        fetch: Callable[[str | None], Awaitable[P]],
        field: str,
        *,
        max_pages: int | None = None,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> None:
        _check_cap("max_pages", max_pages)
        _check_cap("max_items", max_items)
        self._operation = operation
        self._fetch = fetch
        self._field = field
        self._max_pages = max_pages
        self._max_items = max_items
        # validated now, so a bad token fails at the call site rather than mid-iteration
        _parse_starting_token(starting_token)
        self._starting_token = starting_token
        #: where a capped iteration stopped (pass it as ``starting_token``); None when the
        #: last iteration reached the end of the listing or has not finished
        self.resume_token: str | None = None

    def __repr__(self) -> str:
        return (
            f"<Paginator {self._operation} max_pages={self._max_pages} max_items={self._max_items}>"
        )

    def __aiter__(self) -> AsyncIterator[P]:
        return self._pages()

    def _items_of(self, page: P) -> list[T]:
        items: list[T] | None = getattr(page, self._field)
        return items or []

    async def _pages(self) -> AsyncIterator[P]:
        self.resume_token = None
        token, skip = _parse_starting_token(self._starting_token)
        pages = 0
        remaining = self._max_items
        while True:
            page = await self._fetch(token)
            pages += 1
            # "" cannot be sent back (the model's minimum length is 1): treat it as absent
            next_token = page.next_token or None
            items = self._items_of(page)
            if skip:
                items = items[skip:]
            cut = remaining is not None and len(items) > remaining
            if skip or cut:
                kept = items[:remaining] if remaining is not None else items
                page = attrs.evolve(page, **{self._field: kept})  # type: ignore[misc]
                if cut:
                    assert remaining is not None
                    # the next item sits at this offset of the page fetched with `token`
                    self.resume_token = _resume_token(token, skip + remaining)
                    yield page
                    return
                items = kept
            skip = 0
            if remaining is not None:
                remaining -= len(items)
            if next_token is not None and next_token == token:
                raise ResponseParseError(
                    f"{self._operation}: the service returned the NextToken it was sent; "
                    "stopping instead of looping forever"
                )
            if next_token is not None and (
                remaining == 0 or (self._max_pages is not None and pages >= self._max_pages)
            ):
                self.resume_token = next_token
                yield page
                return
            yield page
            if next_token is None:
                return
            token = next_token

    async def items(self) -> AsyncIterator[T]:
        """Iterate the entries of every page (within the caps), fetching pages as needed."""
        async for page in self._pages():
            for item in self._items_of(page):
                yield item


class PaginatorsMixin(OperationsMixin):
    """``paginate_*`` methods for the client: the operation's own arguments (without
    ``next_token``) plus ``max_pages``, ``max_items`` and ``starting_token``.

    Nothing is sent until the paginator is iterated.
    """

    __slots__ = ()

    def paginate_list_secrets(
        self,
        *,
        filters: list[Filter] | None = None,
        include_planned_deletion: bool | None = None,
        max_results: int | None = None,
        sort_by: str | None = None,
        sort_order: str | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> Paginator[ListSecretsResponse, SecretListEntry]:
        """Every secret's metadata, page by page (``.items()``: entry by entry)."""

        def fetch(token: str | None) -> Awaitable[ListSecretsResponse]:
            return self.list_secrets(
                filters=filters,
                include_planned_deletion=include_planned_deletion,
                max_results=max_results,
                next_token=token,
                sort_by=sort_by,
                sort_order=sort_order,
            )

        return Paginator(
            "ListSecrets",
            fetch,
            "secret_list",
            max_pages=max_pages,
            max_items=max_items,
            starting_token=starting_token,
        )

    def paginate_list_secret_version_ids(
        self,
        *,
        secret_id: str,
        include_deprecated: bool | None = None,
        max_results: int | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> Paginator[ListSecretVersionIdsResponse, SecretVersionsListEntry]:
        """The versions of one secret, page by page (``.items()``: version by version)."""

        def fetch(token: str | None) -> Awaitable[ListSecretVersionIdsResponse]:
            return self.list_secret_version_ids(
                secret_id=secret_id,
                include_deprecated=include_deprecated,
                max_results=max_results,
                next_token=token,
            )

        return Paginator(
            "ListSecretVersionIds",
            fetch,
            "versions",
            max_pages=max_pages,
            max_items=max_items,
            starting_token=starting_token,
        )

    def paginate_batch_get_secret_value(
        self,
        *,
        filters: list[Filter] | None = None,
        secret_id_list: list[str] | None = None,
        max_results: int | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> Paginator[BatchGetSecretValueResponse, SecretValueEntry]:
        """Secret values selected by ``filters`` (or a list of up to 20 ids), page by page.

        ``.items()`` yields the values; each page's ``errors`` stay on the pages. To fetch
        any number of ids by name or ARN, ``get_secret_values`` is the better tool.
        """

        def fetch(token: str | None) -> Awaitable[BatchGetSecretValueResponse]:
            return self.batch_get_secret_value(
                filters=filters,
                max_results=max_results,
                next_token=token,
                secret_id_list=secret_id_list,
            )

        return Paginator(
            "BatchGetSecretValue",
            fetch,
            "secret_values",
            max_pages=max_pages,
            max_items=max_items,
            starting_token=starting_token,
        )

    def paginate_list_resource_policies(
        self,
        *,
        secret_id: str,
        max_results: int | None = None,
        max_pages: int | None = None,
        max_items: int | None = None,
        starting_token: str | None = None,
    ) -> Paginator[ListResourcePoliciesResponse, ResourcePolicySummary]:
        """Resource policy summaries, page by page (``.items()``: one by one)."""

        def fetch(token: str | None) -> Awaitable[ListResourcePoliciesResponse]:
            return self.list_resource_policies(
                secret_id=secret_id, max_results=max_results, next_token=token
            )

        return Paginator(
            "ListResourcePolicies",
            fetch,
            "resource_policies",
            max_pages=max_pages,
            max_items=max_items,
            starting_token=starting_token,
        )
