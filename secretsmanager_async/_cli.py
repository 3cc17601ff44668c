"""The ``secretsmanager-async`` command line.

Subcommands map onto the library's main jobs: read one or many values, list and describe
secrets, write them, inject them into a process's environment (``exec``), and ``demo``, which
runs the whole thing against an embedded local endpoint.

Rules every subcommand follows:

- values reach stdout only from ``get``, ``get-many`` and (as environment) ``exec``; every
  other output is metadata, and messages never carry values;
- an error prints one line, ``secretsmanager-async: error: CODE: message (request id ...)``, to
  stderr and exits non-zero; ``--debug`` adds the traceback and the library's debug log;
- exit codes: 0 success, 1 error, 2 bad usage, 130 interrupted; ``exec`` exits with the
  command's own status (127 when the command is not found, 126 when it cannot run).

Heavy imports (the client, aiohttp, moto) happen inside the subcommands so ``--help`` and
argument errors stay fast.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import datetime as dt
import json
import os
import re
import shlex
import sys
import time
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Iterator, Sequence
from typing import IO, TYPE_CHECKING, Any

from ._version import __version__

if TYPE_CHECKING:
    from ._client import SecretsManagerClient
    from ._models import Filter, SecretListEntry

PROG = "secretsmanager-async"

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_CANNOT_RUN = 126
EXIT_NOT_FOUND = 127
EXIT_INTERRUPTED = 130

#: ListSecrets filter keys, as typed on the command line (the service's own spelling)
FILTER_KEYS = (
    "description",
    "name",
    "tag-key",
    "tag-value",
    "primary-region",
    "owning-service",
    "all",
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# .env values that need no quoting: what dotenv parsers and shells read back unchanged
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_@%+=:,./-]*\Z")


class CliError(Exception):
    """A user-facing failure detected by the command line itself (exit code 1)."""


# -- entry point --------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.local and args.endpoint_url:
        parser.error("--local and --endpoint-url are mutually exclusive")
    if args.debug:
        import logging

        logging.basicConfig(
            stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        logging.getLogger("secretsmanager_async").setLevel(logging.DEBUG)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except KeyboardInterrupt:
        sys.stderr.write("\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error worth a message. Point stdout at
        # devnull so the interpreter's final flush does not raise again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:
        if args.debug:
            import traceback

            traceback.print_exc(file=sys.stderr)
        sys.stderr.write(f"{PROG}: error: {describe_error(exc)}\n")
        return EXIT_ERROR


def describe_error(exc: BaseException) -> str:
    """One line naming the error: code, message and (for service errors) the request id."""
    from .exceptions import ServiceError

    if isinstance(exc, ServiceError):
        text = f"{exc.code}: {exc.message}" if exc.message else exc.code
        if exc.request_id:
            text += f" (request id {exc.request_id})"
    elif isinstance(exc, CliError):
        text = str(exc)
    else:
        detail = str(exc)
        text = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return " ".join(text.split())  # one line, whatever the message contained


def _async(
    handler: Callable[[argparse.Namespace], Coroutine[Any, Any, int]],
    *,
    local_by_default: bool = False,
) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        with local_endpoint(args, by_default=local_by_default):
            return asyncio.run(handler(args))

    return run


@contextlib.contextmanager
def local_endpoint(args: argparse.Namespace, *, by_default: bool = False) -> Iterator[None]:
    """With ``--local`` (or ``by_default`` and no ``--endpoint-url``), run the embedded
    endpoint around the command and point ``args`` at it.

    It starts and stops outside the event loop: both block (the stop for up to half a second)
    and nothing else should wait on them.
    """
    if not args.local and not (by_default and args.endpoint_url is None):
        yield
        return
    from ._local import LocalEndpoint

    started = time.perf_counter()
    with LocalEndpoint() as local:
        args.local = True
        args.endpoint_url = local.url
        args.local_start_seconds = time.perf_counter() - started
        yield


# -- the parser ---------------------------------------------------------------------------------


def _add_global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    # The same options are accepted before and after the subcommand; after it they default to
    # SUPPRESS so they do not overwrite what was given before it.
    def default(value: object) -> object:
        return argparse.SUPPRESS if suppress else value

    group = parser.add_argument_group("connection options")
    group.add_argument("--region", default=default(None), help="AWS region (default: from env)")
    group.add_argument("--profile", default=default(None), help="shared config profile")
    group.add_argument(
        "--endpoint-url", default=default(None), metavar="URL", help="custom endpoint URL"
    )
    group.add_argument(
        "--local",
        action="store_true",
        default=default(False),
        help="use an embedded local endpoint (moto, in memory) instead of AWS",
    )
    group.add_argument(
        "--debug",
        action="store_true",
        default=default(False),
        help="log requests and show tracebacks",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, with every subcommand."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="AWS Secrets Manager from the command line (asyncio client).",
        epilog="Try it with no AWS account: %(prog)s demo",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    _add_global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _add_global_options(common, suppress=True)

    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help, description=help, parents=[common])

    p = command("get", "print a secret's value")
    p.add_argument("secret_id", metavar="SECRET_ID", help="name or ARN")
    _add_version_options(p)
    p.add_argument("--json-key", metavar="KEY", help="print one key of a JSON secret")
    p.add_argument(
        "--base64", action="store_true", help="print a binary secret as base64 (default: bytes)"
    )
    p.add_argument("-n", "--no-newline", action="store_true", help="no newline after the value")
    p.set_defaults(run=_async(cmd_get))

    p = command("get-many", "fetch many secrets concurrently")
    p.add_argument("secret_ids", metavar="SECRET_ID", nargs="*", help="names or ARNs")
    _add_filter_option(p, "fetch every secret matching (e.g. name=prod/)")
    p.add_argument(
        "--format",
        choices=("json", "env", "export"),
        default="json",
        help="json object, .env lines or shell export lines (default: json)",
    )
    p.add_argument(
        "--strip-prefix",
        metavar="PREFIX",
        default="",
        help="drop PREFIX from secret names before making variable names (env/export)",
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="print the values that were fetched even if some failed (still exits 1)",
    )
    p.add_argument("--version-stage", metavar="STAGE", help="e.g. AWSPREVIOUS")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=_async(cmd_get_many))

    p = command("list", "list secrets: name, last changed, rotation (never values)")
    _add_filter_option(p, "only secrets matching (e.g. name=prod/, tag-key=team)")
    p.add_argument(
        "--include-deleted", action="store_true", help="include secrets scheduled for deletion"
    )
    p.add_argument("--json", action="store_true", help="JSON lines instead of a table")
    p.set_defaults(run=_async(cmd_list))

    p = command("describe", "show a secret's details (not its value)")
    p.add_argument("secret_id", metavar="SECRET_ID")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_async(cmd_describe))

    p = command("create", "create a secret")
    p.add_argument("name", metavar="NAME")
    _add_value_options(p, required=False)
    p.add_argument("--description")
    p.add_argument("--kms-key-id", metavar="KEY")
    p.add_argument("--tag", action="append", default=[], metavar="KEY=VALUE", help="repeatable")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_async(cmd_create))

    p = command("put", "store a new value for a secret")
    p.add_argument("secret_id", metavar="SECRET_ID")
    _add_value_options(p, required=True)
    p.add_argument(
        "--version-stage", action="append", metavar="STAGE", help="label(s) for the new version"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_async(cmd_put))

    p = command("delete", "delete a secret (scheduled, or at once with --force)")
    p.add_argument("secret_id", metavar="SECRET_ID")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--force", action="store_true", help="delete now, with no recovery window")
    when.add_argument(
        "--recovery-window-days", type=int, metavar="DAYS", help="7 to 30 (service default: 30)"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(run=_async(cmd_delete))

    p = command(
        "exec",
        "run a command with secrets in its environment",
    )
    p.usage = f"{PROG} exec --secret ID[:KEY]=ENV_NAME [--secret ...] -- COMMAND [ARG...]"
    p.add_argument(
        "--secret",
        action="append",
        required=True,
        type=parse_secret_mapping,
        metavar="ID[:KEY]=ENV_NAME",
        help="set ENV_NAME to the secret's value, or to KEY of a JSON secret; repeatable",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARG...]")
    p.set_defaults(run=cmd_exec)

    p = command("demo", "try the library on an embedded local endpoint (no AWS needed)")
    p.add_argument("--count", type=int, default=300, help="secrets to create (default: 300)")
    p.add_argument("--concurrency", type=int, default=64, help="requests in flight (default: 64)")
    p.set_defaults(run=_async(cmd_demo, local_by_default=True))
    return parser


def _add_version_options(p: argparse.ArgumentParser) -> None:
    which = p.add_mutually_exclusive_group()
    which.add_argument("--version-stage", metavar="STAGE", help="e.g. AWSPREVIOUS")
    which.add_argument("--version-id", metavar="ID")


def _add_filter_option(p: argparse.ArgumentParser, help: str) -> None:
    p.add_argument(
        "--filter",
        action="append",
        default=[],
        type=parse_filter,
        metavar="KEY=VALUE",
        help=f"{help}; KEY is one of {', '.join(FILTER_KEYS)}; repeatable",
    )


def _add_value_options(p: argparse.ArgumentParser, *, required: bool) -> None:
    source = p.add_mutually_exclusive_group(required=required)
    source.add_argument(
        "--value", help="the value (visible to other users in `ps`: prefer --value-file)"
    )
    source.add_argument(
        "--value-file", metavar="PATH", help="read the value from PATH ('-' for stdin)"
    )
    p.add_argument(
        "--binary", action="store_true", help="store the file's bytes as a binary secret"
    )


def parse_filter(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` as given to ``--filter``."""
    key, sep, value = text.partition("=")
    if not sep or key not in FILTER_KEYS or not value:
        raise argparse.ArgumentTypeError(
            f"expected KEY=VALUE with KEY one of {', '.join(FILTER_KEYS)}"
        )
    return key, value


