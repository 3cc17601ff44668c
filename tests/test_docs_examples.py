"""Every code block of README.md and docs/ runs: Python executed, shell commands checked.

A block is a complete program unless the line before its fence is a marker:

- ``<!-- fragment -->``: a piece of a program (it uses a ``client`` from the text around it);
  only compiled;
- ``<!-- tested-by: tests/... -->``: run as written by that test file, which reads this file;
- ``<!-- run: NAME -->``: executed, then driven by the harness NAME below (a web app is
  started and asked for a page, a Lambda handler is invoked, a test file is run by pytest).

Python programs run against moto's server on 127.0.0.1, reached through the standard
``AWS_*`` variables, with the secrets the pages use (``prod/db``, ``prod/api-key``) in place.
Shell blocks are checked without running anything that could reach the network: every
``secretsmanager-async`` command line must parse, every extra and nox session named must
exist, every other program must be one the pages are expected to name.
"""

from __future__ import annotations

import asyncio
import configparser
import doctest
import json
import logging
import os
import re
import shlex
import subprocess
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from secretsmanager_async._cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(
    r"^(?P<indent> *)```(?P<lang>[\w-]*)\n(?P<body>.*?)^(?P=indent)```$", re.M | re.S
)
MARKER = re.compile(r"<!-- (fragment|tested-by: (\S+)|run: (\w+)) -->")
SHELL = {"", "shell", "console", "bash", "sh"}
#: sample output (log lines, tables): shown, nothing to run or check
OUTPUT = {"text"}

#: the secrets the pages read, as the harness puts them in moto before each program
SEEDS = {
    "prod/db": json.dumps(
        {"username": "app", "password": "pw-1", "host": "db.internal", "port": 5432}
    ),
    "prod/api-key": "key-1",
    "prod/db/password": "pw-1",
}


class Block(NamedTuple):
    """One fenced code block and the marker before it."""

    source: Path
    line: int
    lang: str
    code: str
    kind: str  # "program", "fragment", "tested-by", "run"
    arg: str | None

    @property
    def id(self) -> str:
        return f"{self.source.relative_to(ROOT)}:{self.line}"


def _blocks() -> list[Block]:
    found = []
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        for match in FENCE.finditer(text):
            before = text[: match.start()].rstrip().rsplit("\n", 1)[-1].strip()
            marker = MARKER.fullmatch(before)
            kind, arg = "program", None
            if marker is not None:
                kind = marker.group(1).split(":")[0]
                arg = marker.group(2) or marker.group(3)
            code = textwrap.dedent(
                "\n".join(
                    line[len(match["indent"]) :] if line.strip() else ""
                    for line in match["body"].split("\n")
                )
            )
            line = text.count("\n", 0, match.start()) + 1
            found.append(Block(source, line, match["lang"], code, kind, arg))
    return found


BLOCKS = _blocks()
PYTHON = [b for b in BLOCKS if b.lang == "python"]
EXECUTED = [b for b in PYTHON if b.kind in ("program", "run")]


# -- the environment of a program -----------------------------------------------------------


