"""The argument parser: global options, one subparser per subcommand, and the parsers of
``--filter`` and ``SECRET[:KEY]=NAME`` arguments."""

from __future__ import annotations

import argparse

from .._version import __version__
from .commands import (
    cmd_create,
    cmd_delete,
    cmd_describe,
    cmd_exec,
    cmd_get,
    cmd_get_many,
    cmd_list,
    cmd_put,
)
from .common import PROG, _async
from .demo import cmd_demo
from .output import _ENV_NAME

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
