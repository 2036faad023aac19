"""Wall time and peak memory of the command line and of the 1M in-process run.

Measured, each in a fresh process (so imports, worker start-up and file writing count):

1. ``python -m ftsim scenarios/support_bot.toml --out TMP``: the default command,
   100,000 paths, simulation + summary + run folder + report (PDF and markdown);
2. ``... --paths 1000000 --no-report``;
3. in-process "simulation plus summary" at 1,000,000 paths: ``ftsim.simulate`` then
   ``ftsim.summarize(result)`` (sensitivity included, nothing written), timed inside the process;
4. with ``--big`` only: ``... --paths 10000000 --no-report`` (minutes).

Memory, three figures per command:

* max RSS of one process: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` of a small wrapper
  process around the command (exact high-water mark of the largest single process of the
  tree that was waited for: the main process or one loky worker);
* peak tree RSS: the sum of RSS over the command and its descendants, sampled every
  ``--interval`` s with psutil (counts pages shared between processes, e.g. the
  /dev/shm result arrays, once per process: an upper bound);
* peak tree PSS: the same sum of proportional set sizes (shared pages split between
  the processes that map them: the memory the command really takes), when readable.

Run by hand::

    python benchmarks/bench_cli.py            # 100k with report, 1M no report, 1M in-process
    python benchmarks/bench_cli.py --big      # also 10M no report
    python benchmarks/bench_cli.py --quick    # 20k with report, 100k no report, 100k in-process
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ROOT, SCENARIO, fmt_s, print_machine, table, write_json  # noqa: E402

GIB = 2**30

# Runs the command, then reports the largest single-process RSS of its tree (KiB on Linux).
WRAPPER = r"""
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
rc = subprocess.call(sys.argv[1:])
wall = time.perf_counter() - t0
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stderr.write("\n@@WRAPPER@@" + json.dumps({"rc": rc, "wall": wall, "maxrss_kib": kib}) + "\n")
"""

# The in-process "simulation plus summary" run; prints its own timings as JSON.
INPROCESS = r"""
import json, sys, time
t0 = time.perf_counter()
import ftsim
t1 = time.perf_counter()
scenario = ftsim.load_scenario(sys.argv[1])
result = ftsim.simulate(scenario, paths=int(sys.argv[2]), jobs=int(sys.argv[3]))
t2 = time.perf_counter()
summary = ftsim.summarize(result)
t3 = time.perf_counter()
print("@@INPROCESS@@" + json.dumps({"import": t1 - t0, "simulate": t2 - t1, "summary": t3 - t2,
      "simulate_plus_summary": t3 - t1, "p": {k: o["p_payback_within"]
      for k, o in summary["options"].items()}}))
"""


def _tree_memory(proc) -> tuple[int, int | None]:
    """(sum of RSS, sum of PSS or None) over a psutil process and its descendants."""
    import psutil

    rss, pss, pss_ok = 0, 0, True
    try:
        members = [proc] + proc.children(recursive=True)
    except psutil.Error:
        return 0, None
    for p in members:
        try:
            if pss_ok:
                full = p.memory_full_info()
                rss += full.rss
                pss += getattr(full, "pss", 0)
                pss_ok = hasattr(full, "pss")
            else:
                rss += p.memory_info().rss
        except (psutil.AccessDenied, psutil.ZombieProcess):
            pss_ok = False
        except psutil.NoSuchProcess:
            pass
    return rss, (pss if pss_ok else None)


def measure(cmd: list[str], interval: float, cwd: Path = ROOT) -> dict:
    """Run ``cmd`` under the wrapper; wall time, memory figures, and its output."""
    import psutil

    wrapper = subprocess.Popen([sys.executable, "-c", WRAPPER, *cmd], cwd=cwd,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    me = psutil.Process(wrapper.pid)
    peak_rss, peak_pss = 0, 0
    pss_seen = True
    # Read output in threads so a chatty command never blocks on a full pipe.
    import threading

    out_chunks: list[str] = []
    err_chunks: list[str] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((wrapper.stdout, out_chunks), (wrapper.stderr, err_chunks))]
    for r in readers:
        r.start()
    while wrapper.poll() is None:
        try:
            children = me.children()
        except psutil.Error:
            children = []
        rss = pss = 0
        for child in children:  # the command and its descendants (not the wrapper itself)
            r, p = _tree_memory(child)
            rss += r
            if p is None:
                pss_seen = False
            else:
                pss += p
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(interval)
    for r in readers:
        r.join()
    out, err = "".join(out_chunks), "".join(err_chunks)
    match = re.search(r"@@WRAPPER@@(\{.*\})", err)
    if not match:
        raise RuntimeError(f"wrapper failed:\n{err[-2000:]}")
    info = json.loads(match.group(1))
    return {"cmd": cmd, "rc": info["rc"], "wall": info["wall"],
            "max_rss_one_process_gib": info["maxrss_kib"] * 1024 / GIB,
            "peak_tree_rss_gib": peak_rss / GIB,
            "peak_tree_pss_gib": peak_pss / GIB if pss_seen else None,
            "stdout": out, "stderr": err[:match.start()]}


def _cli_seconds(stdout: str) -> tuple[float | None, float | None]:
    """(total, simulation) seconds from the CLI's last line 'Wrote DIR in X s (simulation Y s)'."""
    m = re.search(r"Wrote .* in ([0-9.]+) s \(simulation ([0-9.]+) s\)", stdout)
    return (float(m.group(1)), float(m.group(2))) if m else (None, None)