@pytest.fixture
def aws_env(moto_url: str, boto3_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The pages' secrets in moto; the standard variables point the client there."""
    for name, value in SEEDS.items():
        try:
            boto3_client.create_secret(Name=name, SecretString=value)
        except boto3_client.exceptions.ResourceExistsException:
            boto3_client.put_secret_value(SecretId=name, SecretString=value)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # boto3's name (migration pages)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret-key")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "test-session-token")  # as in Lambda (agent token)
    levels = {name: logging.getLogger(name).level for name in ("", "secretsmanager_async")}
    yield
    for name, level in levels.items():  # a page may configure logging; keep tests unaffected
        logging.getLogger(name).setLevel(level)


def _execute(block: Block) -> dict[str, Any]:
    """Run the block as a module of its own, as ``python example.py`` would (not as __main__)."""
    module = types.ModuleType("docs_example")
    sys.modules[module.__name__] = module  # dataclasses and pickling look a module up there
    try:
        exec(compile(block.code, block.id, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def _close_sync_objects(namespace: dict[str, Any]) -> None:
    """Close the module-level sync clients and caches a page creates (as process exit would)."""
    from secretsmanager_async import sync

    objects = list(namespace.values())
    for value in objects:  # caches first: closing one needs its client open
        if isinstance(value, sync.SecretCache):
            value.close()
    for value in objects:
        if isinstance(value, sync.SecretsManagerClient):
            value.close()


# -- harnesses for blocks that define an app or a handler -----------------------------------


def _run_fastapi(block: Block, request: pytest.FixtureRequest) -> None:
    from fastapi.testclient import TestClient

    app = _execute(block)["app"]
    for _ in range(2):  # a second start in a new event loop works too
        with TestClient(app) as http:
            response = http.get("/orders")
            assert response.status_code == 200, response.text
            assert response.json() == {"have_password": True}


def _run_aiohttp(block: Block, request: pytest.FixtureRequest) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    create_app = _execute(block)["create_app"]

    async def serve() -> None:
        async with TestClient(TestServer(create_app())) as http:
            response = await http.get("/health")
            assert response.status == 200
            assert await response.text() == "ok"

    for _ in range(2):
        asyncio.run(serve())


def _run_flask(block: Block, request: pytest.FixtureRequest) -> None:
    namespace = _execute(block)
    try:
        response = namespace["app"].test_client().get("/orders")
        assert response.status_code == 200
        assert response.get_json() == {"db": "connected"}
    finally:
        _close_sync_objects(namespace)


def _run_lambda(block: Block, request: pytest.FixtureRequest) -> None:
    namespace = _execute(block)
    try:
        for _ in range(2):  # a warm environment reuses the client and the cache
            result = namespace["handler"]({}, None)
            if "body" in result:  # an API Gateway response
                assert result["statusCode"] == 200
                result = json.loads(result["body"])
            assert list(result.values()) == [True], result
    finally:
        _close_sync_objects(namespace)


def _run_pytest(block: Block, request: pytest.FixtureRequest) -> None:
    """A test file of its own, run by pytest with the plugin installed (strict asyncio mode)."""
    pytester: pytest.Pytester = request.getfixturevalue("pytester")
    pytester.makepyfile(test_example=block.code)
    result = pytester.runpytest(
        "-p", "no:randomly", "-o", "asyncio_default_fixture_loop_scope=function"
    )
    result.assert_outcomes(passed=1)


def _run_script(block: Block, request: pytest.FixtureRequest) -> None:
    """In a fresh interpreter (moto's mock_aws owns the process's moto state), with no endpoint
    variable: the program is about moto in-process."""
    tmp_path: Path = request.getfixturevalue("tmp_path")
    script = tmp_path / "example.py"
    script.write_text(block.code)
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    subprocess.run([sys.executable, str(script)], check=True, timeout=120, cwd=tmp_path, env=env)


HARNESSES: dict[str, Callable[[Block, pytest.FixtureRequest], None]] = {
    "fastapi": _run_fastapi,
    "aiohttp": _run_aiohttp,
    "flask": _run_flask,
    "lambda": _run_lambda,
    "pytest": _run_pytest,
    "script": _run_script,
}


# -- the tests ------------------------------------------------------------------------------


@pytest.mark.usefixtures("aws_env")
@pytest.mark.parametrize("block", EXECUTED, ids=lambda b: b.id)
def test_python_example_runs(block: Block, request: pytest.FixtureRequest) -> None:
    """A complete program runs as written against the local endpoint (or its harness drives it)."""
    if block.kind == "run":
        HARNESSES[block.arg or ""](block, request)
    else:
        _close_sync_objects(_execute(block))


@pytest.mark.parametrize("block", [b for b in PYTHON if b.kind == "fragment"], ids=lambda b: b.id)
def test_python_fragment_compiles(block: Block) -> None:
    """A marked fragment is valid Python (top-level await allowed, as in an async REPL)."""
    import ast

    compile(block.code, block.id, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.kind == "tested-by"], ids=lambda b: b.id)
def test_tested_by_names_a_test_that_reads_the_block(block: Block) -> None:
    """The test file named by the marker exists and reads this block's file."""
    test_file = ROOT / (block.arg or "")
    assert test_file.is_file(), block.arg
    assert block.source.name in test_file.read_text()


def test_every_block_is_checked() -> None:
    """Each block has a language this module knows how to check, and markers are well-formed."""
    known = {"python", "pycon", "ini", *SHELL, *OUTPUT}
    assert {b.lang for b in BLOCKS} <= known
    for block in BLOCKS:
        assert block.kind != "run" or block.arg in HARNESSES, block.id
    assert len(EXECUTED) >= 30


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "pycon"], ids=lambda b: b.id)
def test_pycon_blocks(block: Block) -> None:
    """A ``>>>`` session gives the output shown, with ``client`` a fresh client."""
    from secretsmanager_async import SecretsManagerClient

    globs = {"client": SecretsManagerClient(region="us-east-1")}
    test = doctest.DocTestParser().get_doctest(block.code, globs, block.id, str(block.source), 0)
    runner = doctest.DocTestRunner()
    runner.run(test)
    assert runner.failures == 0


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang == "ini"], ids=lambda b: b.id)
def test_ini_blocks_parse(block: Block) -> None:
    """A shared-config example is a valid config file."""
    configparser.ConfigParser().read_string(block.code)


