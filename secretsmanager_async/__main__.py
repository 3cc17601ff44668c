"""``python -m secretsmanager_async``: the command line (see ``_cli``)."""

from ._cli import main

raise SystemExit(main())
