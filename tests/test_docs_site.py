"""The documentation site covers what it promises: every setting, public name and operation."""

from __future__ import annotations

import re
from pathlib import Path

import secretsmanager_async
from secretsmanager_async import rotation, settings, sync, testing
from secretsmanager_async._generated.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = ROOT / "secretsmanager_async"

# How the package reads profile keys: helper calls with a literal key.
PROFILE_KEY_READS = (
    r'(?:_get|_str|_int|_float|_bool)\((?:profile|section|prof|src, ?[a-z_"]+), "([a-z_0-9]+)"',
    r'prof_str\("([a-z_]+)"\)',
    r'setting\("AWS_\w+", "([a-z_]+)"\)',
    r'pick\(\s*"\w+",\s*\([^)]*\),\s*"([a-z_]+)"\s*\)',
    r'(?:profile|prof|section|session)\.get\("([a-z_]+)"',
)


def _source() -> str:
    return "\n".join(p.read_text() for p in sorted(PACKAGE.rglob("*.py")))


def _settings_table() -> str:
    page = (DOCS / "guides" / "configuration.md").read_text()
    return page.split("## Every variable and profile key the library reads", 1)[1].split("\n## ")[0]


def test_every_environment_variable_is_in_the_table() -> None:
    """Each AWS_* variable named in the package appears in the configuration table."""
    read = set(re.findall(r'"(AWS_[A-Z0-9_]*[A-Z0-9])"', _source()))
    assert len(read) > 30
    table = _settings_table()
    assert {name for name in read if f"`{name}`" not in table} == set()
    # built from a service suffix at run time
    assert "`AWS_ENDPOINT_URL_SSO`" in table and "`AWS_ENDPOINT_URL_SSO_OIDC`" in table


def test_every_profile_key_is_in_the_table() -> None:
    """Each shared-config key the package reads appears in the configuration table."""
    source = _source()
    keys = {key for pattern in PROFILE_KEY_READS for key in re.findall(pattern, source)}
    assert {"region", "credential_process", "sso_session", "role_arn"} <= keys
    table = _settings_table()
    assert {key for key in keys if f"`{key}`" not in table} == set()


def _referenced() -> set[str]:
    text = "\n".join(p.read_text() for p in (DOCS / "reference").glob("*.md"))
    return set(re.findall(r"^::: (secretsmanager_async[\w.]*)$", text, re.M))


def test_reference_has_every_public_name() -> None:
    """Every name in the package's and the add-ons' __all__ has a reference entry."""
    referenced = _referenced()
    for module in (secretsmanager_async, testing, sync, rotation, settings):
        missing = {name for name in module.__all__ if f"{module.__name__}.{name}" not in referenced}
        assert missing == set(), module.__name__


def test_reference_has_one_entry_per_operation() -> None:
    """Operations page: one entry per operation method, nothing else."""
    page = (DOCS / "reference" / "operations.md").read_text()
    entries = re.findall(r"^::: secretsmanager_async\.SecretsManagerClient\.(\w+)$", page, re.M)
    methods = {
        name
        for name in dir(secretsmanager_async.SecretsManagerClient)
        if getattr(
            getattr(secretsmanager_async.SecretsManagerClient, name), "__qualname__", ""
        ).startswith("OperationsMixin.")
        and not name.startswith("_")
    }
    assert len(methods) == len(OPERATIONS)
    assert sorted(entries) == sorted(methods)


def test_every_page_is_in_the_navigation() -> None:
    """mkdocs.yml lists every page under docs/ (strict builds warn, nav stays complete)."""
    nav = (ROOT / "mkdocs.yml").read_text()
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    assert {page for page in pages if f": {page}" not in nav} == set()
