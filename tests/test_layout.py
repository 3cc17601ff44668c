"""The package layout rules of ARCHITECTURE.md, read from the source with ``ast``."""

from __future__ import annotations

import ast
import functools
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import secretsmanager_async

PACKAGE = Path(secretsmanager_async.__file__).parent
NAME = "secretsmanager_async"
#: the public add-ons: the core never imports them (they may import the core)
ADD_ONS = ("testing", "telemetry", "rotation", "sync", "settings")
#: third-party packages any module may import when it is imported: the runtime dependencies
#: and the packages aiohttp's own types come from
RUNTIME = frozenset({"aiohttp", "attr", "attrs", "cattrs", "multidict", "yarl"})
#: modules only their host loads (a pytest plugin is imported by pytest, never by the package)
HOSTED = {f"{NAME}.testing.pytest_plugin": frozenset({"pytest", "_pytest"})}


def _modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name, with its path and whether it is a package."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        found[".".join(parts)] = (path, is_package)
    return found


MODULES = _modules(PACKAGE)


class Import:
    """One import statement's target, as seen from the importing module."""

    def __init__(self, target: str, names: list[str], lazy: bool, type_only: bool) -> None:
        self.target = target  # absolute module name
        self.names = names  # names taken from it ('from X import a, b'); [] for 'import X'
        self.lazy = lazy  # inside a function: runs when called, not at import
        self.type_only = type_only  # under 'if TYPE_CHECKING:'


def _imports(module: str) -> tuple[Import, ...]:
    return _parsed(module)


@functools.cache
def _parsed(module: str) -> tuple[Import, ...]:
    return tuple(_read(module))


def _read(module: str) -> Iterator[Import]:
    path, is_package = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module.split(".") if is_package else module.split(".")[:-1]

    def visit(node: ast.AST, lazy: bool, type_only: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    yield Import(alias.name, [], lazy, type_only)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = here[: len(here) - child.level + 1]
                    target = ".".join(base + ([child.module] if child.module else []))
                else:
                    target = child.module or ""
                names = [alias.name for alias in child.names]
                # 'from . import x' imports the submodule x when there is one
                submodules = [n for n in names if f"{target}.{n}" in MODULES]
                for sub in submodules:
                    yield Import(f"{target}.{sub}", [], lazy, type_only)
                rest = [n for n in names if n not in submodules]
                if rest:
                    yield Import(target, rest, lazy, type_only)
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                yield from visit(child, True, type_only)
            elif isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from visit(child, lazy, True)
            else:
                yield from visit(child, lazy, type_only)

    yield from visit(tree, False, False)


def _owner(target: str) -> str | None:
    """The package module an import lands in (the deepest existing one), or None if foreign."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module in MODULES:
        for imp in _imports(module):
            owner = _owner(imp.target)
            if owner is not None and owner != module:
                graph[module].add(owner)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph)))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return found


def test_the_import_graph_is_read() -> None:
    """The graph sees the edges it must judge: lazy, TYPE_CHECKING and 'from . import' ones."""
    graph = _graph()
    assert f"{NAME}._generated.models" in graph[NAME]  # 'from ._generated import models'
    assert f"{NAME}._protocol.converters" in graph[f"{NAME}._protocol.operation"]  # lazy
    assert f"{NAME}._generated.models" in graph[f"{NAME}._bulk"]  # TYPE_CHECKING only
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_loops() -> None:
    """No two modules of the package import each other, directly or around a loop."""
    assert _cycles(_graph()) == []


def _stage_exports(module: str) -> set[str]:
    path, _ = MODULES[module]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def test_stages_keep_their_internals() -> None:
    """Outside _middleware, code imports from a stage module only what its __all__ offers."""
    middleware = f"{NAME}._middleware"
    stages = [m for m in MODULES if m.startswith(middleware + ".")]
    assert stages and all(_stage_exports(m) for m in stages), "every stage module has __all__"
    leaks = []
    for module in MODULES:
        if module == middleware or module.startswith(middleware + "."):
            continue
        for imp in _imports(module):
            if imp.target in stages:
                extra = set(imp.names) - _stage_exports(imp.target) if imp.names else {"*"}
                leaks += [f"{module} imports {imp.target}.{n}" for n in sorted(extra)]
    assert leaks == []


def test_the_core_never_imports_an_add_on() -> None:
    """No module outside an add-on imports secretsmanager_async.testing/telemetry/rotation/sync."""
    add_ons = [f"{NAME}.{a}" for a in ADD_ONS]

    def inside(module: str, package: str) -> bool:
        return module == package or module.startswith(package + ".")

    offenders = [
        f"{module} -> {imp.target}"
        for module in MODULES
        if not any(inside(module, a) for a in add_ons)
        for imp in _imports(module)
        if any(inside(imp.target, a) for a in add_ons)
        or (imp.target == NAME and set(imp.names) & set(ADD_ONS))
    ]
    assert offenders == []


def test_importing_a_module_needs_only_the_runtime_dependencies() -> None:
    """Module-level imports (add-ons included) are stdlib, the package, or the runtime deps.

    Optional dependencies (moto, aiobotocore, opentelemetry, ...) are imported inside the
    function that needs them, so importing any module works on a plain install.
    """
    offenders = []
    for module in MODULES:
        for imp in _imports(module):
            if imp.lazy or imp.type_only:
                continue
            top = imp.target.partition(".")[0]
            if top in (NAME, "__future__") or top in sys.stdlib_module_names or top in RUNTIME:
                continue
            if top in HOSTED.get(module, ()):
                continue
            offenders.append(f"{module} imports {imp.target}")
    graph = _graph()
    offenders += [f"{m} imports {h}" for m in graph for h in HOSTED if h in graph[m]]
    assert offenders == []


def test_generated_folder_holds_only_generated_code() -> None:
    """_generated/ contains exactly the files codegen/generate.py writes, nothing by hand."""
    root = PACKAGE.parent
    spec = importlib.util.spec_from_file_location("_gen", root / "codegen" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    written = {p.name for p in generate.render_all()}
    folder = PACKAGE / "_generated"
    present = {p.name for p in folder.iterdir() if p.is_file()}
    assert present == written


def test_console_script_resolves() -> None:
    """The installed ``secretsmanager-async`` entry point loads the CLI's main function."""
    from importlib.metadata import entry_points

    from secretsmanager_async._cli import main

    (script,) = entry_points(group="console_scripts", name="secretsmanager-async")
    assert script.value == "secretsmanager_async._cli:main"
    assert script.load() is main