def run_cli(label: str, args: list[str], interval: float, jobs: int | None) -> dict:
    out_dir = Path(tempfile.mkdtemp(prefix="ftsim-bench-"))
    try:
        cmd = [sys.executable, "-m", "ftsim", str(SCENARIO), "--out", str(out_dir), *args]
        if jobs is not None:
            cmd += ["--jobs", str(jobs)]
        print(f"running: {label}: {' '.join(cmd[1:])}", flush=True)
        m = measure(cmd, interval)
        if m["rc"] != 0:
            raise RuntimeError(f"{label} failed (exit {m['rc']}):\n{m['stderr'][-3000:]}")
        total, simulation = _cli_seconds(m["stdout"])
        sizes = {p.name: p.stat().st_size for p in out_dir.rglob("*") if p.is_file()}
        m.update(label=label, cli_total_s=total, cli_simulation_s=simulation, files=sizes)
        print(f"  wall {fmt_s(m['wall'])} s (inside: total {total} s, simulation {simulation} s); "
              f"max RSS one process {m['max_rss_one_process_gib']:.2f} GiB, tree RSS "
              f"{m['peak_tree_rss_gib']:.2f} GiB, tree PSS {_gib(m['peak_tree_pss_gib'])}", flush=True)
        return m
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def run_inprocess(paths: int, jobs: int, interval: float) -> dict:
    label = f"in-process simulate + summary, {paths:,} paths, jobs {jobs}"
    print(f"running: {label}", flush=True)
    m = measure([sys.executable, "-c", INPROCESS, str(SCENARIO), str(paths), str(jobs)], interval)
    if m["rc"] != 0:
        raise RuntimeError(f"in-process run failed:\n{m['stderr'][-3000:]}")
    inner = json.loads(re.search(r"@@INPROCESS@@(\{.*\})", m["stdout"]).group(1))
    m.update(label=label, inner=inner)
    print(f"  simulate {fmt_s(inner['simulate'])} s + summary {fmt_s(inner['summary'])} s = "
          f"{fmt_s(inner['simulate_plus_summary'])} s (import {fmt_s(inner['import'])} s, process "
          f"wall {fmt_s(m['wall'])} s); max RSS one process {m['max_rss_one_process_gib']:.2f} GiB, "
          f"tree PSS {_gib(m['peak_tree_pss_gib'])}", flush=True)
    return m


def _gib(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f} GiB"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20k with report, 100k without, 100k in-process")
    parser.add_argument("--big", action="store_true", help="also 10,000,000 paths without report")
    parser.add_argument("--jobs", type=int, default=None,
                        help="--jobs for the CLI (default: the CLI's default, all cores)")
    parser.add_argument("--inprocess-jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--interval", type=float, default=0.05, help="memory sampling period, s")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    info = print_machine("ftsim command line: wall time and peak memory (bench_cli.py)")
    default_paths = 20_000 if args.quick else None
    big_paths = 100_000 if args.quick else 1_000_000
    runs = []
    runs.append(run_cli(f"default command{f' ({default_paths:,} paths)' if default_paths else ''}"
                        " incl. report",
                        ["--paths", str(default_paths)] if default_paths else [], args.interval,
                        args.jobs))
    runs.append(run_cli(f"--paths {big_paths:,} --no-report",
                        ["--paths", str(big_paths), "--no-report"], args.interval, args.jobs))
    inproc = run_inprocess(big_paths, args.inprocess_jobs, args.interval)
    if args.big:
        runs.append(run_cli("--paths 10,000,000 --no-report",
                            ["--paths", "10000000", "--no-report"], args.interval, args.jobs))

    print("\n## Command line (fresh process each; wall includes interpreter start and imports)\n")
    print(table(["command", "wall s", "CLI total s", "simulation s", "max RSS one process GiB",
                 "peak tree RSS GiB", "peak tree PSS GiB", "paths.parquet MB"],
                [[r["label"], fmt_s(r["wall"]), r["cli_total_s"], r["cli_simulation_s"],
                  f"{r['max_rss_one_process_gib']:.2f}", f"{r['peak_tree_rss_gib']:.2f}",
                  _gib(r["peak_tree_pss_gib"]).replace(" GiB", ""),
                  f"{r['files'].get('paths.parquet', 0) / 1e6:.1f}"] for r in runs]))
    i = inproc["inner"]
    print("\n## Simulation plus summary, in process (report and files excluded)\n")
    print(table(["run", "simulate s", "summary s", "simulate + summary s", "import s",
                 "process wall s", "max RSS one process GiB", "peak tree PSS GiB"],
                [[inproc["label"], fmt_s(i["simulate"]), fmt_s(i["summary"]),
                  fmt_s(i["simulate_plus_summary"]), fmt_s(i["import"]), fmt_s(inproc["wall"]),
                  f"{inproc['max_rss_one_process_gib']:.2f}",
                  _gib(inproc["peak_tree_pss_gib"]).replace(" GiB", "")]]))
    for r in runs + [inproc]:
        r.pop("stdout", None)
        r.pop("stderr", None)
    write_json(args.json, {"machine": info, "cli": runs, "inprocess": inproc})
    return 0


if __name__ == "__main__":
    sys.exit(main())
