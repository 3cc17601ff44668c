"""Render latest.json as a grouped bar chart of each client's cost relative to the floor.

    python benchmarks/chart.py results/latest.json results/latest.png

Every bar is "times the floor's cost" (lower is better), so throughput is drawn inverted:
time per call at concurrency 64. Needs matplotlib (installed in the benchmark venv only).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

GROUPS = [
    ("cpu_us_per_call", "CPU per call"),
    ("calls_per_s", "time per call\nat concurrency 64"),
    ("bulk_wall_ms", "1,000 secrets:\nwall"),
    ("bulk_cpu_ms", "1,000 secrets:\nCPU"),
    ("cold_start_ms", "cold start"),
    ("cold_rss_mb", "cold start:\npeak RSS"),
]
COLORS = {"ours": "#2a7ab0", "aiobotocore": "#e08a2c", "smithy": "#7a9e3a"}
#: the issue's limits relative to the floor, drawn over this library's bars
FLOOR_TARGETS = {"cpu_us_per_call": 1.3, "bulk_wall_ms": 1.3, "cold_start_ms": 1.1,
                 "cold_rss_mb": 1.1}  # fmt: skip


def render(result: dict[str, Any], out: Path) -> None:
    clients = [
        c
        for c in ("ours", "aiobotocore", "smithy")
        if result["clients"].get(c, {}).get("status") == "ok"
    ]
    fig, ax = plt.subplots(figsize=(10, 4.8), dpi=110)
    width = 0.8 / max(len(clients), 1)
    for n, client in enumerate(clients):
        ratios = result["clients"][client]["vs_floor"]
        heights = []
        for key, _ in GROUPS:
            r = ratios.get(key)
            # throughput is "higher is better": invert it into a cost like the others
            heights.append(float("nan") if r is None else (1 / r if key == "calls_per_s" else r))
        xs = [g + (n - (len(clients) - 1) / 2) * width for g in range(len(GROUPS))]
        bars = ax.bar(
            xs, heights, width, label=result["clients"][client]["name"], color=COLORS[client]
        )
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        if client == "ours":
            for g, (key, _) in enumerate(GROUPS):
                if key in FLOOR_TARGETS:
                    x = xs[g]
                    ax.plot([x - width / 2, x + width / 2], [FLOOR_TARGETS[key]] * 2,
                            color="crimson", linewidth=2)  # fmt: skip
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle="--", label="floor (aiohttp + SigV4)")
    if "ours" in clients:
        ax.plot([], [], color="crimson", linewidth=2, label="target for secretsmanager_async")
    ax.set_xticks(range(len(GROUPS)), [label for _, label in GROUPS], fontsize=8)
    ax.set_ylabel("x the floor (lower is better)")
    m = result["machine"]
    ax.set_title(
        f"Secrets Manager clients relative to the floor — {result['date']}\n"
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"{result['settings']['mode']} mode",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit(__doc__)
    render(json.loads(Path(argv[0]).read_text()), Path(argv[1]))


if __name__ == "__main__":
    main(sys.argv[1:])