def parse_secret_mapping(text: str) -> tuple[str, str | None, str]:
    """``ID[:KEY]=ENV_NAME`` as given to ``exec --secret``: (secret id, JSON key, variable).

    Secret names may contain ``=`` but variable names may not, so the last ``=`` splits.
    Names cannot contain ``:``, so for a name the first ``:`` starts the key; an ARN has six
    colons of its own (``arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME``) before it.
    """
    source, sep, env_name = text.rpartition("=")
    if not sep or not source or not _ENV_NAME.match(env_name):
        raise argparse.ArgumentTypeError(
            "expected ID[:KEY]=ENV_NAME, with ENV_NAME made of letters, digits and _"
        )
    parts = source.split(":", 7) if source.startswith("arn:") else source.split(":", 1)
    colons = 7 if source.startswith("arn:") else 1
    if len(parts) > colons:
        secret_id, key = ":".join(parts[:colons]), parts[colons]
        if not key:
            raise argparse.ArgumentTypeError(f"empty KEY in {text!r}")
        return secret_id, key, env_name
    return source, None, env_name


# -- connecting ---------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def open_client(args: argparse.Namespace) -> AsyncIterator[SecretsManagerClient]:
    """A client for the global options (see :func:`local_endpoint` for ``--local``)."""
    from ._client import SecretsManagerClient

    if args.local:
        settings = local_settings(args, args.endpoint_url)
    else:
        settings = {
            "region": args.region,
            "endpoint_url": args.endpoint_url,
            "profile": args.profile,
        }
    async with SecretsManagerClient(**settings) as client:
        yield client


