"""Generate the models, validators and operations of secretsmanager_async from the service model.

    python codegen/generate.py           # (re)write the generated modules
    python codegen/generate.py --check   # exit 1 if a committed module differs

Input: codegen/model/service-2.json (botocore's Secrets Manager model, documentation stripped).
Output (committed, never edited by hand):

- ``secretsmanager_async/_generated/models.py``: one frozen attrs class per structure shape,
  each built on first access by a small factory (PEP 562 ``__getattr__``), for a fast import;
- ``secretsmanager_async/_generated/models.pyi``: the same classes declared for type checkers;
- ``secretsmanager_async/_generated/validators.py``: one straight-line validator per input shape;
- ``secretsmanager_async/_generated/operations.py``: ``Operation`` constants, ``OPERATIONS``
  and ``OperationsMixin`` with one ``async`` method per operation;
- ``secretsmanager_async/_generated/__init__.py``: says so. Nothing hand-written lives there.

The output is deterministic and already formatted the way ``ruff format`` would (line length
100), so ``--check`` can compare bytes. It uses only the standard library.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "codegen" / "model" / "service-2.json"
#: our own words for each parameter and error (see that file)
DESCRIPTIONS = ROOT / "codegen" / "descriptions.py"
PACKAGE = ROOT / "secretsmanager_async"
#: the generated subpackage, inside PACKAGE; only this script writes there
GENERATED = "_generated"
LINE_LENGTH = 100

# Rules the model cannot express: members that must not be given together.
MUTUALLY_EXCLUSIVE: dict[str, list[tuple[str, str]]] = {
    "CreateSecretRequest": [("SecretString", "SecretBinary")],
    "PutSecretValueRequest": [("SecretString", "SecretBinary")],
    "UpdateSecretRequest": [("SecretString", "SecretBinary")],
    "BatchGetSecretValueRequest": [("SecretIdList", "Filters")],
}

# Our own one-line summaries (the model's documentation is not copied).
OPERATION_DOCS: dict[str, str] = {
    "AssociateCrossAccountReplica": "Link this secret to a replica secret in another account.",
    "BatchGetSecretValue": "Fetch the values of up to 20 secrets, named in a list or by filters.",
    "CancelRotateSecret": "Stop a rotation in progress and turn automatic rotation off.",
    "CreateSecret": "Create a secret, optionally with a first value, tags and replicas.",
    "DeleteResourcePolicy": "Remove the resource policy attached to a secret.",
    "DeleteSecret": "Schedule a secret for deletion, or delete it at once when forced.",
    "DescribeSecret": "Fetch a secret's details (not its value).",
    "DisassociateCrossAccountReplica": "Unlink a cross-account replica from this secret.",
    "GetRandomPassword": "Have the service generate a random password.",
    "GetResourcePolicy": "Fetch the resource policy attached to a secret.",
    "GetSecretValue": "Fetch the value of one version of a secret (``AWSCURRENT`` by default).",
    "ListResourcePolicies": "List the resource policies attached to a secret, one page.",
    "ListSecretVersionIds": "List the versions of a secret, one page.",
    "ListSecrets": "List the secrets in the account and region, one page.",
    "PutResourcePolicy": "Attach a resource policy to a secret.",
    "PutSecretValue": "Store a new version of a secret's value.",
    "RemoveRegionsFromReplication": "Delete the replicas of a secret in the given regions.",
    "ReplicateSecretToRegions": "Replicate a secret to more regions.",
    "RestoreSecret": "Cancel the scheduled deletion of a secret.",
    "RotateSecret": "Configure rotation of a secret and/or start one now.",
    "StopReplicationToReplica": "Make a replica a standalone secret (call it in its region).",
    "TagResource": "Add tags to a secret, overwriting tags with the same keys.",
    "UntagResource": "Remove tags from a secret by key.",
    "UpdateSecret": "Change a secret's details, or store a new value.",
    "UpdateSecretVersionStage": "Move a staging label from one version of a secret to another.",
    "ValidateResourcePolicy": "Check a resource policy before attaching it.",
}

SHAPE_DOCS: dict[str, str] = {
    "APIErrorType": "A per-secret failure reported by ``batch_get_secret_value``.",
    "CrossAccountPrimaryType": "The primary secret, in another account, that this one replicates.",
    "CrossAccountReplicaEntry": "A replica of this secret in another account.",
    "ExternalSecretRotationMetadataItem": "A key/value pair for an external rotation partner.",
    "Filter": "A listing filter: a key and up to 10 values.",
    "ReplicaRegionType": "A region to replicate to, with an optional KMS key there.",
    "ReplicationStatusType": "The replication state of a secret in one region.",
    "ResourcePolicySummary": "The name of a resource policy.",
    "RotationRulesType": "When rotation runs: every N days, or on a schedule expression.",
    "SecretListEntry": "A secret's details as listed by ``list_secrets``.",
    "SecretValueEntry": "A secret value returned by ``batch_get_secret_value``.",
    "SecretVersionsListEntry": "A version of a secret as listed by ``list_secret_version_ids``.",
    "Tag": "A key/value label on a secret.",
    "ValidationErrorsEntry": "A problem found by ``validate_resource_policy``.",
}

#: the result of operations without an output shape (defined in _protocol, not generated)
EMPTY_RESPONSE = "EmptyResponse"

HEADER = (
    "GENERATED by codegen/generate.py from codegen/model/service-2.json (API {version}).\n"
    "Do not edit: change the generator and run ``python codegen/generate.py``."
)

# -- names ----------------------------------------------------------------------------------

_FIRST_CAP = re.compile("(.)([A-Z][a-z]+)")
_END_CAP = re.compile("([a-z0-9])([A-Z])")
_PLURAL_ACRONYM = re.compile("[A-Z]{2,}s$")


def xform_name(name: str) -> str:
    """boto3's snake_case rule (botocore.xform_name): SecretIdList -> secret_id_list, ARN -> arn."""
    if "_" in name:
        return name
    special = _PLURAL_ACRONYM.search(name)
    if special is not None:  # GatewayARNs -> gateway_arns
        name = f"{name[: -len(special.group())]}_{special.group().lower()}"
    return _END_CAP.sub(r"\1_\2", _FIRST_CAP.sub(r"\1_\2", name)).lower()


