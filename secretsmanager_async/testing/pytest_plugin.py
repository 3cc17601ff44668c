"""The pytest plugin of ``secretsmanager_async.testing``: fixtures ``sm_fake`` and ``sm_client``.

Registered through the ``pytest11`` entry point, so installing the package is enough. The
fixtures are plain function-scoped fixtures; ``sm_client`` is an async generator fixture, which
pytest-asyncio runs in the test's own loop in both its strict (default) and auto modes.

.. versionadded:: 0.2
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pytest

if TYPE_CHECKING:
    from .. import SecretsManagerClient
    from ._fake import FakeSecretsManager


def pytest_configure(config: pytest.Config) -> None:
    """Apply the aioresponses fix (only if aioresponses is used and needs it)."""
    from . import _aioresponses_compat

    _aioresponses_compat.apply()


@pytest.fixture
def sm_fake() -> FakeSecretsManager:
    """A fresh, empty :class:`FakeSecretsManager` (region us-east-1)."""
    from ._fake import FakeSecretsManager

    return FakeSecretsManager()


F = TypeVar("F", bound=Callable[..., Any])


def _async_fixture(func: F) -> F:
    # pytest-asyncio's strict mode (its default) only runs async fixtures it marked itself
    try:
        import pytest_asyncio
    except ImportError:  # pragma: no cover - without pytest-asyncio no async test runs anyway
        return cast(F, pytest.fixture(func))
    return cast(F, pytest_asyncio.fixture(func))


@_async_fixture
async def sm_client(sm_fake: FakeSecretsManager) -> AsyncIterator[SecretsManagerClient]:
    """An open :class:`SecretsManagerClient` on ``sm_fake`` (retries without waits)."""
    async with sm_fake.client() as client:
        yield client