def local_settings(args: argparse.Namespace, endpoint_url: str) -> dict[str, Any]:
    """Client settings for a local endpoint: nothing taken from the AWS configuration."""
    from ._local import LOCAL_CREDENTIALS, LOCAL_REGION

    return {
        "region": args.region or LOCAL_REGION,
        "endpoint_url": endpoint_url,
        "credentials": LOCAL_CREDENTIALS,
        # AWS_PROFILE may name a profile this machine lacks; "default" may be absent freely.
        "profile": "default",
    }


# -- get ----------------------------------------------------------------------------------------


async def cmd_get(args: argparse.Namespace) -> int:
    """Print one secret's value (or one key of a JSON secret)."""
    async with open_client(args) as client:
        response = await client.get_secret_value(
            secret_id=args.secret_id,
            version_stage=args.version_stage,
            version_id=args.version_id,
        )
    end = "" if args.no_newline else "\n"
    if args.json_key is not None:
        text = json_key(response.secret_string, args.json_key, args.secret_id)
        sys.stdout.write(text + end)
    elif response.secret_string is not None:
        sys.stdout.write(response.secret_string + end)
    elif response.secret_binary is not None:
        if args.base64:
            sys.stdout.write(base64.b64encode(response.secret_binary).decode() + end)
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(response.secret_binary)
    else:
        raise CliError(f"secret {args.secret_id!r} has no value in the requested version")
    sys.stdout.flush()
    return EXIT_OK


