"""Every public name is exported from the package, and everything exported exists."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import secretsmanager_async
from secretsmanager_async import exceptions
from secretsmanager_async._generated import models as _models


def test_all_names_resolve() -> None:
    """Each name in __all__ resolves, lazily exported ones included, and is in dir()."""
    for name in secretsmanager_async.__all__:
        value = getattr(secretsmanager_async, name)
        assert value is not None, name
        # resolved once, then a plain module global
        assert vars(secretsmanager_async)[name] is value, name
    assert set(secretsmanager_async.__all__) <= set(dir(secretsmanager_async))


def test_lazy_names_are_the_defining_modules_objects() -> None:
    """A lazily exported name is the object its private module defines."""
    from secretsmanager_async import SecretCache, Tag
    from secretsmanager_async._cache import SecretCache as CacheClass

    assert Tag is _models.Tag
    assert secretsmanager_async.Tag is Tag
    assert SecretCache is CacheClass


def test_unknown_name_is_an_attribute_error() -> None:
    """A name the package does not export raises AttributeError (hasattr is False)."""
    with pytest.raises(AttributeError, match="has no attribute 'NoSuchThing'"):
        secretsmanager_async.NoSuchThing  # noqa: B018
    assert not hasattr(secretsmanager_async, "NoSuchThing")


def test_every_model_and_error_is_exported() -> None:
    """All generated models, EmptyResponse and all exception classes are exported."""
    exported = set(secretsmanager_async.__all__)
    errors = {
        n
        for n, v in vars(exceptions).items()
        if isinstance(v, type) and issubclass(v, exceptions.SecretsManagerError)
    }
    assert set(_models.__all__) <= exported, sorted(set(_models.__all__) - exported)
    assert errors <= exported, sorted(errors - exported)
    assert "EmptyResponse" in exported


def test_import_is_lazy() -> None:
    """A fresh import loads neither cattrs, the cache nor the aiobotocore adapter modules."""
    code = """
import json, sys
import secretsmanager_async
lazy = ["cattrs", "secretsmanager_async._cache", "secretsmanager_async._typed",
        "secretsmanager_async._credentials.aiobotocore"]
loaded = [m for m in lazy if m in sys.modules]
from secretsmanager_async import SecretCache
print(json.dumps([loaded, "secretsmanager_async._cache" in sys.modules]))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=False)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == [[], True]


def test_core_names() -> None:
    """The names users and examples rely on."""
    for name in (
        "SecretsManagerClient",
        "Credentials",
        "ClientConfig",
        "resolve_endpoint",
        "SecretsManagerError",
        "ServiceError",
        "GetSecretValueResponse",
        "SecretValueEntry",
        "Tag",
        "SecretCache",
    ):
        assert name in secretsmanager_async.__all__, name
