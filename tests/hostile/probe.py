"""One call against a hostile endpoint in a fresh interpreter, reporting its peak RSS growth.

Run as ``python -m tests.hostile.probe WARM_URL URL SETTINGS_JSON``: a warm-up call to a
well-behaved endpoint loads everything a call needs, then the call to ``URL`` runs with the
client keywords in ``SETTINGS_JSON``. Prints one JSON object: the error (type, message,
attributes), the wall time, and ``ru_maxrss`` before and after, in bytes.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


async def _probe(warm_url: str, url: str, settings: dict[str, Any]) -> dict[str, Any]:
    from secretsmanager_async import Credentials, SecretsManagerClient

    credentials = Credentials("AKIDHOSTILE", "hostile-secret-key")
    async with SecretsManagerClient(
        region="us-east-1", endpoint_url=warm_url, credentials=credentials
    ) as client:
        await client.get_secret_value(secret_id="n")
    before = _peak_rss()
    start = time.monotonic()
    error: dict[str, Any] | None = None
    try:
        async with SecretsManagerClient(
            region="us-east-1", endpoint_url=url, credentials=credentials, **settings
        ) as client:
            await client.get_secret_value(secret_id="n")
    except Exception as e:
        error = {
            "type": type(e).__name__,
            "message": str(e),
            **{
                k: getattr(e, k, None)
                for k in ("operation", "host", "attempts", "timeout", "limit")
            },
        }
    return {
        "error": error,
        "elapsed": time.monotonic() - start,
        "rss_before": before,
        "rss_peak": _peak_rss(),
    }


async def run_probe(warm_url: str, url: str, **settings: Any) -> dict[str, Any]:
    """Run the probe in a subprocess (so its RSS is the client's alone) and return its report."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.hostile.probe",
        warm_url,
        url,
        json.dumps(settings),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    report: dict[str, Any] = json.loads(out)
    return report


if __name__ == "__main__":
    warm, target, options = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    print(json.dumps(asyncio.run(_probe(warm, target, options))))
