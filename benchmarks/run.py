"""Run the benchmark suite: every client, interleaved round by round, in fresh processes.

    python benchmarks/run.py            # 5 rounds, writes benchmarks/results/latest.*
    python benchmarks/run.py --quick    # 2 short rounds: a smoke run in well under a minute

Starts the in-memory endpoint (server.py), then in each round runs every client's steady
measurement (runner.py steady) and its cold starts (runner.py cold) in fresh processes, the
order rotated each round. Ratios to the floor and to aiobotocore are taken within a round,
then the median over rounds is reported. Writes latest.json, latest.md and latest.png.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from server import ServerProcess  # noqa: E402

RUNNER = str(HERE / "runner.py")
CLIENTS = ["floor", "ours", "aiobotocore", "smithy"]
DISPLAY = {
    "floor": "floor (aiohttp + SigV4)",
    "ours": "secretsmanager_async",
    "aiobotocore": "aiobotocore",
    "smithy": "aws-sdk-secrets-manager (smithy)",
}
SECRETS = 1000

#: key, label, unit, better, format
METRICS = [
    ("cpu_us_per_call", "CPU per GetSecretValue call", "µs", "lower", "{:.0f}"),
    ("calls_per_s", "Calls per second at concurrency 64", "calls/s", "higher", "{:,.0f}"),
    ("bulk_wall_ms", "Fetch 1,000 secrets: wall time", "ms", "lower", "{:.1f}"),
    ("bulk_cpu_ms", "Fetch 1,000 secrets: CPU", "ms", "lower", "{:.1f}"),
    ("cold_start_ms", "Cold start (spawn to exit)", "ms", "lower", "{:.0f}"),
    ("cold_rss_mb", "Peak RSS of the cold start", "MiB", "lower", "{:.1f}"),
]

#: the issue's targets for this library (issue 17): metric, reference client, comparison, limit
TARGETS = [
    ("cpu_us_per_call", "floor", "<=", 1.0),
    ("calls_per_s", "floor", ">=", 1.0),
    ("bulk_wall_ms", "floor", "<=", 1.2),
    ("cold_start_ms", "floor", "<=", 1.1),
    ("cold_rss_mb", "floor", "<=", 1.05),
]


def bench_env() -> dict[str, str]:
    """The environment for client processes: dummy credentials, nothing that reaches AWS."""
    dropped = ("AWS_", "PYTHON", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    # PYTHON* settings (dev mode, tracemalloc, no bytecode...) would skew timings; PYTHONPATH
    # stays so a checkout can be measured without installing it
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(dropped) or k == "PYTHONPATH"
    }
    env.update(
        AWS_ACCESS_KEY_ID="AKID",
        AWS_SECRET_ACCESS_KEY="SECRET",  # a dummy: the server never checks it
        AWS_REGION="us-east-1",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


def run_json(cmd: list[str], env: dict[str, str], timeout: float) -> dict[str, Any]:
    """Run a runner process; its last stdout line is the JSON result."""
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def run_cold(
    python: str, client: str, endpoint: str, env: dict[str, str], timeout: float
) -> dict[str, Any]:
    """One cold start, timed from spawn to reaping; peak RSS from that child's rusage."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            [python, RUNNER, "cold", client, endpoint], stdout=out, stderr=err, env=env
        )
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        try:
            # wait4, not Popen.wait: it returns the rusage of exactly this child
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = out.read().decode().strip().splitlines()
        if proc.returncode != 0 or not lines:
            tail = err.read().decode().strip().splitlines()[-3:]
            return {"error": f"exit {proc.returncode}: " + " | ".join(tail)}
    result: dict[str, Any] = json.loads(lines[-1])
    if "skipped" not in result:
        # ru_maxrss is in KiB on Linux
        result |= {"cold_start_ms": wall * 1e3, "cold_rss_mb": usage.ru_maxrss / 1024}
    return result


def median_or_none(xs: list[float]) -> float | None:
    return statistics.median(xs) if xs else None