def json_key(secret_string: str | None, key: str, secret_id: str) -> str:
    """The value under ``key`` of a JSON-object secret, as text (strings unquoted)."""
    # Messages here name the secret and the key, never any part of the value.
    if secret_string is None:
        raise CliError(f"secret {secret_id!r} is binary; --json-key needs a JSON string secret")
    try:
        data = json.loads(secret_string)
    except ValueError:
        raise CliError(f"secret {secret_id!r} is not JSON") from None
    if not isinstance(data, dict):
        raise CliError(f"secret {secret_id!r} is not a JSON object")
    if key not in data:
        raise CliError(f"secret {secret_id!r} has no key {key!r}")
    value = data[key]
    if isinstance(value, str):
        return value
    return json.dumps(value)


# -- get-many -----------------------------------------------------------------------------------


def _filters(pairs: Iterable[tuple[str, str]]) -> list[Filter] | None:
    from ._models import Filter

    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    return [Filter(key=k, values=v) for k, v in grouped.items()] or None


async def _list_entries(
    client: SecretsManagerClient, filters: list[Filter] | None, include_deleted: bool = False
) -> AsyncIterator[SecretListEntry]:
    async for entry in client.paginate_list_secrets(
        filters=filters, include_planned_deletion=include_deleted or None
    ).items():
        yield entry


async def cmd_get_many(args: argparse.Namespace) -> int:
    """Fetch many values concurrently and print them as JSON, .env or export lines."""
    if not args.secret_ids and not args.filter:
        raise CliError("get-many: give secret ids, or --filter KEY=VALUE")
    async with open_client(args) as client:
        ids = list(dict.fromkeys(args.secret_ids))  # keep order, drop repeats
        if args.filter:
            async for entry in _list_entries(client, _filters(args.filter)):
                if entry.name is not None and entry.name not in ids:
                    ids.append(entry.name)
        if not ids:
            raise CliError("get-many: no secret matches the filter")
        show = not args.no_progress and sys.stderr.isatty()
        progress = Progress(len(ids), sys.stderr, "fetching") if show else None
        values, errors = await fetch_values(client, ids, progress, args.version_stage)
    for secret_id, error in errors.items():
        sys.stderr.write(f"{PROG}: error: {secret_id}: {describe_error(error)}\n")
    if errors and not args.partial:
        return EXIT_ERROR
    out = [(i, values[i]) for i in ids if i in values]
    if args.format == "json":
        data = {
            i: v if isinstance(v, str) else {"binary": base64.b64encode(v).decode()} for i, v in out
        }
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(env_lines(out, args.format == "export", args.strip_prefix))
    sys.stdout.flush()
    return EXIT_ERROR if errors else EXIT_OK


async def fetch_values(
    client: SecretsManagerClient,
    ids: Sequence[str],
    progress: Progress | None,
    version_stage: str | None = None,
) -> tuple[dict[str, str | bytes], dict[str, BaseException]]:
    """Fetch ``ids`` with the bulk API: (id -> value, id -> error)."""
    from ._bulk import BATCH_LIMIT, DEFAULT_MAX_CONCURRENCY, BulkResult

    results: list[BulkResult] = []
    if progress is None:
        results.append(await client.get_secret_values(ids, version_stage=version_stage))
    else:
        # The bulk call reports nothing until it is done, so to move the bar we make the same
        # requests it would (batches of 20, the same number in flight) one batch per call.
        limit = asyncio.Semaphore(DEFAULT_MAX_CONCURRENCY)

        async def batch(chunk: Sequence[str]) -> None:
            async with limit:
                result = await client.get_secret_values(
                    chunk, version_stage=version_stage, max_concurrency=1
                )
            results.append(result)
            progress.update(len(chunk))

        try:
            await asyncio.gather(
                *(batch(ids[i : i + BATCH_LIMIT]) for i in range(0, len(ids), BATCH_LIMIT))
            )
        finally:
            progress.close()
    values: dict[str, str | bytes] = {}
    errors: dict[str, BaseException] = {}
    for result in results:
        for secret_id, entry in result.values.items():
            value = entry.secret_string if entry.secret_string is not None else entry.secret_binary
            if value is None:
                errors[secret_id] = CliError("no value in the current version")
            else:
                values[secret_id] = value
        errors.update(result.errors)
    return values, errors


