"""The chain imports provider modules lazily: the env path stays light."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import asyncio, os, sys
os.environ["AWS_ACCESS_KEY_ID"] = "AKIDENV"
os.environ["AWS_SECRET_ACCESS_KEY"] = "s"
from secretsmanager_async._credentials.chain import default_chain
creds = asyncio.run(default_chain(http=None).load())
assert creds.access_key_id == "AKIDENV"
lazy = [
    "secretsmanager_async._credentials.sts",
    "secretsmanager_async._credentials.shared",
    "secretsmanager_async._credentials.web_identity",
    "secretsmanager_async._credentials.process",
    "secretsmanager_async._credentials.container",
    "secretsmanager_async._credentials.imds",
    "secretsmanager_async._credentials.http",
    "secretsmanager_async._profiles",
    "xml.etree.ElementTree",
]
print(",".join(m for m in lazy if m in sys.modules))
"""


def test_env_path_imports_no_provider_modules() -> None:
    """Loading env credentials through the chain imports no STS/XML/file/HTTP code."""
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("AWS_")}
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == ""