# -- shell ----------------------------------------------------------------------------------

EXTRAS = set(
    re.findall(
        r"^(\w+) = \[",
        (ROOT / "pyproject.toml")
        .read_text()
        .split("[project.optional-dependencies]")[1]
        .split("\n[")[0],
        re.M,
    )
)
NOX_SESSIONS = set(re.findall(r"^def (\w+)\(session", (ROOT / "noxfile.py").read_text(), re.M))
#: programs the pages may name besides ours, python, pip and nox
OTHER_PROGRAMS = {"export", "printf", "set", ".", "source", "eval", "uvicorn", "aws", "cat"}
OPERATORS = {"&&", "||", "|", ";", "&", "(", ")"}
REDIRECTS = {">", ">>", "<", "2>"}


def _commands(block: Block) -> list[str]:
    """The command lines of a block: ``$`` lines of a console block, all lines otherwise."""
    lines = block.code.splitlines()
    if block.lang == "console":
        kept, more = [], False
        for line in lines:
            if line.startswith("$ ") or more:
                kept.append(line[2:] if line.startswith("$ ") else line)
                more = line.endswith("\\")
        lines = kept
    return [c for c in "\n".join(lines).replace("\\\n", " ").split("\n") if c.strip()]


def _check_cli(argv: list[str]) -> None:
    parser = build_parser()
    if "--help" in argv or "-h" in argv:
        return  # prints help and exits 0; the subcommand before it must exist
    try:
        parser.parse_args(argv)
    except SystemExit as exit:
        raise AssertionError(f"secretsmanager-async {shlex.join(argv)}: usage error") from exit


def _check_command(argv: list[str]) -> None:
    for token in argv:  # command substitutions inside arguments are commands too
        for inner in re.findall(r"\$\((.*)\)", token):
            _check_line(inner)
    name = argv[0]
    if name == "secretsmanager-async":
        _check_cli(argv[1:])
    elif name in ("python", "python3"):
        assert argv[1] == "-m", argv
        module, rest = argv[2], argv[3:]
        if module == "secretsmanager_async":
            _check_cli(rest)
        elif module == "pip":
            _check_pip(rest)
        else:
            assert module in {"venv", "pytest", "build", "moto.server"}, module
    elif name == "pip":
        _check_pip(argv[1:])
    elif name == "nox":
        sessions = [argv[i + 1] for i, a in enumerate(argv) if a == "-s"]
        assert set(sessions) <= NOX_SESSIONS, sessions
    else:
        assert name in OTHER_PROGRAMS, name


def _check_pip(argv: list[str]) -> None:
    assert argv[0] == "install", argv
    for token in argv[1:]:
        extras = re.fullmatch(r"(?:\.|secretsmanager-async)\[([\w,]+)\]", token)
        if extras:
            assert set(extras.group(1).split(",")) <= EXTRAS, token
        elif token == "secretsmanager-async":
            raise AssertionError("the project is not published: install from a checkout")


def _check_line(line: str) -> None:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    segment: list[str] = []
    skip = False
    for token in [*tokens, ";"]:
        if skip:
            skip = False
        elif token in REDIRECTS:
            skip = True  # the file name after a redirection
        elif token in OPERATORS:
            if segment:
                _check_command(segment)
            segment = []
        else:
            segment.append(token)


@pytest.mark.parametrize("block", [b for b in BLOCKS if b.lang in SHELL], ids=lambda b: b.id)
def test_shell_block_commands_are_valid(block: Block) -> None:
    """Every command of the block names a real subcommand, option, extra or nox session."""
    commands = _commands(block)
    assert commands, block.id
    for line in commands:
        _check_line(line)


def test_the_shell_check_catches_mistakes() -> None:
    """A wrong subcommand, option, extra or session fails the check."""
    for line in (
        "secretsmanager-async fetch prod/db",
        "secretsmanager-async get prod/db --no-such-option",
        'python -m pip install -e ".[nope]"',
        "nox -s nope",
        "curl https://example.com",
        "pip install secretsmanager-async",
        'eval "$(secretsmanager-async get-many --format nope)"',
    ):
        with pytest.raises(AssertionError):
            _check_line(line)
