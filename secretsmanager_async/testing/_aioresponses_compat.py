"""Make aioresponses 0.7.x build responses under aiohttp >= 3.14 (aioresponses#289).

aiohttp 3.14 added a required keyword ``stream_writer`` to ``ClientResponse.__init__``;
aioresponses (<= 0.7.9) builds its fake responses without it, so every mocked request fails.
The fix swaps the ``ClientResponse`` that aioresponses uses by default for a subclass that
supplies a finished stand-in writer. It is applied only when the installed versions need it,
and becomes a no-op once aioresponses passes ``stream_writer`` itself.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import inspect
import sys
from types import ModuleType
from typing import Any

__all__ = ["apply", "needed"]

_MODULE = "aioresponses.core"


class _SentWriter:
    """A stream writer whose request is already sent: all aiohttp reads is its size."""

    output_size = 0


def needed(core: ModuleType) -> bool:
    """True when aiohttp requires ``stream_writer`` and this aioresponses does not pass it."""
    response_class: Any = getattr(core, "ClientResponse", None)
    if response_class is None:
        return False
    if getattr(response_class, "_secretsmanager_async_compat", False):
        return False  # already applied
    parameter = inspect.signature(response_class.__init__).parameters.get("stream_writer")
    if parameter is None or parameter.default is not inspect.Parameter.empty:
        return False
    build = getattr(getattr(core, "RequestMatch", None), "_build_response", None)
    if build is None:
        return False
    return "stream_writer" not in build.__code__.co_consts


def _patch(core: ModuleType) -> bool:
    if not needed(core):
        return False
    base: Any = getattr(core, "ClientResponse")  # noqa: B009 - typed as Any on purpose

    class ClientResponse(base):  # type: ignore[misc]
        _secretsmanager_async_compat = True

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("stream_writer", _SentWriter())
            super().__init__(*args, **kwargs)

    ClientResponse.__qualname__ = base.__qualname__
    setattr(core, "ClientResponse", ClientResponse)  # noqa: B010
    return True


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches aioresponses right after it is imported, so importing the kit imports nothing."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != _MODULE:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        exec_module = loader.exec_module

        def exec_and_patch(module: ModuleType) -> None:
            exec_module(module)
            _patch(module)

        loader.exec_module = exec_and_patch  # type: ignore[method-assign]
        return spec


_finder = _PatchOnImport()


def apply() -> bool:
    """Patch aioresponses now if it is imported, else as soon as it is. True if patched now."""
    core = sys.modules.get(_MODULE)
    if core is not None:
        return _patch(core)
    if _finder not in sys.meta_path:
        sys.meta_path.insert(0, _finder)
    return False
