"""The subcommands that talk to the service: ``get``, ``get-many``, ``list``, ``describe``,
``create``, ``put``, ``delete`` and ``exec``."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING

from .common import (
    EXIT_CANNOT_RUN,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_OK,
    PROG,
    CliError,
    describe_error,
    local_endpoint,
    open_client,
    printable,
)
from .output import _rotation, _when, env_lines, format_table, plain, print_model
from .progress import Progress

if TYPE_CHECKING:
    from .._client import SecretsManagerClient
    from .._generated.models import Filter, SecretListEntry

_C1 = re.compile(r"[\x7f-\x9f]")


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
    from .._generated.models import Filter

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
        sys.stderr.write(f"{PROG}: error: {printable(secret_id)}: {describe_error(error)}\n")
    if errors and not args.partial:
        return EXIT_ERROR
    out = [(i, values[i]) for i in ids if i in values]
    if args.format == "json":
        data = {
            i: v if isinstance(v, str) else {"binary": base64.b64encode(v).decode()} for i, v in out
        }
        # JSON escapes C0 controls itself; DEL and C1 as \u escapes too (lossless)
        text = json.dumps(data, indent=2, ensure_ascii=False)
        sys.stdout.write(_C1.sub(lambda m: f"\\u{ord(m[0]):04x}", text) + "\n")
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
    from .._bulk import BATCH_LIMIT, DEFAULT_MAX_CONCURRENCY, BulkResult

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


# -- list / describe / create / put / delete ----------------------------------------------------


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
    from .._generated.models import Tag

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