def constant_name(operation: str) -> str:
    return xform_name(operation).upper()


def py_str(text: str) -> str:
    return json.dumps(text)


# -- formatting -----------------------------------------------------------------------------


def bracketed(
    head: str,
    items: list[str],
    tail: str,
    indent: str,
    *,
    is_def: bool = False,
    is_tuple: bool = False,
) -> list[str]:
    """Lines for ``head + items + tail`` split the way ruff format splits brackets.

    ``head`` ends with the opening bracket and ``tail`` starts with the closing one. A tuple,
    once split, has one item per line. Only the shapes of code this generator emits are
    covered; ``ruff format --check`` in the tests keeps this honest.
    """
    flat = f"{indent}{head}{', '.join(items)}{tail}"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    if len(f"{indent}{head}") > LINE_LENGTH and " = " in head:
        # The part before the bracket is already too long: ruff wraps the right-hand side.
        target, value = head.split(" = ", 1)
        inner = f"{indent}    {value}{', '.join(items)}{tail}"
        if len(inner) > LINE_LENGTH:
            raise SystemExit(f"cannot format: {flat.strip()}")
        return [f"{indent}{target} = (", inner, f"{indent})"]
    body = f"{indent}    {', '.join(items)}"
    if len(body) <= LINE_LENGTH and not is_tuple and not (is_def and len(items) == 1):
        return [f"{indent}{head}", body, f"{indent}{tail}"]
    return [f"{indent}{head}", *(f"{indent}    {item}," for item in items), f"{indent}{tail}"]


def import_block(module: str, names: Iterable[str], indent: str = "") -> list[str]:
    """``from module import ...`` as ruff's isort writes it."""
    ordered = sort_names(names)
    flat = f"{indent}from {module} import {', '.join(ordered)}"
    if len(flat) <= LINE_LENGTH:
        return [flat]
    items = (f"{indent}    {name}," for name in ordered)
    return [f"{indent}from {module} import (", *items, f"{indent})"]


def sort_names(names: Iterable[str]) -> list[str]:
    """Import order as ruff's isort applies it (case-insensitive)."""
    return sorted(names, key=lambda name: (name.lower(), name))


def docstring(text: str, indent: str) -> list[str]:
    lines = text.split("\n")
    if len(lines) == 1:
        return [f'{indent}"""{text}"""']
    return [
        f'{indent}"""{lines[0]}',
        *(f"{indent}{line}" if line else "" for line in lines[1:]),
        f'{indent}"""',
    ]


# -- the model ------------------------------------------------------------------------------


class Model:
    """The parts of service-2.json the generator uses."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.version: str = data["metadata"]["apiVersion"]
        self.target_prefix: str = data["metadata"]["targetPrefix"]
        self.shapes: dict[str, dict[str, Any]] = data["shapes"]
        self.operations: dict[str, dict[str, Any]] = dict(sorted(data["operations"].items()))
        self.inputs = {op["input"]["shape"] for op in self.operations.values() if "input" in op}
        self.outputs = {op["output"]["shape"] for op in self.operations.values() if "output" in op}
        #: input shape -> its operation's output model (for ``client.send``'s typing)
        self.response_of = {
            op["input"]["shape"]: op["output"]["shape"] if "output" in op else "EmptyResponse"
            for op in self.operations.values()
            if "input" in op
        }
        # Exception shapes are modeled in exceptions.py, not as data classes.
        self.structures = sorted(
            name
            for name, shape in self.shapes.items()
            if shape["type"] == "structure" and not shape.get("exception")
        )
        self.input_reachable = self._reachable(self.inputs)
        for name in self.structures:
            members = [xform_name(m) for m in self.shapes[name]["members"]]
            if len(set(members)) != len(members) or (
                name in self.outputs and "metadata" in members
            ):
                raise SystemExit(f"{name}: member names collide after snake_casing")
            if name in self.inputs and name in self.outputs:
                raise SystemExit(f"{name}: used as both input and output")

    def _reachable(self, roots: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        todo = list(roots)
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            shape = self.shapes[name]
            if shape["type"] == "structure":
                todo.extend(m["shape"] for m in shape["members"].values())
            elif shape["type"] == "list":
                todo.append(shape["member"]["shape"])
            elif shape["type"] == "map":
                todo.extend((shape["key"]["shape"], shape["value"]["shape"]))
        return seen

    def py_type(self, name: str) -> str:
        shape = self.shapes[name]
        kind = shape["type"]
        if kind == "structure":
            return name
        if kind == "list":
            return f"list[{self.py_type(shape['member']['shape'])}]"
        if kind == "map":
            key = self.py_type(shape["key"]["shape"])
            return f"dict[{key}, {self.py_type(shape['value']['shape'])}]"
        return SCALARS[kind]

    def uses(self, names: Iterable[str], kind: str) -> bool:
        """Whether any shape reachable from ``names`` has type ``kind``."""
        return any(self.shapes[n]["type"] == kind for n in self._reachable(names))


SCALARS = {
    "string": "str",
    "integer": "int",
    "long": "int",
    "boolean": "bool",
    "blob": "bytes",
    "timestamp": "datetime",
    "double": "float",
    "float": "float",
}


def shape_doc(model: Model, name: str) -> str:
    for op_name, op in model.operations.items():
        method = xform_name(op_name)
        if op.get("input", {}).get("shape") == name:
            return f"Parameters of ``{method}``."
        if op.get("output", {}).get("shape") == name:
            return f"Result of ``{method}``; ``metadata`` tells how it was obtained."
    return SHAPE_DOCS.get(name, f"The ``{name}`` structure of the service model.")


# -- models.py and models.pyi ---------------------------------------------------------------


def factory_name(shape: str) -> str:
    return f"_{xform_name(shape)}"


def nested_structures(model: Model, name: str) -> list[str]:
    """The structure shapes named in the annotations of ``name``'s members."""
    found: set[str] = set()
    todo = [ref["shape"] for ref in model.shapes[name]["members"].values()]
    while todo:
        shape_name = todo.pop()
        shape = model.shapes[shape_name]
        if shape["type"] == "structure":
            found.add(shape_name)
        elif shape["type"] == "list":
            todo.append(shape["member"]["shape"])
        elif shape["type"] == "map":
            todo += [shape["key"]["shape"], shape["value"]["shape"]]
    return sorted(found)


