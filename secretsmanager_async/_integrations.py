"""Web framework helpers over :class:`~secretsmanager_async.SecretCache`.

No framework is imported: ``dependency`` returns a plain zero-argument coroutine function
(what FastAPI's ``Depends`` and most DI containers accept), and ``inject`` wraps an
``async def`` (an aiohttp.web handler, a task, any coroutine function).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


class SecretReader(Protocol):
    """What the helpers need of a :class:`~secretsmanager_async.SecretCache`.

    A protocol rather than the class, so this module does not import the cache that calls it.
    """

    async def get_secret_string(
        self, secret_id: str, *, version_stage: str | None = None
    ) -> str: ...

    async def get_secret_json(
        self, secret_id: str, key: str | None = None, *, version_stage: str | None = None
    ) -> Any: ...


__all__ = ["SecretReader", "dependency", "inject"]


def dependency(
    cache: SecretReader,
    secret_id: str,
    *,
    key: str | None = None,
    json: bool = False,
    version_stage: str | None = None,
) -> Callable[[], Awaitable[Any]]:
    """A coroutine function of no arguments that reads the secret from ``cache``."""
    if key is not None or json:

        async def load_json() -> Any:
            return await cache.get_secret_json(secret_id, key, version_stage=version_stage)

        load: Callable[[], Awaitable[Any]] = load_json
    else:

        async def load_string() -> str:
            return await cache.get_secret_string(secret_id, version_stage=version_stage)

        load = load_string
    # a readable name in framework dependency graphs and tracebacks; the id is not secret
    load.__name__ = load.__qualname__ = f"secret_{_identifier(key or secret_id)}"
    return load


def inject(
    cache: SecretReader,
    secret_id: str,
    *,
    key: str | None = None,
    into: str | None = None,
    json: bool = False,
    version_stage: str | None = None,
) -> Callable[[F], F]:
    """Decorate an ``async def`` so its keyword argument ``into`` receives the secret."""
    name = into or key
    if name is None or not name.isidentifier():
        raise ValueError("pass into=... naming the keyword argument that receives the secret")
    load = dependency(cache, secret_id, key=key, json=json, version_stage=version_stage)

    def decorate(fn: F) -> F:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"{fn.__qualname__} must be an async def function")
        signature = inspect.signature(fn)
        params = signature.parameters
        accepts_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        if name not in params and not accepts_kwargs:
            raise TypeError(f"{fn.__qualname__} has no parameter {name!r} to receive the secret")
        if name in params and params[name].kind is inspect.Parameter.POSITIONAL_ONLY:
            raise TypeError(f"{fn.__qualname__}: parameter {name!r} must accept a keyword")

        @functools.wraps(fn)
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if name not in kwargs:
                kwargs[name] = await load()
            return await fn(*args, **kwargs)

        # hide the injected parameter from frameworks that read the signature
        wrapper.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[p for p in params.values() if p.name != name]
        )
        return cast(F, wrapper)

    return decorate


def _identifier(text: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in text)
