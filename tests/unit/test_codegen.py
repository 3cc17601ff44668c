"""The generator, and the generated modules checked against the service model and boto3."""

from __future__ import annotations

import importlib.util
import inspect
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import botocore
import botocore.session
import pytest

from secretsmanager_async import _models, _operations
from secretsmanager_async._operations import OPERATIONS, OperationsMixin
from secretsmanager_async._protocol import WIRE, Operation, ResponseMetadata

ROOT = Path(__file__).resolve().parents[2]
MODEL = json.loads((ROOT / "codegen" / "model" / "service-2.json").read_text())
SHAPES: dict[str, Any] = MODEL["shapes"]
STRUCTURES = sorted(
    name for name, s in SHAPES.items() if s["type"] == "structure" and not s.get("exception")
)
OUTPUTS = {op["output"]["shape"] for op in MODEL["operations"].values() if "output" in op}


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_generate", ROOT / "codegen" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generate = _load_generator()


def _botocore_model() -> Any:
    return botocore.session.get_session().get_service_model("secretsmanager")


def test_generated_files_are_current() -> None:
    """Each committed generated module is byte-for-byte what the generator produces now."""
    rendered = generate.render_all()
    assert {p.name for p in rendered} == {"_models.py", "_validators.py", "_operations.py"}
    for path, text in rendered.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: regenerate"


def test_check_mode_reports_stale_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check exits 1 and names the file when a generated module differs, 0 when current."""
    package = tmp_path / "secretsmanager_async"
    package.mkdir()
    monkeypatch.setattr(generate, "ROOT", tmp_path)
    monkeypatch.setattr(generate, "PACKAGE", package)
    assert generate.main([]) == 0  # writes the three files
    assert generate.main(["--check"]) == 0
    models = package / "_models.py"
    models.write_text(models.read_text() + "# edited by hand\n")
    assert generate.main(["--check"]) == 1
    assert "_models.py" in capsys.readouterr().err
    assert models.read_text().endswith("# edited by hand\n")  # --check never writes


def test_output_is_deterministic() -> None:
    """Two runs of the generator produce identical text."""
    assert generate.render_all() == generate.render_all()


def test_generated_files_are_ruff_clean() -> None:
    """The generated modules need no reformatting and pass the project's lint rules."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.skip("ruff is not installed (dev extra)")
    files = [str(p) for p in generate.render_all()]
    fmt = subprocess.run([ruff, "format", "--check", *files], capture_output=True, cwd=ROOT)
    assert fmt.returncode == 0, fmt.stdout.decode() + fmt.stderr.decode()
    lint = subprocess.run([ruff, "check", *files], capture_output=True, cwd=ROOT)
    assert lint.returncode == 0, lint.stdout.decode() + lint.stderr.decode()


def test_xform_name_matches_botocore() -> None:
    """The generator's snake_case rule is botocore's for every operation and member name."""
    names = set(MODEL["operations"])
    for shape in SHAPES.values():
        names.update(shape.get("members", {}))
    names.update({"GatewayARNs", "ListWebACLs", "SomeCNAMEs", "HTTPSPort"})
    for name in sorted(names):
        assert generate.xform_name(name) == botocore.xform_name(name), name


def test_the_pinned_model_is_botocores() -> None:
    """The pinned model has the operations and shapes of the installed botocore's model."""
    service = _botocore_model()
    assert sorted(MODEL["operations"]) == sorted(service.operation_names)
    assert len(MODEL["operations"]) == 26


def test_every_operation_has_its_boto3_method() -> None:
    """26 async methods named as boto3 names them, with boto3's keyword names."""
    service = _botocore_model()
    for op_name in service.operation_names:
        method = getattr(OperationsMixin, botocore.xform_name(op_name))
        assert inspect.iscoroutinefunction(method), op_name
        params = inspect.signature(method).parameters
        assert all(
            p.kind is inspect.Parameter.KEYWORD_ONLY for n, p in params.items() if n != "self"
        )
        input_shape = service.operation_model(op_name).input_shape
        expected = {botocore.xform_name(m) for m in input_shape.members}
        assert set(params) - {"self"} == expected, op_name
        for member in input_shape.members:
            param = params[botocore.xform_name(member)]
            is_required = member in input_shape.required_members
            assert (param.default is inspect.Parameter.empty) == is_required, (op_name, member)


def test_operations_table() -> None:
    """OPERATIONS maps each operation name to an Operation with its target and models."""
    assert sorted(OPERATIONS) == sorted(MODEL["operations"])
    for name, op in OPERATIONS.items():
        spec = MODEL["operations"][name]
        assert isinstance(op, Operation)
        assert op.name == name
        assert op.target == f"secretsmanager.{name}"
        assert op.input_type is getattr(_models, spec["input"]["shape"])
        if "output" in spec:
            assert op.output_type is getattr(_models, spec["output"]["shape"])
        else:
            assert op.output_type is None
        assert getattr(_operations, botocore.xform_name(name).upper()) is op


def test_models_are_named_as_shapes() -> None:
    """One frozen, slotted, kw-only attrs class per (non-exception) structure shape."""
    assert sorted(_models.__all__) == STRUCTURES
    assert "GetSecretValueResponse" in STRUCTURES
    assert "SecretListEntry" in STRUCTURES
    for name in STRUCTURES:
        cls = getattr(_models, name)
        assert attrs.has(cls), name
        assert cls.__doc__, name
        assert "__slots__" in cls.__dict__, name
        fields = attrs.fields(cls)
        assert all(f.kw_only for f in fields), name
        instance = cls(**{f.name: None for f in fields if f.default is attrs.NOTHING})
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            setattr(instance, fields[0].name, None)


def test_model_fields_follow_the_shapes() -> None:
    """snake_case fields carry the wire name; required input members have no default."""
    inputs = {op["input"]["shape"] for op in MODEL["operations"].values()}
    for name in STRUCTURES:
        shape = SHAPES[name]
        fields = {f.metadata.get(WIRE): f for f in attrs.fields(getattr(_models, name))}
        extra = fields.pop(None, None)
        assert set(fields) == set(shape["members"]), name
        for member, field in fields.items():
            assert field.name == botocore.xform_name(member)
            required = name in inputs and member in shape.get("required", ())
            assert (field.default is attrs.NOTHING) == required, (name, member)
            sensitive = bool(SHAPES[shape["members"][member]["shape"]].get("sensitive"))
            assert field.repr is not sensitive, (name, member)
        if name in OUTPUTS:
            assert extra is not None
            assert extra.name == "metadata"
            assert extra.eq is False
            assert isinstance(extra.default, ResponseMetadata)
        else:
            assert extra is None, name


def test_sensitive_members_are_the_expected_ones() -> None:
    """The secret-bearing shapes are SecretString, SecretBinary, RandomPassword, RotationToken."""
    sensitive = {n for n, s in SHAPES.items() if s.get("sensitive")}
    assert sensitive == {
        "SecretStringType",
        "SecretBinaryType",
        "RandomPasswordType",
        "RotationTokenType",
    }


async def test_invoke_must_be_supplied() -> None:
    """The mixin's own _invoke refuses: a client class has to provide it."""
    with pytest.raises(NotImplementedError):
        await OperationsMixin().describe_secret(secret_id="s")