def model_body(model: Model, name: str, indent: str, *, stub: bool) -> list[str]:
    """The decorator and class statement of one model (``stub``: as declared to type checkers)."""
    shape = model.shapes[name]
    required = set(shape.get("required", ())) if name in model.input_reachable else set()
    inner = indent + "    "
    decorator = "@attrs.frozen(kw_only=True, slots=True)" if stub else "@_model"
    base = ""
    if name in model.response_of:
        # Request[Output] tells a type checker what client.send(request) returns
        base = f"(Request[{model.response_of[name]}])" if stub else "(Request)"
    out = [f"{indent}{decorator}", f"{indent}class {name}{base}:"]
    doc = shape_doc(model, name)
    if len(f'        """{doc}"""') > LINE_LENGTH:  # too long in a factory: two sentences
        doc = doc.replace("; ``", ".\n\n``", 1)
    out += docstring(doc, inner)
    out.append("")
    for member, ref in shape["members"].items():
        target = model.shapes[ref["shape"]]
        annotation = model.py_type(ref["shape"])
        if member not in required:
            annotation += " | None"
        if stub:
            default = "" if member in required else " = None"
            out.append(f"{inner}{xform_name(member)}: {annotation}{default}")
            continue
        args = [] if member in required else ["default=None"]
        if target.get("sensitive"):
            args.append("repr=False")
        args.append(f"metadata={{WIRE: {py_str(member)}}}")
        out += bracketed(f"{xform_name(member)}: {annotation} = attrs.field(", args, ")", inner)
    if name in model.outputs:
        if stub:
            out.append(f"{inner}metadata: ResponseMetadata = ...")
        else:
            out.append(
                f"{inner}metadata: ResponseMetadata = attrs.field(default=NO_METADATA, eq=False)"
            )
    return out


MODELS_RUNTIME = """

def _model(cls: type) -> type:
    # Defined in a factory, the class must still pickle (and print) as a module-level name.
    cls.__qualname__ = cls.__name__
    return attrs.frozen(kw_only=True, slots=True)(cls)
"""

MODELS_LAZY = """
_lock = threading.RLock()


def __getattr__(name: str) -> type:
    # PEP 562: Python calls this only for names not (yet) in the module's globals, so a model
    # is built once, on first access, and is a plain global lookup after that.
    factory = _FACTORIES.get(name)
    if factory is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    namespace = globals()
    with _lock:  # two threads must not build two different classes for one name
        cls: type | None = namespace.get(name)
        if cls is None:
            cls = namespace[name] = factory()
            # cattrs resolves a model's annotations in this module's globals: the models they
            # name must be there by then (published first, so a cycle would terminate).
            for nested in _NESTED.get(name, ()):
                if nested not in namespace:
                    __getattr__(nested)
    return cls


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
"""


def render_models(model: Model) -> str:
    out = [
        '"""Models of the Secrets Manager API: one frozen attrs class per structure shape.',
        "",
        "Attributes are the shapes' members in snake_case (wire names are kept in each field's",
        "metadata); absent members are None. Members holding secret material stay out of reprs.",
        "",
        "Each class is built on first access (PEP 562 ``__getattr__``), with the models its",
        "annotations name: attrs compiles a class's methods as it builds it, and a call needs two",
        "of the 64 classes. Type checkers read the declarations in ``models.pyi``.",
        "",
        HEADER.format(version=model.version),
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "import threading",
        "from collections.abc import Callable",
    ]
    if model.uses(model.structures, "timestamp"):
        out += ["from datetime import datetime"]
    out += ["", "import attrs", ""]
    out += ["from .._protocol import NO_METADATA, WIRE, Request, ResponseMetadata"]
    # The model names (in __all__ and in annotations) are defined by __getattr__, which ruff
    # does not follow; models.pyi is where they are checked.
    out += ["", "# ruff: noqa: F821, F822", ""]
    out += bracketed("__all__ = [", [py_str(n) for n in model.structures], "]", "")
    out += MODELS_RUNTIME.rstrip("\n").split("\n")
    for name in model.structures:
        out += ["", "", f"def {factory_name(name)}() -> type:"]
        out += model_body(model, name, "    ", stub=False)
        out += ["", f"    return {name}"]
    out += ["", "", "_FACTORIES: dict[str, Callable[[], type]] = {"]
    out += [f"    {py_str(name)}: {factory_name(name)}," for name in model.structures]
    out += ["}", "#: the models named in each model's annotations"]
    out += ["_NESTED: dict[str, tuple[str, ...]] = {"]
    for name in model.structures:
        nested = nested_structures(model, name)
        if nested:
            items = [py_str(n) for n in nested]
            if len(items) == 1:
                items[0] += ","
            out += bracketed(f"{py_str(name)}: (", items, "),", "    ", is_tuple=True)
    out += ["}"]
    out += MODELS_LAZY.rstrip("\n").split("\n")
    return "\n".join(out) + "\n"


def render_models_stub(model: Model) -> str:
    out = [
        '"""The models as type checkers see them; ``models.py`` builds them on first use.',
        "",
        HEADER.format(version=model.version),
        '"""',
        "",
    ]
    if model.uses(model.structures, "timestamp"):
        out += ["from datetime import datetime", ""]
    out += ["import attrs", "", "from .._protocol import EmptyResponse, Request, ResponseMetadata"]
    out += [""]
    out += bracketed("__all__ = [", [py_str(n) for n in model.structures], "]", "")
    for name in model.structures:
        out += [""]
        out += model_body(model, name, "", stub=True)
    return "\n".join(out) + "\n"


