"""Every public name is exported from the package, and everything exported exists."""

from __future__ import annotations

import attrs

import secretsmanager_async
from secretsmanager_async import _models, exceptions


def test_all_names_resolve() -> None:
    """Each name in __all__ is an attribute of the package."""
    for name in secretsmanager_async.__all__:
        assert hasattr(secretsmanager_async, name), name


def test_every_model_and_error_is_exported() -> None:
    """All generated models and all exception classes are importable from the package."""
    exported = set(secretsmanager_async.__all__)
    models = {n for n, v in vars(_models).items() if isinstance(v, type) and attrs.has(v)}
    errors = {
        n
        for n, v in vars(exceptions).items()
        if isinstance(v, type) and issubclass(v, exceptions.SecretsManagerError)
    }
    assert models <= exported, sorted(models - exported)
    assert errors <= exported, sorted(errors - exported)


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
