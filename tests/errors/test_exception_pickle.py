"""Every exception class of the package round-trips through pickle, copy and deepcopy.

The classes are found, not listed: every module of the package is imported, and every
exception class defined in it (and every subclass of SecretsManagerError anywhere) is built
from sample arguments chosen by parameter name and annotation. A new class, with any extra
keyword attributes, is covered without touching this file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import importlib
import inspect
import multiprocessing
import pickle
import pkgutil
import sys
from typing import Any

import pytest

import secretsmanager_async
from secretsmanager_async import exceptions
from secretsmanager_async.exceptions import (
    NoCredentialsError,
    ResourceNotFoundException,
    SecretsManagerError,
    ServiceError,
)

# Sample values by parameter name; other parameters get one by annotation.
_BY_NAME: dict[str, Any] = {
    "message": "the message",
    "code": "SomeErrorCode",
    "status_code": 418,
    "status": 418,
    "request_id": "req-123",
    "retry_after": 1.5,
    "provider": "some-provider",
    "field": "secret_id",
    "rule": "is required",
    "tried": ("env", "imds"),
    "operation": "GetSecretValue",
    "host": "127.0.0.1",
    "attempts": 3,
}
_BY_ANNOTATION: tuple[tuple[str, Any], ...] = (
    ("tuple", ("a", "b")),
    ("float", 2.5),
    ("int", 7),
    ("bool", True),
    ("str", "text"),
)


def _exception_classes() -> list[type[BaseException]]:
    package = secretsmanager_async.__name__
    for module in pkgutil.walk_packages(secretsmanager_async.__path__, package + "."):
        if not module.name.endswith("__main__"):  # runs the command line
            importlib.import_module(module.name)
    found: set[type[BaseException]] = set()
    stack: list[type[BaseException]] = [SecretsManagerError]
    while stack:  # every subclass, wherever defined
        cls = stack.pop()
        found.add(cls)
        stack.extend(cls.__subclasses__())
    for name, module in list(__import__("sys").modules.items()):
        if name == package or name.startswith(package + "."):
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, BaseException)
                    and value.__module__.startswith(package)
                    and not value.__name__.startswith("_")  # private: never raised to users
                ):
                    found.add(value)
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _sample(parameter: inspect.Parameter) -> Any:
    if parameter.name in _BY_NAME:
        return _BY_NAME[parameter.name]
    annotation = str(parameter.annotation)
    for key, value in _BY_ANNOTATION:
        if key in annotation:
            return value
    return f"sample-{parameter.name}"


def build(cls: type[BaseException]) -> BaseException:
    """An instance of ``cls`` with a sample value for every parameter of its ``__init__``."""
    signature = inspect.signature(cls.__init__)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for parameter in list(signature.parameters.values())[1:]:
        if parameter.kind is parameter.VAR_POSITIONAL:
            args.append("the message")
        elif parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            args.append(_sample(parameter))
        elif parameter.kind is parameter.KEYWORD_ONLY:
            kwargs[parameter.name] = _sample(parameter)
    return cls(*args, **kwargs)


CLASSES = _exception_classes()


def _same(a: BaseException, b: BaseException) -> None:
    assert type(a) is type(b)
    assert a.args == b.args
    assert str(a) == str(b)
    assert repr(a) == repr(b)
    assert vars(a) == vars(b)


def test_the_enumeration_finds_every_kind_of_class() -> None:
    """The enumeration reaches classes outside exceptions.py and with their own __init__."""
    names = {c.__qualname__ for c in CLASSES}
    assert {"StsError", "LocalEndpointUnavailable", "ResourceNotFoundException"} <= names
    assert {"ParamValidationError", "CredentialRetrievalError", "NoCredentialsError"} <= names
    assert set(exceptions.__all__) - {"MODELED_ERRORS"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_round_trips_through_pickle_copy_and_deepcopy(cls: type[BaseException]) -> None:
    """Type, args, message and every attribute survive pickle, copy and deepcopy."""
    error = build(cls)
    if sys.version_info >= (3, 11):  # notes (PEP 678) are new in 3.11
        error.add_note("a note")
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        _same(error, pickle.loads(pickle.dumps(error, protocol)))
    _same(error, copy.copy(error))
    _same(error, copy.deepcopy(error))


def test_service_error_attributes_survive() -> None:
    """code, message, request id, status and retry_after of a modeled error survive pickling."""
    error = ResourceNotFoundException(
        "no such secret", code="ResourceNotFoundException", status_code=400, request_id="r-1"
    )
    error.server_date = 1.7e9
    again = pickle.loads(pickle.dumps(error))
    assert (again.code, again.message, again.request_id, again.status_code) == (
        "ResourceNotFoundException",
        "no such secret",
        "r-1",
        400,
    )
    assert again.server_date == 1.7e9 and again.retry_after is None
    assert isinstance(copy.deepcopy(NoCredentialsError("none", tried=("env",))).tried, tuple)


def _raise_not_found() -> None:
    raise ResourceNotFoundException("gone", code="ResourceNotFoundException", status_code=400)


async def test_error_from_a_process_pool_worker_reaches_the_caller() -> None:
    """A ProcessPoolExecutor worker raising a ServiceError leaves the pool usable."""
    loop = asyncio.get_running_loop()
    # spawn: forking a process that runs threads (moto's server) is deprecated
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        with pytest.raises(ServiceError) as info:
            await loop.run_in_executor(pool, _raise_not_found)
        assert info.value.code == "ResourceNotFoundException" and info.value.status_code == 400
        assert await loop.run_in_executor(pool, abs, -3) == 3
