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

Layout: ``parser`` builds the argument parser and binds each subcommand to its handler in
``commands`` (``demo`` has its own module); ``output`` holds the output formats, ``progress``
the progress bar, ``common`` the exit codes, the error line and client set-up. ``main`` below
is the console-script entry point (``secretsmanager-async``) and ``python -m
secretsmanager_async``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .common import EXIT_ERROR, EXIT_INTERRUPTED, PROG, describe_error, printable
from .parser import build_parser

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.local and args.endpoint_url:
        parser.error("--local and --endpoint-url are mutually exclusive")
    import logging

    if args.debug:
        logging.basicConfig(
            stream=sys.stderr, format="%(asctime)s %(name)s %(levelname)s %(message)s"
        )
        logging.getLogger("secretsmanager_async").setLevel(logging.DEBUG)
    else:
        # the error line says how a call ended; the library's WARNING that it failed after
        # retries would print it twice (through logging's last-resort handler)
        logging.getLogger("secretsmanager_async").addHandler(logging.NullHandler())
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

            sys.stderr.write(printable(traceback.format_exc(), keep="\n"))
        sys.stderr.write(f"{PROG}: error: {describe_error(exc)}\n")
        return EXIT_ERROR
