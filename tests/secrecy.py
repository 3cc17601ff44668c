"""Test helpers: everything reachable from an exception, and canary secrets to look for.

``walk_exception(e)`` yields every text reachable from ``e``: its ``str`` and ``repr``, its
args, attributes (``__dict__`` and slots), notes, ``__cause__`` and ``__context__``,
recursively, through containers (lists, tuples, sets, mappings, multidicts), and through the
objects they hold (aiohttp's ``request_info`` with its headers, yarl URLs, JSON errors' ``.doc``,
``UnicodeDecodeError.object``, ...). Tracebacks and frames are not followed: every frame's
locals hold the request being sent, so no library could keep them clean, and they are not
data an exception handler passes on.

``assert_no_secrets(e, *canaries)`` fails, naming the path, if any canary (or a SigV4
signature) appears in any of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

#: canary values: use them as the secret value, secret key and session token of a test
SECRET_VALUE = "CANARY-SECRET-VALUE-7c1e"
SECRET_KEY = "CANARYSECRETKEY/9f2b+Q"
SESSION_TOKEN = "CANARY-SESSION-TOKEN-3d5a"
CANARIES = (SECRET_VALUE, SECRET_KEY, SESSION_TOKEN)

# A SigV4 signature (64 hex digits) or the header fragment that carries one.
_SIGNATURE = re.compile(r"Signature=|(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")

_SCALARS = (int, float, complex, bool, type(None))


def walk_exception(error: BaseException, *, max_depth: int = 40) -> Iterator[tuple[str, str]]:
    """Yield ``(path, text)`` for every text reachable from ``error``."""
    seen: set[int] = set()
    yield from _walk(error, "e", seen, max_depth)


def _attributes(obj: Any) -> Iterator[tuple[str, Any]]:
    try:
        state = vars(obj)
    except TypeError:
        state = {}
    yield from state.items()
    for cls in type(obj).__mro__:
        for name in getattr(cls, "__slots__", ()) or ():
            if name in ("__dict__", "__weakref__") or name in state:
                continue
            try:
                yield name, getattr(obj, name)
            except AttributeError:
                continue


def _walk(obj: Any, path: str, seen: set[int], depth: int) -> Iterator[tuple[str, str]]:
    if isinstance(obj, _SCALARS):
        return
    if isinstance(obj, str):
        yield path, obj
        return
    if isinstance(obj, (bytes, bytearray, memoryview)):
        yield path, bytes(obj).decode("latin-1")
        return
    if id(obj) in seen or depth <= 0:
        return
    seen.add(id(obj))
    if isinstance(obj, type) or (callable(obj) and not isinstance(obj, BaseException)):
        return  # classes and functions: code, not data
    for kind, text in (("str", str), ("repr", repr)):
        try:
            yield f"{kind}({path})", text(obj)
        except Exception:
            continue
    depth -= 1
    if isinstance(obj, BaseException):
        yield from _walk(obj.args, f"{path}.args", seen, depth)
        yield from _walk(obj.__cause__, f"{path}.__cause__", seen, depth)
        yield from _walk(obj.__context__, f"{path}.__context__", seen, depth)
        for name in ("doc", "object", "request_info", "history", "headers", "exceptions"):
            if hasattr(obj, name):
                yield from _walk(getattr(obj, name), f"{path}.{name}", seen, depth)
    if isinstance(obj, Mapping) or (hasattr(obj, "items") and callable(obj.items)):
        try:
            items = list(obj.items())
        except Exception:
            items = []
        for key, value in items:
            yield from _walk(key, f"{path}[key]", seen, depth)
            yield from _walk(value, f"{path}[{key!r}]", seen, depth)
    elif isinstance(obj, (list, tuple, set, frozenset)):
        for index, item in enumerate(obj):
            yield from _walk(item, f"{path}[{index}]", seen, depth)
    for name, value in _attributes(obj):
        if name in ("__traceback__",):
            continue
        yield from _walk(value, f"{path}.{name}", seen, depth)
    if hasattr(obj, "_fields") and isinstance(obj, tuple):  # namedtuple (aiohttp RequestInfo)
        for name in obj._fields:
            yield from _walk(getattr(obj, name), f"{path}.{name}", seen, depth)


def leaks(error: BaseException, *canaries: str) -> list[str]:
    """Paths (with the offending snippet) where a canary or a signature is reachable."""
    found = []
    wanted = canaries or CANARIES
    for path, text in walk_exception(error):
        for canary in wanted:
            if canary in text:
                found.append(f"{path}: contains {canary!r}")
        match = _SIGNATURE.search(text)
        if match:
            found.append(f"{path}: contains a signature ({text[:200]!r})")
    return found


def assert_no_secrets(error: BaseException, *canaries: str) -> None:
    """Fail if a canary (default: :data:`CANARIES`) or a signature is reachable from ``error``."""
    found = leaks(error, *canaries)
    assert not found, "secret material reachable from the exception:\n" + "\n".join(found[:20])
