"""Generated method docstrings: every parameter, its rules, and every modeled error."""

from __future__ import annotations

import importlib.util
import inspect
import json
import pydoc
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from secretsmanager_async import SecretsManagerClient
from secretsmanager_async._generated.operations import OPERATIONS

ROOT = Path(__file__).resolve().parents[2]
MODEL: dict[str, Any] = json.loads((ROOT / "codegen" / "model" / "service-2.json").read_text())


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_{name}", ROOT / "codegen" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


DESCRIPTIONS = _load("descriptions")
GENERATE = _load("generate")


def _method(op_name: str) -> Any:
    return getattr(SecretsManagerClient, GENERATE.xform_name(op_name))


@pytest.mark.parametrize("op_name", sorted(OPERATIONS))
def test_docstring_lists_every_parameter_and_error(op_name: str) -> None:
    """Args names each keyword parameter; Raises names each error the model lists."""
    doc = inspect.getdoc(_method(op_name))
    assert doc is not None
    args = doc.split("Args:\n", 1)[1].split("\n\n", 1)[0]
    documented = re.findall(r"^    (\w+): ", args, re.M)
    params = [p for p in inspect.signature(_method(op_name)).parameters if p != "self"]
    assert sorted(documented) == sorted(params)
    raises = doc.split("Raises:\n", 1)[1]
    for error in MODEL["operations"][op_name].get("errors", []):
        assert f"    {error['shape']}: " in raises
    assert "    ParamValidationError: " in raises


def test_docstring_carries_constraints_from_the_model() -> None:
    """Lengths, ranges, allowed values and patterns reach the docstring, unescaped."""
    doc = inspect.getdoc(SecretsManagerClient.list_secrets) or ""
    assert '``"asc"``, ``"desc"``' in doc
    assert "max_results: Largest number of entries on one page" in doc
    assert "1 to 100" in doc
    doc = inspect.getdoc(SecretsManagerClient.remove_regions_from_replication) or ""
    assert r"``^([a-z]+-)+\d+$``" in doc
    doc = inspect.getdoc(SecretsManagerClient.get_secret_value) or ""
    assert "secret_id: The secret's name, full ARN or partial ARN. Rule: 1 to 2048" in doc


def test_help_shows_parameters_and_errors() -> None:
    """help(client.get_secret_value) shows the parameters and the errors, as users see it."""
    text = pydoc.render_doc(SecretsManagerClient.get_secret_value, renderer=pydoc.plaintext)
    assert "version_stage:" in text
    assert "ResourceNotFoundException:" in text


def test_description_table_has_no_stale_entries() -> None:
    """Every entry of codegen/descriptions.py names a member or error the model has."""
    shapes = MODEL["shapes"]
    members = {
        (name, member)
        for name, op in MODEL["operations"].items()
        for member in shapes[op["input"]["shape"]]["members"]
    }
    assert set(DESCRIPTIONS.PARAMETERS) == {member for _, member in members}
    for key in DESCRIPTIONS.OVERRIDES:
        assert tuple(key.split(".")) in members, key
    errors = {e["shape"] for op in MODEL["operations"].values() for e in op.get("errors", [])}
    assert set(DESCRIPTIONS.ERRORS) == errors
