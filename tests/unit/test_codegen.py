"""The generator, and the generated modules checked against the service model and boto3."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import json
import pickle
import shutil
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType
from typing import Any

import attrs
import botocore
import botocore.session
import pytest

from secretsmanager_async._generated import models as _models
from secretsmanager_async._generated import operations as _operations
from secretsmanager_async._generated.operations import OPERATIONS, OperationsMixin
from secretsmanager_async._protocol import WIRE, EmptyResponse, Operation, ResponseMetadata

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
    assert {p.relative_to(generate.PACKAGE).as_posix() for p in rendered} == {
        "_generated/__init__.py",
        "_generated/models.py",
        "_generated/models.pyi",
        "_generated/validators.py",
        "_generated/operations.py",
    }
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
    assert generate.main([]) == 0  # writes the five files
    assert generate.main(["--check"]) == 0
    models = package / "_generated" / "models.py"
    models.write_text(models.read_text() + "# edited by hand\n")
    assert generate.main(["--check"]) == 1
    assert "_generated/models.py" in capsys.readouterr().err
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
            assert op.output_type is EmptyResponse
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


# -- models built on first use --------------------------------------------------------------


def _run(code: str, stdin: bytes = b"") -> Any:
    """Run ``code`` in a fresh interpreter (no model built yet); return what it prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code], input=stdin, capture_output=True, check=False, cwd=ROOT
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


_BUILT = "[n for n in _models.__all__ if n in vars(_models)]"


def test_import_builds_no_model() -> None:
    """Importing the package (all 26 operations included) builds no model class."""
    code = f"""
import json
import secretsmanager_async
from secretsmanager_async._generated import models as _models
print(json.dumps({_BUILT}))
"""
    assert _run(code) == []


def test_a_call_builds_only_its_models() -> None:
    """Serializing and parsing GetSecretValue builds its two classes, and no other."""
    code = f"""
import json
from secretsmanager_async._generated import models as _models
from secretsmanager_async._generated.operations import GET_SECRET_VALUE
from secretsmanager_async._protocol import NO_METADATA
body = GET_SECRET_VALUE.serialize(_models.GetSecretValueRequest(secret_id="s"))
GET_SECRET_VALUE.parse(b'{{"Name": "s"}}', NO_METADATA)
print(json.dumps({_BUILT}))
"""
    assert sorted(_run(code)) == ["GetSecretValueRequest", "GetSecretValueResponse"]


def test_a_model_is_built_with_the_models_it_names() -> None:
    """Building a model builds the models in its annotations, so cattrs can resolve them."""
    code = f"""
import json, typing
from secretsmanager_async._generated import models as _models
from secretsmanager_async._generated.operations import LIST_SECRETS
from secretsmanager_async._protocol import NO_METADATA
typing.get_type_hints(_models.ListSecretsResponse)
built = {_BUILT}
page = LIST_SECRETS.parse(b'{{"SecretList": [{{"Tags": [{{"Key": "k"}}]}}]}}', NO_METADATA)
print(json.dumps([built, page.secret_list[0].tags[0].key]))
"""
    built, key = _run(code)
    assert sorted(built) == [
        "ExternalSecretRotationMetadataItem",
        "ListSecretsResponse",
        "RotationRulesType",
        "SecretListEntry",
        "Tag",
    ]
    assert key == "k"


def test_nested_models_follow_the_shapes() -> None:
    """_NESTED names exactly the structures each shape's members refer to (through lists)."""
    for name in STRUCTURES:
        expected = generate.nested_structures(generate.Model(MODEL), name)
        assert list(_models._NESTED.get(name, ())) == expected, name
        hints = typing.get_type_hints(getattr(_models, name))
        named = {
            arg.__name__
            for hint in hints.values()
            for arg in _flatten(hint)
            if attrs.has(arg) and arg is not ResponseMetadata
        }
        assert named == set(expected), name


def _flatten(hint: Any) -> list[Any]:
    args = typing.get_args(hint)
    return [hint] if not args else [a for arg in args for a in _flatten(arg)]


def test_a_model_is_built_once_across_threads() -> None:
    """Threads racing for an unbuilt model all get the one class (the factory runs once)."""
    code = """
import json, threading, time
from secretsmanager_async._generated import models as _models
factory = _models._FACTORIES["Tag"]
calls = []
def slow():
    calls.append(1)
    time.sleep(0.05)  # a thread switch mid-build
    return factory()
_models._FACTORIES["Tag"] = slow
barrier = threading.Barrier(4)
seen = []
def worker():
    barrier.wait()
    seen.append(id(_models.Tag))
threads = [threading.Thread(target=worker) for _ in range(4)]
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps([len(set(seen)), len(calls)]))
"""
    assert _run(code) == [1, 1]


@pytest.mark.parametrize("name", STRUCTURES)
def test_models_pickle_by_module_level_name(name: str) -> None:
    """Each model has a module-level qualname and round-trips through pickle."""
    cls = getattr(_models, name)
    assert cls.__qualname__ == cls.__name__ == name
    assert cls.__module__ == "secretsmanager_async._generated.models"
    instance = cls(**{f.name: None for f in attrs.fields(cls) if f.default is attrs.NOTHING})
    assert pickle.loads(pickle.dumps(instance)) == instance


def test_unpickling_builds_the_model() -> None:
    """A pickled model loads in a process where its class was not built yet."""
    value = _models.CreateSecretRequest(name="n", tags=[_models.Tag(key="k", value="v")])
    code = """
import json, pickle, sys
value = pickle.loads(sys.stdin.buffer.read())
print(json.dumps([type(value).__qualname__, value.tags[0].value]))
"""
    assert _run(code, pickle.dumps(value)) == ["CreateSecretRequest", "v"]


def test_module_attributes() -> None:
    """dir() lists every model; unknown names raise AttributeError like any module."""
    assert set(_models.__all__) <= set(dir(_models))
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _models.Nope  # noqa: B018
    assert not hasattr(_models, "Nope")


def test_stub_declares_the_runtime_models() -> None:
    """models.pyi declares each model with the runtime fields, order and required-ness."""
    tree = ast.parse((ROOT / "secretsmanager_async" / "_generated" / "models.pyi").read_text())
    declared = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            declared[node.name] = [
                (stmt.target.id, stmt.value is None)
                for stmt in node.body
                if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name)
            ]
    assert sorted(declared) == STRUCTURES
    for name in STRUCTURES:
        fields = attrs.fields(getattr(_models, name))
        assert declared[name] == [(f.name, f.default is attrs.NOTHING) for f in fields], name
