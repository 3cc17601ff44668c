"""Secrets as typed objects: the redacting :class:`Secret` wrapper and JSON-to-model structuring.

``SecretCache.get_secret_model`` structures a parsed JSON secret into attrs classes,
dataclasses or TypedDicts with a cattrs converter of its own. Its errors name the secret, the
path of each bad field and the rule it broke, never a value.
"""

from __future__ import annotations

import copy
import functools
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar, get_args, get_origin

if TYPE_CHECKING:
    import cattrs

__all__ = ["Secret", "structure"]

T = TypeVar("T")

_REDACTED = "**********"


class Secret(Generic[T]):
    """A value that stays out of reprs, ``str()``, f-strings and logs; ``.get()`` returns it.

    Use it as a field type in the models given to ``get_secret_model`` (``Secret[str]``,
    ``Secret[int]``, ...); pydantic accepts it as a field type too.
    """

    __slots__ = ("_value",)

    def __init__(self, value: T) -> None:
        self._value = value

    def get(self) -> T:
        """The secret value."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret('{_REDACTED}')"

    def __str__(self) -> str:
        return _REDACTED

    def __format__(self, spec: str) -> str:
        return _REDACTED

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and self._value == other._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __copy__(self) -> Secret[T]:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret[T]:
        return Secret(copy.deepcopy(self._value, memo))

    def __reduce__(self) -> NoReturn:
        # pickling would write the value somewhere it was not meant to go
        raise TypeError("a Secret cannot be pickled; pickle secret.get() if you mean to")

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        """pydantic support (only called by pydantic): validate the inner type, then wrap."""
        from pydantic_core import core_schema

        args = get_args(source)
        inner = handler.generate_schema(args[0]) if args else core_schema.any_schema()
        return core_schema.no_info_after_validator_function(
            cls,
            inner,
            # dumped to JSON redacted, as pydantic's own SecretStr is
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="json"),
        )


def _is_secret(type_: Any) -> bool:
    return type_ is Secret or get_origin(type_) is Secret


@functools.cache
def _converter() -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter(forbid_extra_keys=False)

    def structure_secret(value: Any, type_: Any) -> Secret[Any]:
        args = get_args(type_)
        return Secret(converter.structure(value, args[0]) if args else value)

    converter.register_structure_hook_func(_is_secret, structure_secret)
    return converter


def _problem(exc: BaseException, type_: Any) -> str:
    # the rule a field broke, never its value (the messages of int(), float() and friends
    # quote the value)
    if isinstance(exc, KeyError):
        return "required field missing"
    name = getattr(type_, "__name__", None) or str(type_)
    return f"expected {name}"


def structure(secret_id: str, document: Any, type_: type[T]) -> T:
    """``document`` (parsed JSON) as a ``type_``; a ValueError names each bad field."""
    import cattrs

    converter = _converter()
    problems: list[str] = []
    try:
        return converter.structure(document, type_)
    except cattrs.StructureHandlerNotFoundError:
        unsupported = True
    except cattrs.BaseValidationError as e:
        problems = cattrs.transform_error(e, path="$", format_exception=_problem)
        unsupported = False
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        problems = [f"{_problem(e, type_)} @ $"]
        unsupported = False
    if unsupported:
        raise TypeError(f"get_secret_model cannot build a {type_!r}")
    # raised outside the except blocks, so neither __cause__ nor __context__ holds the
    # original exception (whose message or arguments may quote the value)
    name = getattr(type_, "__name__", repr(type_))
    raise ValueError(f"secret {secret_id!r} does not fit {name}: " + "; ".join(problems))
