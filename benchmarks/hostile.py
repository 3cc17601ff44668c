"""Peak memory and wall time of one call against hostile endpoints, with DEFAULT settings.

    python benchmarks/hostile.py [--json]

Each scenario runs one ``get_secret_value`` in a fresh interpreter (``tests/hostile/probe.py``)
against a raw asyncio server on 127.0.0.1 (``tests/hostile/servers.py``), after a warm-up call
to a well-behaved endpoint; the client is created with no settings beyond region, endpoint and
credentials. Reported: the error, attempts, peak RSS (``ru_maxrss``) of the client process and
its growth over the warm-up, and the wall time of the call. The scenarios run in parallel; the
drips take as long as the default call deadline (60 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.hostile.probe import run_probe  # noqa: E402
from tests.hostile.servers import HostileServer  # noqa: E402

SCENARIOS = {
    "huge": "1 GiB body (close-delimited, no length)",
    "bomb": "gzip bomb (1.0 MiB -> 1 GiB)",
    "endless": "endless chunked body",
    "liar": "Content-Length 2 GiB",
    "drip": "body dripping 1 byte / 500 ms",
    "slow_status": "status line at 1 byte / s",
}
MIB = 1 << 20


async def measure() -> dict[str, dict[str, Any]]:
    """Run every scenario once, in parallel, and return the probes' reports."""
    servers = {mode: HostileServer(mode) for mode in SCENARIOS}
    ok = HostileServer("ok")
    await asyncio.gather(ok.start(), *(s.start() for s in servers.values()))
    try:
        reports = await asyncio.gather(*(run_probe(ok.url, s.url) for s in servers.values()))
    finally:
        await asyncio.gather(ok.stop(), *(s.stop() for s in servers.values()))
    return dict(zip(servers, reports, strict=True))


def main() -> None:
    """Print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the raw reports as JSON")
    args = parser.parse_args()
    reports = asyncio.run(measure())
    if args.json:
        print(json.dumps(reports, indent=2))
        return
    print(f"Python {platform.python_version()}, {platform.machine()}, default settings")
    print("| scenario | error | attempts | peak RSS | RSS growth | wall time |")
    print("| --- | --- | --- | --- | --- | --- |")
    for mode, report in reports.items():
        error = report["error"] or {"type": "none (call succeeded)", "attempts": "-"}
        print(
            f"| {SCENARIOS[mode]} | {error['type']} | {error['attempts']} "
            f"| {report['rss_peak'] / MIB:.1f} MiB "
            f"| {(report['rss_peak'] - report['rss_before']) / MIB:+.1f} MiB "
            f"| {report['elapsed']:.2f} s |"
        )


if __name__ == "__main__":
    main()
