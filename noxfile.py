"""Developer tasks: tests across Pythons, lint, typecheck, demo, benchmark, model refresh."""

from __future__ import annotations

import os
import re
from pathlib import Path

import nox

# pyenv installs interpreters outside PATH unless they are activated; let nox find them.
_PYENV = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
for _bin in sorted(_PYENV.glob("3.*/bin"), reverse=True):
    os.environ["PATH"] = f"{_bin}{os.pathsep}{os.environ['PATH']}"

nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True

ROOT = Path(__file__).parent
PYPROJECT = (ROOT / "pyproject.toml").read_text()
# Python versions come from the classifiers, so there is one list to keep
PYTHONS = re.findall(r'"Programming Language :: Python :: (3\.\d+)"', PYPROJECT)
BOTOCORE_MODEL_VERSION = "1.44.8"


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """Run the test suite."""
    session.install("-e", ".[test]")
    session.run("pytest", "-q", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check and format check."""
    session.install("ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the package and on the typed usage file."""
    session.install("-e", ".[pydantic]", "mypy")  # the settings add-on is type-checked too
    session.run("mypy", "--strict", "secretsmanager_async")
    session.run("mypy", "--strict", "tests/typing/api.py")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/ (strict: a broken link or reference fails)."""
    session.install("-e", ".[docs]")
    session.env["NO_MKDOCS_2_WARNING"] = "1"
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", *session.posargs)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job against an embedded local endpoint."""
    session.install("-e", ".[local]")
    session.run("python", "-m", "secretsmanager_async", "demo", *session.posargs)


@nox.session(python="3.12")
def bench(session: nox.Session) -> None:
    """The benchmark suite against the peers (pass --quick for a smoke run).

    Python 3.12 because AWS's smithy-based client needs it; the peers are benchmark-only
    installs, never dependencies of the library.
    """
    session.install("-e", ".", "aiobotocore", "aws-sdk-secrets-manager", "matplotlib")
    session.run("python", "benchmarks/run.py", *session.posargs)


@nox.session(python="3.12")
def fleet(session: nox.Session) -> None:
    """A fleet's start-up against scaled-down account quotas (benchmarks/fleet.py).

    aiobotocore and matplotlib are benchmark-only installs, never library dependencies.
    """
    session.install("-e", ".", "aiobotocore", "matplotlib")
    session.run("python", "benchmarks/fleet.py", *session.posargs)


@nox.session
def refresh_model(session: nox.Session) -> None:
    """Copy the service model from a pinned botocore (documentation stripped), regenerate."""
    session.install(f"botocore=={BOTOCORE_MODEL_VERSION}")
    session.run("python", "codegen/refresh_model.py")
    session.run("python", "codegen/generate.py")