# -- validators.py --------------------------------------------------------------------------

VALIDATOR_HELPERS = """

def _fail(field: str, rule: str) -> NoReturn:
    raise ParamValidationError(field, rule)


def _type(field: str, expected: str, value: object) -> NoReturn:
    _fail(field, f"expected {expected} (got {type(value).__name__})")


def _length(
    field: str, n: int, low: int | None, high: int | None, unit: str, *, hide: bool = False
) -> NoReturn:
    # hide: a secret member, whose length is not reported either
    got = "" if hide else f" (got {n})"
    if low is not None and n < low:
        _fail(field, f"length must be at least {low} {unit[:-1] if low == 1 else unit}{got}")
    _fail(field, f"length must be at most {high} {unit}{got}")


def _size(field: str, n: int, low: int | None, high: int | None) -> NoReturn:
    if low is not None and n < low:
        _fail(field, f"at least {low} item{'s' if low != 1 else ''} (got {n})")
    _fail(field, f"at most {high} item{'s' if high != 1 else ''} (got {n})")


def _range(field: str, n: int, low: int | None, high: int | None) -> NoReturn:
    if low is not None and n < low:
        _fail(field, f"must be at least {low}")
    _fail(field, f"must be at most {high}")
"""


def path_expr(template: str) -> str:
    return f'f"{template}"' if "{" in template else py_str(template)


