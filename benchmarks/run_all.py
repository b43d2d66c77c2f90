"""Run every benchmark and write one results file: benchmarks/results/latest.{json,md}.

    python benchmarks/run_all.py            # everything (about 10-15 minutes on the 2-core machine)
    python benchmarks/run_all.py --quick    # fewer repetitions, for a smoke check
    python benchmarks/run_all.py --only pooling app

Each benchmark runs in its own Python process (so one's thread settings or a crash
cannot touch the others) through its ``--json`` option, with a time limit:

- pooling: core forward+backward against PyTorch CPU, one thread (bench_pooling.py);
- app: server rerun after one edit at 16x16 and 64x64, browser edit-to-figure (bench_app.py);
- load: 30 concurrent sessions x 20 edits: classroom pauses, stress, two replicas (bench_load.py).

latest.md names the machine (CPU model, cores, RAM, Python, package versions) and the
load average before and after: the machine is shared, so figures are medians and noisy.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

BENCHMARKS = {
    # name: (script, full arguments, quick arguments, time limit in seconds)
    "pooling": ("bench_pooling.py", [], ["--repeat", "3"], 1800),
    "app": ("bench_app.py", [], ["--runs", "8", "--browser-edits", "4"], 1800),
    "load": ("bench_load.py", [], ["--sessions", "10", "--edits", "5"], 2400),
}
PACKAGES = ["streamlit", "numpy", "plotly", "pandas", "pyarrow", "torch", "playwright", "websockets", "uvicorn",
            "starlette", "protobuf", "hypothesis", "pytest"]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _command_version(*cmd: str) -> str | None:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0] if text else None


def machine() -> dict:
    cpuinfo = _read("/proc/cpuinfo")
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")),
                 platform.processor() or platform.machine())
    mem_kb = next((int(line.split()[1]) for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal:")), 0)
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=30).stdout.strip() or None
        dirty = bool(subprocess.run(["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True,
                                    timeout=30).stdout.strip())
    except (OSError, subprocess.TimeoutExpired):
        commit, dirty = None, None
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "packages": versions,
        "chromium": _command_version("chromium", "--version"),
        "nginx": _command_version("nginx", "-v"),
        "git_commit": commit,
        "git_dirty": dirty,
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
    }


def run_one(name: str, quick: bool) -> dict:
    script, full, quick_args, limit = BENCHMARKS[name]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{name}.json"
        cmd = [sys.executable, str(HERE / script), *(quick_args if quick else full), "--json", str(out)]
        print(f"=== {name}: {' '.join(cmd[1:])}", flush=True)
        t0, load0 = time.perf_counter(), os.getloadavg()
        try:
            proc = subprocess.run(cmd, cwd=ROOT, timeout=limit)
            status = "ok" if proc.returncode == 0 else f"exit code {proc.returncode}"
        except subprocess.TimeoutExpired:
            status = f"timed out after {limit} s"
        figures = json.loads(out.read_text()) if out.exists() else None
    return {
        "status": status,
        "seconds": round(time.perf_counter() - t0, 1),
        "load_average_before": [round(v, 2) for v in load0],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "command": "python benchmarks/" + " ".join([script, *(quick_args if quick else full)]),
        "figures": figures,
    }


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if abs(value) >= 10 else f"{value:.2f}{unit}"
    return f"{value}{unit}"


def _target(value, limit) -> str:
    if value is None:
        return "–"
    return "meets" if value <= limit else "misses"


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# Benchmark results",
        "",
        f"Run {result['started']} with `{result['command']}` (commit {m['git_commit']}"
        f"{', uncommitted changes' if m['git_dirty'] else ''}).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu_model']}, {m['cores']} cores; RAM {m['ram_gib']} GiB; {m['os']}",
        f"- Python {m['python']}; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v),
        f"- {m['chromium'] or 'no Chromium'}; {m['nginx'] or 'no nginx'}",
        "- The machine is shared (other test suites run beside the benchmarks): every figure is a median or a "
        "percentile over many runs, and the load average before and after each benchmark is given to judge the "
        "noise.",
        "",
    ]
    runs = result["benchmarks"]
    if "pooling" in runs:
        r, f = runs["pooling"], runs["pooling"]["figures"] or {}
        lines += ["## Core: max-pool forward+backward vs PyTorch (1 thread)", "",
                  f"`{r['command']}` — {r['status']}, load average {r['load_average_before'][0]} → "
                  f"{r['load_average_after'][0]}", ""]
        if f.get("cases"):
            lines += ["| shape | k | s | p | ours ms | torch ms | ratio |", "|---|---|---|---|---|---|---|"]
            for c in f["cases"]:
                lines.append(f"| {tuple(c['shape'])} | {c['kernel']} | {c['stride']} | {c['padding']} | "
                             f"{_fmt(c['ours_ms'])} | {_fmt(c['torch_ms'])} | {_fmt(c['ratio'])} |")
            g = f.get("geomean_ratio")
            lines += ["", f"Geometric-mean ratio: **{_fmt(g)}** (target ≤ 1.0: {_target(g, 1.0)}).", ""]
    if "app" in runs:
        r, f = runs["app"], runs["app"]["figures"] or {}
        lines += ["## App: one edit", "", f"`{r['command']}` — {r['status']}, load average "
                  f"{r['load_average_before'][0]} → {r['load_average_after'][0]}", "",
                  "| measurement | median | p10–p90 | target |", "|---|---|---|---|"]
        for side, limit in ((16, 50), (64, 200)):
            ws = f.get(f"server_ws_{side}x{side}") or {}
            end = ws.get("edit_to_run_end") or {}
            fig = ws.get("edit_to_x_figure") or {}
            lines.append(f"| server rerun after a cell edit, {side}×{side}, websocket, to run end | "
                         f"{_fmt(end.get('median_ms'), ' ms')} | {_fmt(end.get('p10_ms'))}–"
                         f"{_fmt(end.get('p90_ms'), ' ms')} | ≤ {limit} ms: {_target(end.get('median_ms'), limit)} |")
            lines.append(f"| … to the updated x figure | {_fmt(fig.get('median_ms'), ' ms')} | "
                         f"{_fmt(fig.get('p10_ms'))}–{_fmt(fig.get('p90_ms'), ' ms')} | |")
            lines.append(f"| … server CPU time per edit | {_fmt(ws.get('server_cpu_ms_per_edit'), ' ms')} | | |")
            at = f.get(f"server_apptest_{side}x{side}") or {}
            lines.append(f"| server rerun after a control change, {side}×{side}, AppTest | "
                         f"{_fmt(at.get('median_ms'), ' ms')} | {_fmt(at.get('p10_ms'))}–"
                         f"{_fmt(at.get('p90_ms'), ' ms')} | ≤ {limit} ms: {_target(at.get('median_ms'), limit)} |")
        for side in (4, 16):
            br = f.get(f"browser_{side}x{side}") or {}
            lines.append(f"| headless Chromium: Enter in a cell of x to the updated x figure, {side}×{side} | "
                         f"{_fmt(br.get('median_ms'), ' ms')} | {_fmt(br.get('p10_ms'))}–"
                         f"{_fmt(br.get('p90_ms'), ' ms')} | ≤ 300 ms: {_target(br.get('median_ms'), 300)} |")
            parts = br.get("parts_median_ms")
            if parts:
                lines.append(f"| … of which: page until it sends the edit / server until its last message / drawing "
                             f"| {_fmt(parts['to_send'])} / {_fmt(parts['send_to_last_message'])} / "
                             f"{_fmt(parts['last_message_to_figure'])} ms | | |")
        lines.append("")
    if "load" in runs:
        r, f = runs["load"], runs["load"]["figures"] or {}
        lines += ["## Load: concurrent sessions, each editing cells", "", f"`{r['command']}` — {r['status']}", "",
                  "| profile | sessions × edits | errors | updated | p50 | p95 | max | edits/s | server cores busy "
                  "| CPU/edit | MiB/session | target (0 errors, p95 ≤ 1 s) |", "|---" * 12 + "|"]
        for name, p in f.items():
            if not isinstance(p, dict) or "sessions" not in p:
                continue
            lines.append(
                f"| {name} (pause {p.get('think_seconds')} s) | {p['sessions']} × {p['edits_per_session']} | "
                f"{p.get('errors')} | {p.get('edits_updated')}/{p.get('edits_sent')} | "
                f"{_fmt(p.get('edit_to_update_p50_ms'), ' ms')} | {_fmt(p.get('edit_to_update_p95_ms'), ' ms')} | "
                f"{_fmt(p.get('edit_to_update_max_ms'), ' ms')} | {_fmt(p.get('edits_per_second'))} | "
                f"{_fmt(p.get('server_cpu_cores_busy'))} | {_fmt(p.get('server_cpu_ms_per_edit'), ' ms')} | "
                f"{_fmt(p.get('memory_per_session_after_edits_mib'))} | "
                f"{'meets' if p.get('meets_target') else 'misses'} "
                f"(load avg {_fmt(p.get('load_average_1min_after'))}) |")
        lines.append("")
    for name, r in runs.items():
        if r["status"] != "ok":
            lines.append(f"**{name}: {r['status']}**")
    return "\n".join(lines).rstrip() + "\n"


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke check, not evidence)")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json and latest.md")
    parser.add_argument("--markdown-only", action="store_true", help="rewrite latest.md from latest.json, run nothing")
    args = parser.parse_args(argv)
    if args.markdown_only:
        result = json.loads((args.out / "latest.json").read_text())
        (args.out / "latest.md").write_text(markdown(result))
        return result
    started = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    result = {
        "started": started,
        "command": "python benchmarks/run_all.py" + (" " + " ".join(argv) if argv else
                                                      (" " + " ".join(sys.argv[1:]) if sys.argv[1:] else "")),
        "machine": machine(),
        "benchmarks": {},
    }
    for name in args.only or list(BENCHMARKS):
        result["benchmarks"][name] = run_one(name, args.quick)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "latest.md").write_text(markdown(result))
    print(f"wrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return result


if __name__ == "__main__":
    main()
