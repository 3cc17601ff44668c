"""Output formats: environment files (``get-many --format env``), tables, JSON lines, and the
plain-data view of a model (secret material left out)."""

from __future__ import annotations

import datetime as dt
import json
import re
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .common import CliError, printable

if TYPE_CHECKING:
    from .._generated.models import SecretListEntry


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


# .env values that need no quoting: what dotenv parsers and shells read back unchanged
_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_@%+=:,./-]*\Z")
# Inside '...' bash takes every character literally; python-dotenv too, except that it reads a
# backslash as escaping the next character and turns \\ into \ and \' into ': so a backslash
# may not be followed by another backslash or end the value (where it would escape the quote).
_SINGLE_QUOTABLE = re.compile(r"(?:[^'\\]|\\[^'\\])*\Z", re.DOTALL)
# Inside "..." bash expands $ and ` and reads \ as an escape; python-dotenv reads \ as an
# escape: without those four characters (and ") both read the text literally.
_DOUBLE_QUOTABLE = re.compile(r'[^"$`\\]*\Z')


def env_value(secret_id: str, value: str) -> str:
    """A .env value that bash (``set -a; . file``) and python-dotenv both read as ``value``.

    Unquoted when plain, else single quotes, else (for a value with a single quote) double
    quotes. A value no quoting can carry for both is refused with :class:`CliError`; the message
    names the secret and the rule, never the value.
    """
    if _PLAIN_VALUE.match(value):
        return value

    def refuse(rule: str) -> CliError:
        return CliError(
            f"secret {secret_id!r} cannot be written in env format: its value {rule}; "
            "use --format json or --format export"
        )

    if "\0" in value:
        raise refuse("contains a NUL character, which a shell variable cannot hold")
    if "\r" in value:
        # python-dotenv reads files with universal newlines: a CR would come back as LF
        raise refuse("contains a carriage return, which dotenv readers turn into a newline")
    if "${" in value:
        # python-dotenv expands ${NAME} in every value, quoted or not, and has no escape for it
        raise refuse("contains '${', which dotenv readers expand as a variable")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise refuse("is not valid Unicode text (a lone surrogate)") from None
    if _SINGLE_QUOTABLE.match(value):
        return f"'{value}'"
    if _DOUBLE_QUOTABLE.match(value):
        return f'"{value}"'
    raise refuse(
        "has a single quote together with a backslash, dollar sign, backquote or double quote,"
        " or a backslash before another backslash or at the end, which no quoting carries"
        " unchanged through both bash and dotenv readers"
    )


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
        else:
            lines.append(f"{name}={env_value(secret_id, value)}\n")
    return "".join(lines)


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
    """Left-aligned columns separated by two spaces; control characters escaped."""
    rows = [[printable(cell) for cell in row] for row in rows]
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