def bounds_test(expr: str, low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"not {low} <= {expr} <= {high}"
    if low is not None:
        return f"{expr} < {low}"
    return f"{expr} > {high}"


def limit_test(expr: str, low: int | None, high: int | None) -> str:
    """A model rule, checked only when ``limits`` (the client's ``parameter_validation``)."""
    return f"limits and {bounds_test(expr, low, high)}"


def validator_name(shape: str) -> str:
    return f"validate_{xform_name(shape)}"


class ValidatorWriter:
    """Emits validator functions. Locals are short (``v3``, ``e0``) so lines stay short."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.lines: list[str] = []

    @staticmethod
    def call(indent: int, func: str, args: list[str]) -> list[str]:
        return bracketed(f"{func}(", args, ")", "    " * indent)

    @staticmethod
    def check(indent: int, condition: str, then: list[str]) -> list[str]:
        return ["    " * indent + f"if {condition}:", *then]

    def value(
        self, indent: int, var: str, shape_name: str, path: str, depth: int, cls: str = ""
    ) -> list[str]:
        """Checks of one value (known not to be None) of shape ``shape_name``.

        ``cls``: a local holding the structure's class, when the caller looked it up once.
        """
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        where = path_expr(path)
        low, high = shape.get("min") or None, shape.get("max")  # a minimum of 0 needs no check
        inner = indent + 1
        out: list[str] = []
        if kind in ("string", "blob"):
            py = "str" if kind == "string" else "bytes"
            fail = self.call(inner, "_type", [where, py_str(py), var])
            out += self.check(indent, f"not isinstance({var}, {py})", fail)
            if low is not None or high is not None:
                unit = py_str("characters" if kind == "string" else "bytes")
                args = [where, f"len({var})", str(low), str(high), unit]
                if shape.get("sensitive"):
                    args.append("hide=True")
                fail = self.call(inner, "_length", args)
                out += self.check(indent, limit_test(f"len({var})", low, high), fail)
        elif kind in ("integer", "long"):
            fail = self.call(inner, "_type", [where, py_str("int"), var])
            out += self.check(
                indent, f"isinstance({var}, bool) or not isinstance({var}, int)", fail
            )
            if low is not None or high is not None:
                fail = self.call(inner, "_range", [where, var, str(low), str(high)])
                out += self.check(indent, limit_test(var, low, high), fail)
        elif kind in ("double", "float"):
            fail = self.call(inner, "_type", [where, py_str("float"), var])
            condition = f"isinstance({var}, bool) or not isinstance({var}, (int, float))"
            out += self.check(indent, condition, fail)
        elif kind == "boolean":
            fail = self.call(inner, "_type", [where, py_str("bool"), var])
            out += self.check(indent, f"not isinstance({var}, bool)", fail)
        elif kind == "timestamp":
            fail = self.call(inner, "_type", [where, py_str("timezone-aware datetime"), var])
            condition = f"not isinstance({var}, datetime) or {var}.tzinfo is None"
            out += self.check(indent, condition, fail)
        elif kind == "list":
            fail = self.call(inner, "_type", [where, py_str("list"), var])
            out += self.check(indent, f"not isinstance({var}, list)", fail)
            if low is not None or high is not None:
                fail = self.call(inner, "_size", [where, f"len({var})", str(low), str(high)])
                out += self.check(indent, limit_test(f"len({var})", low, high), fail)
            # Named after the member (v3 -> v3e0, v3i0): mypy wants one type per local.
            base = var.split("e")[0]
            item, index = f"{base}e{depth}", f"{base}i{depth}"
            element = shape["member"]["shape"]
            element_cls = ""
            if self.model.shapes[element]["type"] == "structure":
                # Once per list, not per item: attribute lookups on the _models module are
                # not specialized by CPython (it has a __getattr__).
                element_cls = f"{base}c{depth}"
                out.append("    " * indent + f"{element_cls} = _models.{element}")
            out.append("    " * indent + f"for {index}, {item} in enumerate({var}):")
            element_path = f"{path}[{{{index}}}]"
            out += self.value(inner, item, element, element_path, depth + 1, element_cls)
        elif kind == "structure":
            fail = self.call(inner, "_type", [where, py_str(shape_name), var])
            # Through the module: the class is built on first use (see models.py).
            cls = cls or f"_models.{shape_name}"
            out += self.check(indent, f"not isinstance({var}, {cls})", fail)
            out += self.call(indent, validator_name(shape_name), [var, where, "limits"])
        else:  # maps: no input shape of this service has one
            raise SystemExit(f"validation of {kind} shapes ({shape_name}) is not implemented")
        return out

    def structure(self, name: str, nested: bool) -> None:
        shape = self.model.shapes[name]
        required = set(shape.get("required", ()))
        params = [f"obj: {name}", "prefix: str"] if nested else [f"obj: {name}"]
        params.append("limits: bool" if nested else "limits: bool = True")
        self.lines += ["", ""]
        self.lines += bracketed(
            f"def {validator_name(name)}(", params, ") -> None:", "", is_def=True
        )
        for first, second in MUTUALLY_EXCLUSIVE.get(name, ()):
            a, b = xform_name(first), xform_name(second)
            fail = self.call(2, "_fail", [py_str(a), py_str(f"cannot be combined with {b}")])
            condition = f"limits and obj.{a} is not None and obj.{b} is not None"
            self.lines += self.check(1, condition, fail)
        for number, (member, ref) in enumerate(shape["members"].items()):
            attr = xform_name(member)
            var = f"v{number}"
            path = f"{{prefix}}.{attr}" if nested else attr
            self.lines.append(f"    {var} = obj.{attr}")
            if member in required:
                fail = self.call(2, "_fail", [path_expr(path), py_str("is required")])
                self.lines += self.check(1, f"{var} is None", fail)
                self.lines += self.value(1, var, ref["shape"], path, 0)
                continue
            body = self.value(2, var, ref["shape"], path, 0)
            head = body[0].strip()
            if head.startswith("if ") and all(line.startswith("         ") for line in body[1:]):
                # A single `if`: merged into the None test (ruff's SIM102).
                condition = head[3:-1]
                if " or " in condition:
                    condition = f"({condition})"
                then = [line[4:] for line in body[1:]]
                self.lines += self.check(1, f"{var} is not None and {condition}", then)
            else:
                self.lines += self.check(1, f"{var} is not None", body)
        if not shape["members"]:
            self.lines.append("    pass")


def render_validators(model: Model) -> str:
    nested = sorted(n for n in model.input_reachable if model.shapes[n]["type"] == "structure")
    nested = [n for n in nested if n not in model.inputs]
    tops = sorted(model.inputs)
    writer = ValidatorWriter(model)
    for name in nested:
        writer.structure(name, nested=True)
    for name in tops:
        writer.structure(name, nested=False)
    out = [
        '"""Input validation: one straight-line function per input structure shape.',
        "",
        "Checks Python types, required members, lengths, numeric ranges and list sizes from the",
        "service model, plus members that must not be combined. Enums and patterns are left to",
        "the service, so values it adds later keep working. With ``limits=False`` (the client's",
        "``parameter_validation=False``) only types and required members are checked, so a",
        "limit the service raises later needs no release. Messages name the field and the rule,",
        "never the value.",
        "",
        HEADER.format(version=model.version),
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if model.uses(model.inputs, "timestamp"):
        out += ["from datetime import datetime"]
    out += ["from typing import TYPE_CHECKING, NoReturn", ""]
    out += ["from ..exceptions import ParamValidationError"]
    if nested:
        out += ["from . import models as _models"]
    out += ["", "if TYPE_CHECKING:"]
    out += import_block(".models", set(nested) | set(tops), "    ")
    out += VALIDATOR_HELPERS.rstrip("\n").split("\n")
    out += writer.lines
    return "\n".join(out) + "\n"


# -- operations.py --------------------------------------------------------------------------


def load_descriptions() -> ModuleType:
    """``codegen/descriptions.py``: our own words for parameters and errors."""
    spec = importlib.util.spec_from_file_location("_descriptions", DESCRIPTIONS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def constraints(model: Model, shape_name: str) -> str:
    """The rules the model states for a value, as a short phrase (``""`` when none)."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    low, high = shape.get("min"), shape.get("max")
    rules = []
    if kind == "string" and "enum" in shape:
        rules.append("one of " + ", ".join(f"``{py_str(v)}``" for v in shape["enum"]))
    unit = {"string": "characters", "blob": "bytes", "list": "items"}.get(kind)
    if unit == "items" and (low, high) == (1, None):
        rules.append("at least one item")
    elif unit and low and high is not None:
        rules.append(f"{low} to {high} {unit}")
    elif unit and high is not None:
        rules.append(f"at most {high} {unit}")
    elif unit and low:
        rules.append(f"at least {low} {unit}")
    elif kind in ("integer", "long") and low is not None and high is not None:
        rules.append(f"{low} to {high}")
    if "pattern" in shape:
        # doubled backslashes: the docstring is a plain (not raw) string literal
        rules.append(f"matching ``{shape['pattern']}``".replace("\\", "\\\\"))
    if kind == "list":
        inner = constraints(model, shape["member"]["shape"])
        if inner:
            rules.append(f"each {inner}")
    return "; ".join(rules)


def method_doc(
    model: Model,
    op_name: str,
    members: list[tuple[str, dict[str, Any]]],
    required: list[str],
    returns: str,
) -> str:
    """A method's docstring (Google style): summary, ``Args``, ``Returns``, ``Raises``.

    The words come from ``codegen/descriptions.py``; types and constraints from the model.
    """
    words = load_descriptions()
    width = LINE_LENGTH - len("        ")  # the docstring's own indent

    def entry(text: str) -> list[str]:
        return textwrap.wrap(
            text, width, initial_indent="    ", subsequent_indent="        ", break_long_words=False
        )

    lines = [OPERATION_DOCS[op_name], "", "Args:"]
    for member, ref in members:
        text = words.OVERRIDES.get(f"{op_name}.{member}") or words.PARAMETERS[member]
        rules = constraints(model, ref["shape"])
        if rules:
            text += f" Rule: {rules}."
        if member in required:
            text += " Required."
        lines += entry(f"{xform_name(member)}: {text}")
    lines += ["", "Returns:", f"    {returns}: the result, with ``metadata``.", "", "Raises:"]
    errors = [e["shape"] for e in model.operations[op_name].get("errors", [])]
    table = {**{e: words.ERRORS[e] for e in errors}, **words.COMMON_ERRORS}
    for name, text in table.items():
        lines += entry(f"{name}: {text}")
    return "\n".join(lines)


def render_operations(model: Model) -> str:
    names: set[str] = set()
    constants: list[str] = []
    methods: list[str] = []
    uses_uuid = False
    for op_name, op in model.operations.items():
        const = constant_name(op_name)
        method = xform_name(op_name)
        in_shape = op["input"]["shape"]
        out_shape = op.get("output", {}).get("shape")
        if out_shape is None:
            out_type = returns = EMPTY_RESPONSE  # hand-written, in _protocol
        else:
            names.add(out_shape)
            out_type, returns = f"_models.{out_shape}", out_shape
        constants += [""]
        constants += [f"{const} = Operation(", f"    name={py_str(op_name)},"]
        constants += [f"    target={py_str(model.target_prefix + '.' + op_name)},"]
        # A lambda: the models are built when the operation is first used, not at import.
        types = [f"_models.{in_shape}", out_type]
        constants += bracketed("models=lambda: (", types, "),", "    ", is_tuple=True)
        coders = [
            f"_codecs.encoder({py_str(in_shape)})",
            f"_codecs.decoder({py_str(out_shape or EMPTY_RESPONSE)})",
        ]
        constants += bracketed("codec=lambda: (", coders, "),", "    ", is_tuple=True)
        constants += [f"    validate={validator_name(in_shape)},", ")"]

        shape = model.shapes[in_shape]
        required = shape.get("required", [])
        members = list(shape["members"].items())
        members.sort(key=lambda item: item[0] not in required)  # stable: model order otherwise
        params = ["self", "*"]
        tokens = []
        for member, ref in members:
            attr = xform_name(member)
            annotation = model.py_type(ref["shape"])
            if member in required:
                params.append(f"{attr}: {annotation}")
            else:
                params.append(f"{attr}: {annotation} | None = None")
            if ref.get("idempotencyToken"):
                tokens.append(attr)
        methods += [""]
        methods += bracketed(
            f"async def {method}(", params, f") -> {returns}:", "    ", is_def=True
        )
        methods += docstring(method_doc(model, op_name, members, required, returns), "        ")
        for attr in tokens:
            uses_uuid = True
            # Filled here, once per call: every retry below sends the same token.
            methods += [f"        if {attr} is None:", f"            {attr} = str(uuid.uuid4())"]
        args = [f"{xform_name(m)}={xform_name(m)}" for m, _ in members]
        methods += bracketed(f"params = {const}.build_input(", args, ")", "        ")
        methods.append(f"        return await self._invoke({const}, params)")

    out = [
        '"""The operations of the Secrets Manager API, and the client mixin that calls them.',
        "",
        "Each ``Operation`` constant ties an operation's name and target to its models and input",
        "validator; ``OperationsMixin`` has one keyword-only ``async`` method per operation that",
        "builds the input model and hands it to ``_invoke`` (implemented by the client). Models",
        "are resolved through the ``models`` module, which builds each on first use, when an",
        "operation is first used.",
        "",
        HEADER.format(version=model.version),
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if uses_uuid:
        out.append("import uuid")
    out += ["from typing import TYPE_CHECKING, Any", ""]
    out += [f"from .._protocol import {EMPTY_RESPONSE}, I, O, Operation"]
    out += ["from . import codecs as _codecs", "from . import models as _models"]
    validators = {validator_name(op["input"]["shape"]) for op in model.operations.values()}
    out += import_block(".validators", validators)
    out += ["", "if TYPE_CHECKING:"]  # the models named in annotations
    out += import_block(".models", names | _nested_inputs(model), "    ")
    out += constants
    out += ["", "#: every operation, by its name in the service model"]
    out += bracketed(
        "OPERATIONS: dict[str, Operation[Any, Any]] = {",
        [f"{py_str(o)}: {constant_name(o)}" for o in model.operations],
        "}",
        "",
    )
    out += [
        "",
        "",
        "class OperationsMixin:",
        '    """The API as ``async`` methods; a client class supplies :meth:`_invoke`."""',
        "",
        "    __slots__ = ()",
        "",
        "    async def _invoke(self, operation: Operation[I, O], params: I) -> O:",
        '        """Send ``params`` (built, not yet validated); return the parsed output."""',
        "        raise NotImplementedError",
    ]
    out += methods
    return "\n".join(out) + "\n"


def _nested_inputs(model: Model) -> set[str]:
    """Structure types that appear in method signatures (as nested input)."""
    found: set[str] = set()
    for op in model.operations.values():
        for ref in model.shapes[op["input"]["shape"]]["members"].values():
            shape = model.shapes[ref["shape"]]
            if shape["type"] == "structure":
                found.add(ref["shape"])
            elif (
                shape["type"] == "list"
                and model.shapes[shape["member"]["shape"]]["type"] == "structure"
            ):
                found.add(shape["member"]["shape"])
    return found


# -- codecs.py ------------------------------------------------------------------------------

CODECS_RUNTIME = '''

def encoder(name: str) -> Callable[[Any], dict[str, Any]]:
    """The encoder of the input model ``name``, built on first use."""
    fn = _encoders.get(name)
    if fn is None:
        fn = _encoders[name] = _ENCODER_FACTORIES[name]()
    return fn


def decoder(name: str) -> Callable[..., Any]:
    """The decoder of the output model ``name`` (and of the models in it), built on first use.

    A response's decoder takes ``(data, metadata)``; a nested model's takes ``(data)``.
    """
    fn = _decoders.get(name)
    if fn is None:
        fn = _decoders[name] = _DECODER_FACTORIES[name]()
    return fn
'''

CODECS_EMPTY = """

def _decode_empty_response() -> Callable[..., Any]:
    def decode(o: Any, metadata: ResponseMetadata) -> Any:
        if type(o) is not dict:
            not_a("an object", o)
        return EmptyResponse(metadata=metadata)

    return decode
"""

_SCALAR_CHECK = {
    "string": ("str", "a string"),
    "integer": ("int", "an integer"),
    "long": ("int", "an integer"),
    "boolean": ("bool", "a boolean"),
}
_SCALAR_FROM = {
    "string": "str_from_wire",
    "integer": "int_from_wire",
    "long": "int_from_wire",
    "boolean": "bool_from_wire",
    "timestamp": "timestamp_from_wire",
    "blob": "blob_from_wire",
}


def _reachable_structures(model: Model, roots: Iterable[str]) -> list[str]:
    return sorted(
        n
        for n in model._reachable(roots)
        if model.shapes[n]["type"] == "structure" and not model.shapes[n].get("exception")
    )


def _check_acyclic(model: Model, names: Iterable[str]) -> None:
    # Each codec binds the codecs of its nested models when it is built: a cycle would recurse.
    for name in names:
        if name in model._reachable(nested_structures(model, name)):
            raise SystemExit(f"{name}: recursive shapes are not supported by the codecs")


def _decode_fn(model: Model, shape_name: str) -> str:
    """An expression for a function decoding one (non-null) wire value of ``shape_name``."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        return f"d_{xform_name(shape_name)}"
    if kind == "list":
        member = shape["member"]["shape"]
        if model.shapes[member]["type"] == "string":
            return "str_list_from_wire"
        return f"lambda v: list_from_wire(v, {_decode_fn(model, member)})"
    if kind == "map":
        key, value = (
            _decode_fn(model, shape["key"]["shape"]),
            _decode_fn(model, shape["value"]["shape"]),
        )
        return f"lambda v: dict_from_wire(v, {key}, {value})"
    return _SCALAR_FROM[kind]


def _decode_lines(model: Model, shape_name: str, var: str, indent: str) -> list[str]:
    """Statements checking and converting ``var`` (not None) in place."""
    kind = model.shapes[shape_name]["type"]
    if kind in _SCALAR_CHECK:
        py, expected = _SCALAR_CHECK[kind]
        return [f"{indent}if type({var}) is not {py}:", f'{indent}    not_a("{expected}", {var})']
    if kind == "list" and model.shapes[model.shapes[shape_name]["member"]["shape"]]["type"] == (
        "string"
    ):
        return [f"{indent}str_list_from_wire({var})"]  # checked in place
    if kind == "list":
        member = model.shapes[shape_name]["member"]["shape"]
        return bracketed(f"{var} = list_from_wire(", [var, _decode_fn(model, member)], ")", indent)
    if kind == "map":
        shape = model.shapes[shape_name]
        key = _decode_fn(model, shape["key"]["shape"])
        value = _decode_fn(model, shape["value"]["shape"])
        return bracketed(f"{var} = dict_from_wire(", [var, key, value], ")", indent)
    return [f"{indent}{var} = {_decode_fn(model, shape_name)}({var})"]


def _encode_expr(model: Model, shape_name: str, var: str, depth: int = 0) -> str:
    """An expression for the wire form of ``var`` (not None)."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        return f"e_{xform_name(shape_name)}({var})"
    if kind == "timestamp":
        return f"timestamp_to_wire({var})"
    if kind == "blob":
        return f"blob_to_wire({var})"
    if kind == "list":
        item = f"x{depth}"
        inner = _encode_expr(model, shape["member"]["shape"], item, depth + 1)
        return var if inner == item else f"[{inner} for {item} in {var}]"
    if kind == "map":
        key, item = f"k{depth}", f"x{depth}"
        inner = _encode_expr(model, shape["value"]["shape"], item, depth + 1)
        return var if inner == item else f"{{{key}: {inner} for {key}, {item} in {var}.items()}}"
    return var  # strings, numbers and booleans are their own wire form


def _fit(head: str, expr: str) -> list[str]:
    """``head + expr`` as ruff formats it, for the comprehensions the encoders emit."""
    if len(head + expr) <= LINE_LENGTH:
        return [head + expr]
    indent = head[: len(head) - len(head.lstrip())]
    opening, inner, closing = expr[0], expr[1:-1], expr[-1]
    if opening not in "[{" or len(f"{indent}    {inner}") > LINE_LENGTH:
        element, _, clause = inner.partition(" for ")
        return [
            head + opening,
            f"{indent}    {element}",
            f"{indent}    for {clause}",
            indent + closing,
        ]
    return [head + opening, f"{indent}    {inner}", indent + closing]


def _direct_structures(model: Model, shape_name: str) -> list[str]:
    return nested_structures(model, shape_name)


def codec_decoder(model: Model, name: str) -> list[str]:
    shape = model.shapes[name]
    required = set(shape.get("required", ())) if name in model.input_reachable else set()
    top = name in model.outputs
    out = ["", "", f"def _decode_{xform_name(name)}() -> Callable[..., Any]:"]
    out += [f"    cls = _models.{name}", "    draft = draft_class(cls)", "    new = object.__new__"]
    fields = [xform_name(m) for m in shape["members"]] + (["metadata"] if top else [])
    for nested in _direct_structures(model, name):
        out.append(f'    d_{xform_name(nested)} = decoder("{nested}")')
    out.append("")
    signature = "o: Any, metadata: ResponseMetadata" if top else "o: Any"
    out.append(f"    def decode({signature}) -> Any:")
    out += ["        if type(o) is not dict:", '            not_a("an object", o)']
    args = []
    for member, ref in shape["members"].items():
        var = f"v_{xform_name(member)}"
        if member in required:
            out.append(f"        {var} = o[{py_str(member)}]")
            out += _decode_lines(model, ref["shape"], var, "        ")
        else:
            out.append(f"        {var} = o.get({py_str(member)})")
            body = _decode_lines(model, ref["shape"], var, "            ")
            if len(body) == 2 and body[0].strip().startswith("if "):
                # a scalar check: one condition instead of two nested ones
                cond = body[0].strip()[3:-1]
                line = f"        if {var} is not None and {cond}:"
                if len(line) <= LINE_LENGTH:
                    out.append(line)
                else:  # as ruff format splits it
                    out += ["        if (", f"            {var} is not None"]
                    out += [f"            and {cond}", "        ):"]
                out.append(body[1][4:])
            else:
                out += [f"        if {var} is not None:", *body]
        args.append(f"{xform_name(member)}={var}")
    if top:
        args.append("metadata=metadata")
    # built as a draft turned into cls (see draft_class): the same model as cls(...), for a
    # fraction of the cost
    out.append("        model = new(draft)")
    out += [
        f"        model.{field} = {arg.split('=', 1)[1]}"
        for field, arg in zip(fields, args, strict=True)
    ]
    out += ["        model.__class__ = cls", "        return model"]
    out += ["", "    return decode"]
    return out


def codec_encoder(model: Model, name: str) -> list[str]:
    shape = model.shapes[name]
    required = set(shape.get("required", ()))
    out = ["", "", f"def _encode_{xform_name(name)}() -> Callable[[Any], dict[str, Any]]:"]
    for nested in _direct_structures(model, name):
        out.append(f'    e_{xform_name(nested)} = encoder("{nested}")')
    if _direct_structures(model, name):
        out.append("")
    out.append("    def encode(p: Any) -> dict[str, Any]:")
    out.append("        d: dict[str, Any] = {}")
    # required members first, then the optional ones that are set: the order cattrs writes
    members = sorted(shape["members"].items(), key=lambda item: item[0] not in required)
    for member, ref in members:
        attr = f"p.{xform_name(member)}"
        if member in required:
            out += _fit(f"        d[{py_str(member)}] = ", _encode_expr(model, ref["shape"], attr))
        else:
            var = f"v_{xform_name(member)}"
            out += [f"        {var} = {attr}", f"        if {var} is not None:"]
            out += _fit(
                f"            d[{py_str(member)}] = ", _encode_expr(model, ref["shape"], var)
            )
    out += ["        return d", "", "    return encode"]
    return out


def render_codecs(model: Model) -> str:
    decoded = _reachable_structures(model, model.outputs)
    encoded = _reachable_structures(model, model.inputs)
    _check_acyclic(model, decoded + encoded)
    out = [
        '"""The wire mapping of every model, as plain functions: no cattrs at run time.',
        "",
        "One encoder per input model (model -> JSON-ready dict, ``None`` members omitted) and one",
        "decoder per output model (decoded JSON -> model, strict about JSON types, unknown keys",
        "ignored), with the same results and failures as the cattrs converter in",
        "``_protocol.converters``, which the tests hold them to and which still explains a failed",
        "decode. Each is built on first use, with the models it needs.",
        "",
        HEADER.format(version=model.version),
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from collections.abc import Callable",
        "from typing import Any",
        "",
    ]
    helpers = [
        "ResponseMetadata",
        "blob_from_wire",
        "blob_to_wire",
        "bool_from_wire",
        "dict_from_wire",
        "draft_class",
        "int_from_wire",
        "list_from_wire",
        "not_a",
        "str_from_wire",
        "str_list_from_wire",
        "timestamp_from_wire",
        "timestamp_to_wire",
    ]
    body: list[str] = []
    for name in encoded:
        body += codec_encoder(model, name)
    for name in decoded:
        body += codec_decoder(model, name)
    body += CODECS_EMPTY.rstrip("\n").split("\n")
    text = "\n".join(body)
    used = [h for h in helpers if re.search(rf"\b{h}\b", text)]
    scalars = [h for h in used if h != "ResponseMetadata"]
    out += [f"from .._protocol import {EMPTY_RESPONSE}, ResponseMetadata"]
    out += import_block(".._protocol.scalars", scalars)
    out += ["from . import models as _models"]
    out += CODECS_RUNTIME.rstrip("\n").split("\n")
    out += body
    out += [
        "",
        "",
        "_ENCODER_FACTORIES: dict[str, Callable[[], Callable[[Any], dict[str, Any]]]] = {",
    ]
    out += [f"    {py_str(n)}: _encode_{xform_name(n)}," for n in encoded]
    out += ["}", "_DECODER_FACTORIES: dict[str, Callable[[], Callable[..., Any]]] = {"]
    out += [f"    {py_str(n)}: _decode_{xform_name(n)}," for n in decoded]
    out += [f"    {py_str(EMPTY_RESPONSE)}: _decode_empty_response,"]
    out += ["}", "_encoders: dict[str, Callable[[Any], dict[str, Any]]] = {}"]
    out += ["_decoders: dict[str, Callable[..., Any]] = {}"]
    return "\n".join(out) + "\n"


# -- __init__.py ----------------------------------------------------------------------------


def render_init(model: Model) -> str:
    return "\n".join(
        [
            '"""Code generated from the service model: models, validators and operations.',
            "",
            "Nothing here is written by hand; the hand-written protocol is in ``_protocol``.",
            "",
            HEADER.format(version=model.version),
            '"""',
            "",
        ]
    )


# -- main -----------------------------------------------------------------------------------


def render_all(model_path: Path = MODEL) -> dict[Path, str]:
    """Every generated file, by path, as the generator would write it."""
    model = Model(json.loads(model_path.read_text(encoding="utf-8")))
    out = PACKAGE / GENERATED
    return {
        out / "__init__.py": render_init(model),
        out / "models.py": render_models(model),
        out / "models.pyi": render_models_stub(model),
        out / "validators.py": render_validators(model),
        out / "operations.py": render_operations(model),
        out / "codecs.py": render_codecs(model),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if generated files are stale")
    args = parser.parse_args(argv)
    stale = []
    for path, text in render_all().items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not args.check:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("stale generated files:", *stale, sep="\n  ", file=sys.stderr)
        print("run: python codegen/generate.py", file=sys.stderr)
        return 1
    for path in stale:
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