def machine_info(python: str, env: dict[str, str], load_before: float) -> dict[str, Any]:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    version = subprocess.run(
        [python, "-c", "import sys; print(sys.version.split()[0])"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "-C", str(HERE), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        # other work on the machine is the main source of noise: how busy it was before
        "load_average_1min": load_before,
        "platform": platform.platform(),
        "python": version,
        "python_executable": python,
        "commit": commit or "unknown",
    }


def measure(args: argparse.Namespace) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    env = bench_env()
    python = args.python
    steady_opts = [
        f"calls={args.calls}",
        f"warmup={args.warmup}",
        "concurrency=64",
        f"bulk={SECRETS}",
        f"bulk_reps={args.bulk_reps}",
    ]
    clients: dict[str, dict[str, Any]] = {}
    rounds: list[dict[str, Any]] = []
    with ServerProcess(SECRETS, python=python, max_seconds=args.max_seconds) as server:
        endpoint = server.endpoint
        for client in args.clients:
            probe = run_json([python, RUNNER, "probe", client, endpoint], env, 120)
            if "skipped" in probe:
                status, reason = "skipped", probe["skipped"]
            elif "error" in probe:
                status, reason = "failed", probe["error"]
            else:
                status, reason = "ok", None
            clients[client] = {"status": status, "reason": reason, **probe, "name": DISPLAY[client]}
            print(f"  {client}: {status}{f' ({reason})' if reason else ''}", file=sys.stderr)
        active = [c for c in args.clients if clients[c]["status"] == "ok"]
        # one untimed cold start each, so every client starts from warm .pyc and page caches
        for client in [*active, "none"]:
            run_cold(python, client, endpoint, env, 120)
        for r in range(args.rounds):
            shift = r % len(active) if active else 0
            order = active[shift:] + active[:shift]
            results: dict[str, dict[str, Any]] = {c: {} for c in order}
            for client in order:
                steady = run_json(
                    [python, RUNNER, "steady", client, endpoint, *steady_opts], env, 600
                )
                if "error" not in steady and steady["server_requests"] < steady["calls"]:
                    steady = {"error": "calls did not all reach the local server"}
                results[client].update(steady)
            colds: dict[str, list[dict[str, Any]]] = {c: [] for c in [*order, "none"]}
            for _ in range(args.cold_runs):
                for client in [*order, "none"]:
                    colds[client].append(run_cold(python, client, endpoint, env, 120))
            for client, runs in colds.items():
                ok = [x for x in runs if "error" not in x]
                entry = results.setdefault(client, {})
                if not ok:
                    entry["cold_error"] = runs[0].get("error")
                    continue
                for key in ("cold_start_ms", "cold_rss_mb", "import_ms", "client_ms", "call_ms"):
                    entry[key] = statistics.median(x[key] for x in ok)
            rounds.append({"order": order, "results": results})
            summary = ", ".join(
                f"{c} {results[c]['cpu_us_per_call']:.0f}µs/call"
                if "cpu_us_per_call" in results[c]
                else f"{c} error"
                for c in order
            )
            print(f"  round {r + 1}/{args.rounds}: {summary}", file=sys.stderr)
    return {"clients": clients, "rounds": rounds, "machine": machine_info(python, env, load_before)}


def summarise(raw: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Medians over rounds and within-round ratios to the floor and to aiobotocore."""
    rounds = raw["rounds"]
    clients = raw["clients"]

    def values(client: str, key: str) -> list[float]:
        return [
            r["results"][client][key]
            for r in rounds
            if isinstance(r["results"].get(client, {}).get(key), (int, float))
        ]

    def ratios(client: str, ref: str, key: str) -> list[float]:
        out = []
        for r in rounds:
            a = r["results"].get(client, {}).get(key)
            b = r["results"].get(ref, {}).get(key)
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b:
                out.append(a / b)
        return out

    for client, info in clients.items():
        errors = [
            r["results"][client]["error"] for r in rounds if "error" in r["results"].get(client, {})
        ]
        if info["status"] == "ok" and errors and len(errors) == len(rounds):
            info |= {"status": "failed", "reason": errors[0]}
        elif errors:
            info["errors"] = errors
        info["metrics"] = {m[0]: median_or_none(values(client, m[0])) for m in METRICS}
        info["vs_floor"] = {m[0]: median_or_none(ratios(client, "floor", m[0])) for m in METRICS}
        info["vs_aiobotocore"] = {
            m[0]: median_or_none(ratios(client, "aiobotocore", m[0])) for m in METRICS
        }
        info["latency_ms"] = {
            k: median_or_none(values(client, f"latency_{k}_ms")) for k in ("p50", "p99")
        }
        info["cold_breakdown_ms"] = {
            k: median_or_none(values(client, k)) for k in ("import_ms", "client_ms", "call_ms")
        }
        # the server's CPU as a share of one core while this client ran at full speed
        busy = [
            r["results"][client]["server_cpu_s"] / r["results"][client]["wall_s"]
            for r in rounds
            if "server_cpu_s" in r["results"].get(client, {})
        ]
        per_call = [
            r["results"][client]["server_cpu_s"] / r["results"][client]["calls"] * 1e6
            for r in rounds
            if "server_cpu_s" in r["results"].get(client, {})
        ]
        info["server"] = {
            "busy_share": median_or_none(busy),
            "cpu_us_per_call": median_or_none(per_call),
        }

    ours = clients.get("ours", {})
    targets = []
    for key, ref, op, limit in TARGETS:
        ratio = ours.get("vs_floor" if ref == "floor" else "vs_aiobotocore", {}).get(key)
        passed = None if ratio is None else (ratio <= limit if op == "<=" else ratio >= limit)
        targets.append(
            {"metric": key, "reference": ref, "op": op, "limit": limit, "ratio": ratio,
             "pass": passed}
        )  # fmt: skip
    busiest = max(
        (i["server"]["busy_share"] for i in clients.values() if i["server"]["busy_share"]),
        default=None,
    )
    return {
        "schema": 1,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": raw["machine"],
        "settings": {
            "mode": "quick" if args.quick else "full",
            "rounds": args.rounds,
            "calls": args.calls,
            "warmup": args.warmup,
            "concurrency": 64,
            "bulk_secrets": SECRETS,
            "bulk_reps": args.bulk_reps,
            "cold_runs_per_round": args.cold_runs,
        },
        "metrics": [
            {"key": k, "label": label, "unit": unit, "better": better}
            for k, label, unit, better, _ in METRICS
        ],
        "clients": {c: v for c, v in clients.items()},
        "baseline": {
            "note": "bare interpreter + asyncio, no client: the part of cold start no client "
            "can remove",
            "cold_start_ms": median_or_none(values("none", "cold_start_ms")),
            "cold_rss_mb": median_or_none(values("none", "cold_rss_mb")),
        },
        "server_busiest_share": busiest,
        "targets": targets,
        "rounds": raw["rounds"],
    }


def _fmt_ratio(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def render_markdown(result: dict[str, Any]) -> str:
    clients = result["clients"]
    shown = [c for c in CLIENTS if c in clients]
    names = {c: DISPLAY[c] for c in shown}
    lines = [
        "| Metric | " + " | ".join(names[c] for c in shown) + " |",
        "| --- | " + " | ".join("---:" for _ in shown) + " |",
    ]
    for key, label, unit, better, fmt in METRICS:
        cells = []
        for c in shown:
            info = clients[c]
            value = info.get("metrics", {}).get(key)
            if info["status"] != "ok" or value is None:
                cells.append(info["status"])
                continue
            cell = fmt.format(value)
            if c != "floor":
                ratio = info["vs_floor"].get(key)
                cell += f" ({_fmt_ratio(ratio)} floor)"
            cells.append(cell)
        arrow = "↓" if better == "lower" else "↑"
        lines.append(f"| {label}, {unit} {arrow} | " + " | ".join(cells) + " |")
    m, s = result["machine"], result["settings"]
    versions = "; ".join(
        f"{c}: " + ", ".join(f"{k} {v}" for k, v in clients[c].get("versions", {}).items())
        for c in shown
        if clients[c].get("versions")
    )
    lines += [
        "",
        "Targets for secretsmanager_async (ratios from this run):",
        "",
        "| Target | Measured | Result |",
        "| --- | ---: | --- |",
    ]
    labels = {k: label for k, label, *_ in METRICS}
    for t in result["targets"]:
        verdict = {True: "✅ pass", False: "❌ fail", None: "not measured"}[t["pass"]]
        lines.append(
            f"| {labels[t['metric']]} {t['op']} {t['limit']}x {t['reference']} "
            f"| {_fmt_ratio(t['ratio'])} | {verdict} |"
        )
    notes = [
        f"{result['date']}; {m['cpu']}, {m['cores']} cores; Python {m['python']}; "
        f"commit {m['commit']}; {s['mode']} mode: {s['rounds']} rounds, "
        f"{s['calls']:,} calls at concurrency 64 per round.",
    ]
    if m.get("load_average_1min", 0) > 0.5 * (m["cores"] or 1):
        notes.append(
            f"The machine was busy with other work (load average {m['load_average_1min']:.1f} "
            f"on {m['cores']} cores before the run): expect noise."
        )
    base = result["baseline"]
    if base["cold_start_ms"] is not None:
        notes.append(
            f"Bare interpreter + asyncio: {base['cold_start_ms']:.0f} ms, "
            f"{base['cold_rss_mb']:.1f} MiB."
        )
    if result["server_busiest_share"] is not None:
        notes.append(
            f"The endpoint used at most {result['server_busiest_share']:.0%} of one core "
            "(it was not the bottleneck)."
        )
    for c in shown:
        if clients[c]["status"] != "ok":
            notes.append(f"{names[c]}: {clients[c]['status']}: {clients[c]['reason']}")
        elif clients[c].get("errors"):
            errors = clients[c]["errors"]
            notes.append(
                f"{names[c]}: failed in {len(errors)} of {s['rounds']} rounds "
                f"(medians are over the others): {errors[0]}"
            )
    latency = [
        f"{names[c]} {lat['p50']:.1f} / {lat['p99']:.1f}"
        for c in shown
        if (lat := clients[c].get("latency_ms", {})).get("p50") is not None
    ]
    if latency:
        notes.append(
            "GetSecretValue latency at concurrency 64, p50 / p99 in ms (median over rounds): "
            + "; ".join(latency)
            + "."
        )
    notes.append(f"Versions: {versions}.")
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 short rounds, a smoke run")
    parser.add_argument("--rounds", type=int, help="rounds (default 5, quick 2)")
    parser.add_argument("--calls", type=int, help="measured calls per round (10000, quick 2000)")
    parser.add_argument("--warmup", type=int, help="warm-up calls (1000, quick 300)")
    parser.add_argument("--bulk-reps", type=int, help="bulk fetches per round (5, quick 2)")
    parser.add_argument("--cold-runs", type=int, help="cold starts per round (5, quick 1)")
    parser.add_argument(
        "--clients",
        default=",".join(CLIENTS),
        help="comma-separated subset of " + ",".join(CLIENTS) + " (floor is always run)",
    )
    parser.add_argument(
        "--python", default=sys.executable, help="interpreter for the server and clients"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results", help="output directory")
    parser.add_argument("--max-seconds", type=float, default=1800, help="server lifetime cap")
    args = parser.parse_args()
    defaults = {"rounds": (5, 2), "calls": (10000, 2000), "warmup": (1000, 300),
                "bulk_reps": (5, 2), "cold_runs": (5, 1)}  # fmt: skip
    for key, (full, quick) in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, quick if args.quick else full)
    wanted = [c.strip() for c in args.clients.split(",") if c.strip()]
    unknown = set(wanted) - set(CLIENTS)
    if unknown:
        parser.error(f"unknown clients: {', '.join(sorted(unknown))}")
    args.clients = ["floor", *[c for c in wanted if c != "floor"]]

    started = time.perf_counter()
    print(f"benchmark: {args.rounds} rounds, clients {', '.join(args.clients)}", file=sys.stderr)
    result = summarise(measure(args), args)
    result["elapsed_s"] = time.perf_counter() - started

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=1) + "\n")
    table = render_markdown(result)
    (args.out / "latest.md").write_text(table)
    chart = subprocess.run(
        [args.python, str(HERE / "chart.py"), str(args.out / "latest.json"),
         str(args.out / "latest.png")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    print(table)
    if chart.returncode != 0:
        print(f"chart not rendered: {chart.stderr.strip()}", file=sys.stderr)
    print(f"wrote {args.out}/latest.{{json,md,png}} in {result['elapsed_s']:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
