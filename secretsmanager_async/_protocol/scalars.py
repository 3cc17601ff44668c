"""Wire scalars of AWS JSON 1.1, shared by the generated codecs and the cattrs converter.

Standard library only: the generated encoders and decoders (``_generated.codecs``) run every
call without importing cattrs; ``converters`` registers the same functions as cattrs hooks.
Error messages describe JSON types and rules, never values: values may be secrets.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, NoReturn

__all__ = [
    "WireTypeError",
    "WireValueError",
    "blob_from_wire",
    "blob_to_wire",
    "bool_from_wire",
    "dict_from_wire",
    "draft_class",
    "int_from_wire",
    "json_type",
    "list_from_wire",
    "not_a",
    "str_from_wire",
    "str_list_from_wire",
    "timestamp_from_wire",
    "timestamp_to_wire",
]

_UTC = timezone.utc
# bound once: looking a classmethod up on the class makes a new bound method every time
_fromtimestamp = datetime.fromtimestamp


class WireTypeError(TypeError):
    """A wire value has the wrong JSON type. The message names types only."""


class WireValueError(ValueError):
    """A wire value of the right JSON type is not valid (bad base64, bad timestamp, ...)."""


def json_type(value: Any) -> str:
    """The JSON type of ``value``, for messages (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def not_a(expected: str, value: Any) -> NoReturn:
    """Raise the WireTypeError for ``value`` where ``expected`` (e.g. "a string") belongs."""
    raise WireTypeError(f"expected {expected}, got {json_type(value)}")


def str_from_wire(value: Any) -> str:
    if isinstance(value, str):
        return value
    not_a("a string", value)


def int_from_wire(value: Any) -> int:
    if type(value) is int:
        return value
    not_a("an integer", value)


def bool_from_wire(value: Any) -> bool:
    if type(value) is bool:
        return value
    not_a("a boolean", value)


def blob_to_wire(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def blob_from_wire(value: Any) -> bytes:
    if type(value) is not str:
        not_a("a base64 string", value)
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII text
        raise WireValueError("not valid base64") from None


def timestamp_to_wire(value: datetime) -> int | float:
    if value.tzinfo is None:  # naive: taken as UTC, never as local time
        value = value.replace(tzinfo=_UTC)
    seconds = value.timestamp()
    return int(seconds) if seconds.is_integer() else seconds


def timestamp_from_wire(value: Any) -> datetime:
    kind = type(value)
    if kind is float or kind is int:
        try:
            return _fromtimestamp(value, _UTC)
        except (OverflowError, OSError, ValueError):
            raise WireValueError("timestamp out of range") from None
    if kind is str:
        return _parse_timestamp_text(value)
    not_a("a timestamp", value)


def _parse_timestamp_text(text: str) -> datetime:
    # The service sends numbers; strings (as botocore accepts them) are epoch seconds or ISO 8601.
    try:
        return datetime.fromtimestamp(float(text), _UTC)
    except (OverflowError, OSError, ValueError):
        pass
    iso = text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text  # 3.10 rejects "Z"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise WireValueError("not a timestamp") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=_UTC)


def str_list_from_wire(value: Any) -> list[str]:
    # lists of strings (version stages, ...) are common: checked in place, not copied
    if type(value) is not list:
        not_a("an array", value)
    for item in value:
        if type(item) is not str:
            not_a("a string", item)
    return value


def list_from_wire(value: Any, item: Callable[[Any], Any]) -> list[Any]:
    if type(value) is not list:
        not_a("an array", value)
    return [item(v) for v in value]


def dict_from_wire(value: Any, key: Callable[[Any], Any], item: Callable[[Any], Any]) -> Any:
    if type(value) is not dict:
        not_a("an object", value)
    return {key(k): item(v) for k, v in value.items()}


def draft_class(cls: type) -> type[Any]:
    """A mutable twin of the frozen model ``cls``, for decoders that build a model directly.

    A decoder makes a draft with ``object.__new__``, stores each field as a plain attribute,
    then assigns ``cls`` to the draft's ``__class__``: the twin adds no slot and no ``__dict__``,
    so its layout is ``cls``'s own and the object becomes exactly a ``cls`` instance. A frozen
    attrs ``__init__`` sets each field through ``object.__setattr__``, and calling a slot's
    ``__set__`` costs nearly as much; a plain store to a slot is a few instructions, which
    shows when a response holds thousands of entries. The result is the same object: the
    models have no validators, converters or post-init hooks that this would skip
    (``tests/unit/test_codecs.py`` holds the decoders to that).
    """
    # Both hooks are object's own: with either one inherited from the frozen class, every
    # store would go through a Python-level __setattr__.
    namespace = {
        "__slots__": (),
        "__setattr__": object.__setattr__,
        "__delattr__": object.__delattr__,
        "__module__": cls.__module__,
        "__qualname__": f"{cls.__qualname__}.draft",
    }
    return type(cls.__name__, (cls,), namespace)