def env_name(secret_id: str, strip_prefix: str = "") -> str:
    """A variable name for a secret: ``prod/db-password`` -> ``PROD_DB_PASSWORD``."""
    name = secret_id
    if name.startswith("arn:"):
        name = name.split(":", 6)[-1]
    if strip_prefix and name.startswith(strip_prefix):
        name = name[len(strip_prefix) :]
    name = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    if not name or name[0].isdigit():
        name = "_" + name
    return name


def env_lines(items: Sequence[tuple[str, str | bytes]], export: bool, strip_prefix: str) -> str:
    """``NAME=value`` (.env) or ``export NAME='value'`` lines for (secret id, value) pairs."""
    seen: dict[str, str] = {}
    lines = []
    for secret_id, value in items:
        name = env_name(secret_id, strip_prefix)
        if name in seen:
            raise CliError(f"{secret_id!r} and {seen[name]!r} both map to variable {name}")
        seen[name] = secret_id
        if isinstance(value, bytes):
            raise CliError(f"secret {secret_id!r} is binary; env and export need text")
        if export:
            lines.append(f"export {name}={shlex.quote(value)}\n")
        elif _PLAIN_VALUE.match(value):
            lines.append(f"{name}={value}\n")
        else:
            # Double quotes with backslash escapes: the form dotenv readers and docker agree on.
            escaped = (
                value.replace("\\", "\\\\")
                .replace('"', '\\"')
                .replace("$", "\\$")
                .replace("\n", "\\n")
            )
            lines.append(f'{name}="{escaped}"\n')
    return "".join(lines)


class Progress:
    """A one-line progress bar, redrawn in place; for terminals only."""

    def __init__(self, total: int, stream: IO[str], label: str, width: int = 30) -> None:
        self.total = total
        self.done = 0
        self._stream = stream
        self._label = label
        self._width = width
        self._started = time.perf_counter()
        self._draw()

    def update(self, n: int) -> None:
        self.done = min(self.total, self.done + n)
        self._draw()

    def _draw(self) -> None:
        filled = self._width * self.done // max(self.total, 1)
        bar = "#" * filled + "." * (self._width - filled)
        self._stream.write(f"\r{self._label} [{bar}] {self.done}/{self.total}")
        self._stream.flush()

    def close(self) -> None:
        elapsed = time.perf_counter() - self._started
        self._stream.write(f"\r\x1b[K{self._label}: {self.done}/{self.total} in {elapsed:.2f} s\n")
        self._stream.flush()


# -- list / describe / create / put / delete -----------------------------------------------------


async def cmd_list(args: argparse.Namespace) -> int:
    """A table of names, last change and rotation; never values."""
    rows = []
    async with open_client(args) as client:
        async for entry in _list_entries(client, _filters(args.filter), args.include_deleted):
            rows.append(entry)
    if args.json:
        for entry in rows:
            sys.stdout.write(json.dumps(plain(entry)) + "\n")
        return EXIT_OK
    if not rows:
        sys.stderr.write("no secrets found\n")
        return EXIT_OK
    table = [("NAME", "LAST CHANGED", "ROTATION")]
    table += [(e.name or "", _when(e.last_changed_date), _rotation(e)) for e in rows]
    sys.stdout.write(format_table(table))
    return EXIT_OK


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ")


def _rotation(entry: SecretListEntry) -> str:
    if entry.deleted_date is not None:
        return f"scheduled for deletion {_when(entry.deleted_date)}"
    if not entry.rotation_enabled:
        return "off"
    rules = entry.rotation_rules
    if rules is not None and rules.automatically_after_days:
        return f"every {rules.automatically_after_days} days"
    if rules is not None and rules.schedule_expression:
        return rules.schedule_expression
    return "on"


def format_table(rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned columns separated by two spaces."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() + "\n"
        for row in rows
    )


#: model fields that hold secret material; dropped by :func:`plain` whatever the model
_SECRET_FIELDS = frozenset({"secret_string", "secret_binary", "random_password", "rotation_token"})


