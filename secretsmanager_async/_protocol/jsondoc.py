"""Decoding JSON received from elsewhere (response bodies, secret values) in one safe way.

:func:`decode` fails with one error type, :class:`JsonDocumentError`, whatever went wrong:
not JSON, not UTF-8, or nested deeper than the decoder can go (``json.loads`` raises
``RecursionError`` at the interpreter's recursion limit; a 100 kB body of ``[`` reaches it
after about a thousand bytes, so catching it costs nothing and no pre-scan is needed).

The error's message says where and why, never what: ``JSONDecodeError.doc`` and
``UnicodeDecodeError.object`` hold the whole document, which may be a secret, so neither is
chained as a cause nor left as the context of what callers raise.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonDocumentError", "decode"]

_loads = json.loads


class JsonDocumentError(ValueError):
    """A document is not valid JSON. The message holds a position, never document content."""


def decode(document: bytes | str) -> Any:
    """``json.loads(document)``, raising only :class:`JsonDocumentError` on failure."""
    try:
        return _loads(document)
    except json.JSONDecodeError as e:
        problem = f"{e.msg} (line {e.lineno}, column {e.colno})"
    except UnicodeDecodeError as e:
        problem = f"not valid {e.encoding} at byte {e.start}"
    except RecursionError:
        problem = "nested too deeply"
    except (ValueError, TypeError) as e:
        problem = type(e).__name__
    # Raised here, after the except blocks, so the foreign error is not its __context__.
    raise JsonDocumentError(problem)