def plain(value: Any) -> Any:
    """A model as JSON-ready data: no None fields, no metadata and never secret material."""
    import attrs

    if attrs.has(type(value)):
        out = {}
        for field in attrs.fields(type(value)):
            if field.name == "metadata" or field.name in _SECRET_FIELDS:
                continue
            item = getattr(value, field.name)
            if item is not None:
                out[field.name] = plain(item)
        return out
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def print_model(model: Any, as_json: bool) -> None:
    """Print a response's metadata fields, as JSON or as aligned ``key  value`` lines."""
    data = plain(model)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    rows = []
    for key, value in data.items():
        label = key.replace("_", " ")
        if isinstance(value, dict):
            rows.append((label, ""))
            rows += [(f"  {k}", _cell(v)) for k, v in value.items()]
        else:
            rows.append((label, _cell(value)))
    if rows:
        sys.stdout.write(format_table(rows))


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(
            f"{v.get('key')}={v.get('value', '')}"
            if isinstance(v, dict) and "key" in v
            else (_cell(v) if not isinstance(v, dict) else json.dumps(v))
            for v in value
        )
    return str(value)


async def cmd_describe(args: argparse.Namespace) -> int:
    """Print a secret's details (DescribeSecret carries no value)."""
    async with open_client(args) as client:
        response = await client.describe_secret(secret_id=args.secret_id)
    print_model(response, args.json)
    return EXIT_OK


def read_value(args: argparse.Namespace) -> tuple[str | None, bytes | None]:
    """(secret_string, secret_binary) from --value / --value-file / --binary."""
    if args.value is not None:
        if args.binary:
            raise CliError("--binary needs --value-file")
        return args.value, None
    if args.value_file is None:
        return None, None
    if args.value_file == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.value_file, "rb") as f:
            data = f.read()
    if args.binary:
        return None, data
    try:
        return data.decode(), None
    except UnicodeDecodeError:
        raise CliError(f"{args.value_file}: not UTF-8 text; use --binary") from None


async def cmd_create(args: argparse.Namespace) -> int:
    """Create a secret; print its name, ARN and version id."""
    from ._models import Tag

    string, binary = read_value(args)
    tags = []
    for item in args.tag:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--tag expects KEY=VALUE, got {item!r}")
        tags.append(Tag(key=key, value=value))
    async with open_client(args) as client:
        response = await client.create_secret(
            name=args.name,
            secret_string=string,
            secret_binary=binary,
            description=args.description,
            kms_key_id=args.kms_key_id,
            tags=tags or None,
        )
    print_model(response, args.json)
    return EXIT_OK


async def cmd_put(args: argparse.Namespace) -> int:
    """Store a new version; print the version id and its stages."""
    string, binary = read_value(args)
    async with open_client(args) as client:
        response = await client.put_secret_value(
            secret_id=args.secret_id,
            secret_string=string,
            secret_binary=binary,
            version_stages=args.version_stage,
        )
    print_model(response, args.json)
    return EXIT_OK


async def cmd_delete(args: argparse.Namespace) -> int:
    """Schedule deletion (or delete at once with --force); print when."""
    async with open_client(args) as client:
        response = await client.delete_secret(
            secret_id=args.secret_id,
            force_delete_without_recovery=True if args.force else None,
            recovery_window_in_days=args.recovery_window_days,
        )
    print_model(response, args.json)
    return EXIT_OK


# -- exec ---------------------------------------------------------------------------------------


def cmd_exec(args: argparse.Namespace) -> int:
    """Fetch the secrets, put them in the environment and replace this process by COMMAND."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise CliError("exec: no command given; put it after --")
    with local_endpoint(args):
        injected = asyncio.run(_exec_environment(args, args.secret))
    env = dict(os.environ)
    env.update(injected)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvpe(command[0], command, env)  # noqa: S606 - running the user's command is the job
    except FileNotFoundError:
        sys.stderr.write(f"{PROG}: error: exec: command not found: {command[0]}\n")
        return EXIT_NOT_FOUND
    except OSError as e:
        sys.stderr.write(f"{PROG}: error: exec: cannot run {command[0]}: {e.strerror}\n")
        return EXIT_CANNOT_RUN


async def _exec_environment(
    args: argparse.Namespace, mappings: Sequence[tuple[str, str | None, str]]
) -> dict[str, str]:
    ids = list(dict.fromkeys(secret_id for secret_id, _, _ in mappings))
    async with open_client(args) as client:
        values, errors = await fetch_values(client, ids, None)
    if errors:
        secret_id, error = next(iter(errors.items()))
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise CliError(f"{secret_id}: {describe_error(error)}{more}")
    env: dict[str, str] = {}
    for secret_id, key, name in mappings:
        value = values[secret_id]
        if isinstance(value, bytes):
            raise CliError(f"secret {secret_id!r} is binary; exec injects text only")
        env[name] = value if key is None else json_key(value, key, secret_id)
        if "\0" in env[name]:
            raise CliError(f"secret {secret_id!r} contains a NUL byte; cannot be a variable")
    return env


# -- demo ---------------------------------------------------------------------------------------


async def cmd_demo(args: argparse.Namespace) -> int:
    """Create, bulk-fetch and cache-read a few hundred secrets on a local endpoint; time it.

    The endpoint is the embedded one unless ``--endpoint-url`` names another: the demo never
    falls back to a real AWS account. Values are random and never printed.
    """
    if args.count < 1 or args.concurrency < 1:
        raise CliError("demo: --count and --concurrency must be at least 1")
    t0 = time.perf_counter()
    steps: list[tuple[str, int | None, float]] = []
    if args.local:
        steps.append(("start the local endpoint (moto)", None, args.local_start_seconds))
    steps += await _demo_steps(args, args.endpoint_url)
    total = time.perf_counter() - t0 + (args.local_start_seconds if args.local else 0.0)
    _print_demo(steps, total, args.endpoint_url, args.local)
    return EXIT_OK


def _print_demo(
    steps: Sequence[tuple[str, int | None, float]], total: float, endpoint: str, local: bool
) -> None:
    rows = [("STEP", "SECRETS", "TIME", "RATE")]
    for label, items, seconds in steps:
        rate = f"{items / seconds:,.0f}/s" if items and seconds > 0 else ""
        count = "" if items is None else str(items)
        rows.append((label, count, f"{seconds * 1000:,.1f} ms", rate))
    rows.append(("total", "", f"{total * 1000:,.1f} ms", ""))
    sys.stdout.write(format_table(rows))
    where = "embedded, in memory, gone on exit" if local else "as given"
    sys.stdout.write(f"\nAll values checked. Endpoint: {endpoint} ({where}).\n")
    sys.stdout.flush()


async def _demo_steps(args: argparse.Namespace, endpoint: str) -> list[tuple[str, int, float]]:
    import secrets as random_source

    from ._cache import SecretCache
    from ._client import SecretsManagerClient

    run = f"demo/{random_source.token_hex(4)}"
    names = [f"{run}/secret-{i:04d}" for i in range(args.count)]
    expected = {name: random_source.token_urlsafe(24) for name in names}
    n = len(names)
    steps: list[tuple[str, int, float]] = []

    def check(got: dict[str, str | None], what: str) -> None:
        if got != expected:
            wrong = sum(got.get(k) != v for k, v in expected.items())
            raise CliError(f"demo: {what} returned {wrong} of {n} values wrong or missing")

    settings = local_settings(args, endpoint)
    async with SecretsManagerClient(**settings, max_connections=args.concurrency) as client:
        limit = asyncio.Semaphore(args.concurrency)

        async def create(name: str) -> None:
            async with limit:
                await client.create_secret(name=name, secret_string=expected[name])

        started = time.perf_counter()
        await asyncio.gather(*(create(name) for name in names))
        steps.append(("create_secret, concurrently", n, time.perf_counter() - started))

        started = time.perf_counter()
        result = await client.get_secret_values(names)
        steps.append(("get_secret_values (bulk)", n, time.perf_counter() - started))
        check({i: e.secret_string for i, e in result.values.items()}, "get_secret_values")

        async with SecretCache(client, max_size=max(1024, n)) as cache:
            started = time.perf_counter()
            (await cache.warm(names)).raise_for_errors()
            steps.append(("SecretCache.warm (one bulk fetch)", n, time.perf_counter() - started))
            started = time.perf_counter()
            got = await asyncio.gather(*(cache.get_secret_string(i) for i in names))
            elapsed = time.perf_counter() - started
            stats = cache.stats
            check(dict(zip(names, got, strict=True)), "SecretCache")
            label = f"SecretCache reads: {stats.hits} hits, {stats.misses} misses"
            steps.append((label, n, elapsed))

        started = time.perf_counter()
        listed = 0
        async for _ in _list_entries(client, _filters([("name", run + "/")])):
            listed += 1
        steps.append(("paginate_list_secrets", listed, time.perf_counter() - started))
    return steps
