"""Where a command's wall time goes, phase by phase, and its peak memory (issue 15).

For each case, two kinds of fresh-process runs, ``--runs`` of each (medians reported):

* **plain**: the real command, ``python -m ftsim scenarios/support_bot.toml ...``: wall
  time as a user sees it (process launch to exit), its CPU time (user + system, with the
  children it waited for: the figure that holds when other work shares the machine) and
  the peak memory of its process tree
  (RSS and PSS summed over the command and its workers, sampled every ``--interval`` s;
  PSS splits shared pages, e.g. /dev/shm result arrays, between the processes mapping them).
* **phased**: the same command through ``ftsim.cli.main.main`` in a child that installs
  the core's timing hook (``ftsim.core.timing``) and wraps the CLI's steps (scenario load,
  simulation, summary, each ``write_*`` file writer, the report), so its wall time splits
  into: interpreter start, imports, scenario load, worker start, sampling, dynamics, option
  recursion, summary, each output file, report, interpreter exit. Phases run in workers
  or threads are summed over chunks (CPU seconds, shown under the simulation's wall).

Cases: ``default`` (100,000 paths, report and paths file: the README's command),
``no-report`` (``--no-report --no-paths``), ``1m`` (1,000,000 paths, ``--no-report
--no-paths``), ``1m-full`` (1,000,000 paths with report and paths file), ``10m``
(10,000,000 paths, ``--no-paths``) and ``10m-no-report``. Each phase also shows the
process's peak RSS when it ended (which phase sets the peak). Run by hand, on an idle
machine; note the load average printed beside each figure::

    python benchmarks/phases.py                          # default, no-report, 1m; 5 runs each
    python benchmarks/phases.py --cases 10m --runs 1 --no-phased
    python benchmarks/phases.py --importtime             # what a --no-report run imports
    python benchmarks/phases.py --root /tmp/old-checkout # measure another source tree

``--root DIR`` runs the ftsim found in DIR (cwd and PYTHONPATH), e.g. a ``git archive`` of
an older commit, for before/after figures; phases it does not time are simply missing.
``--against DIR`` runs DIR's plain command right after each of ``--root``'s, so both see
the same machine (this VM's speed drifts by up to 40% within an hour)::

    git worktree add --detach /tmp/before 69ac378   # 0.3.1
    python benchmarks/phases.py --cases default,no-report --runs 10 --no-phased \
        --against /tmp/before

The tree's modules are compiled to bytecode first (``compileall``), as a user's first run
leaves them: where PYTHONDONTWRITEBYTECODE is set (this workplace sets it) a module edited
since its last ``.pyc``, or a fresh checkout, would otherwise be compiled again by every
run -- 10 ms a module, 0.3 s or more for a tree without any.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GIB = 2**30
CASES = {
    "default": [],
    "no-report": ["--no-report", "--no-paths", "--quiet"],
    "1m": ["--paths", "1000000", "--no-report", "--no-paths", "--quiet"],
    "1m-full": ["--paths", "1000000", "--quiet"],
    "10m": ["--paths", "10000000", "--no-paths", "--quiet"],
    "10m-no-report": ["--paths", "10000000", "--no-report", "--no-paths", "--quiet"],
}
# CLI steps timed by wrapping the names ftsim.cli.run calls (whatever they are today);
# every other callable named write_* there is timed under its own name.
_CLI_STEPS = {"load": "scenario load", "check_memory": "memory check",
              "simulate": "simulate() call",
              "summarize": "summary", "breakeven_curve": "breakeven curve"}
_CHUNK_PREFIX = "chunk: "  # core phases timed per chunk (summed)


# ---------------------------------------------------------------------------- child side

def _child(out_file: str, program: str, argv: list[str]) -> int:
    """Run the CLI in this process with every phase recorded; write the events as JSON.
    With ``program`` "run", exit as ``ftsim.cli.main.run`` does (no interpreter teardown)."""
    import resource

    t0 = time.perf_counter()
    events: list[tuple[str, float, float, str, int]] = []

    pid = os.getpid()

    def record(name: str, start: float, end: float) -> None:
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if os.getpid() == pid:
            events.append((name, start, end, threading.current_thread().name, peak_kib))
            return
        # a forked process (the report's, a figure's): one line per event in a side file
        event = (name, start, end, f"pid {os.getpid()}", peak_kib)
        with open(f"{out_file}.{os.getpid()}", "a") as side:
            side.write(json.dumps(event) + "\n")

    import importlib

    # the imports a command pays before it starts (the package's `main` attribute is the
    # function, so the module is taken from import_module)
    cli_main = importlib.import_module("ftsim.cli.main")
    t_imports = time.perf_counter()
    try:
        from ftsim.core import timing
        timing.set_recorder(record)
    except ImportError:  # an older tree without the hook: CLI steps only
        pass
    _wrap_cli_steps(record)
    prepare = getattr(cli_main, "prepare_program", None)  # older trees: none
    if prepare is not None:
        prepare()  # as the program (ftsim.cli.main.run) does before main()
    try:
        code = cli_main.main(argv)
    finally:
        t_end = time.perf_counter()
        for side in sorted(Path(out_file).parent.glob(Path(out_file).name + ".*")):
            events.extend(tuple(json.loads(line)) for line in side.read_text().splitlines())
            side.unlink()
        Path(out_file).write_text(json.dumps({"t0": t0, "t_imports": t_imports, "t_end": t_end,
                                              "events": events}))
    if program == "run" and hasattr(cli_main, "run"):
        sys.stdout.flush()
        sys.stderr.flush()
        if not cli_main._needs_full_exit():
            os._exit(code)
    return code


def _timed(fn, name: str, record):
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            record(name, start, time.perf_counter())
    return wrapper


def _wrap_cli_steps(record) -> None:
    import ftsim.cli.run as run

    try:  # the per-path file, written on a background thread (output.paths.PathsWriter)
        import ftsim.output.paths as paths_module

        for attr in [a for a in vars(paths_module) if a.startswith("write_paths_")]:
            setattr(paths_module, attr, _timed(getattr(paths_module, attr),
                                               f"file: {attr[len('write_'):]} (background)",
                                               record))
    except ImportError:  # an older tree
        pass

    for attr in list(vars(run)):
        value = getattr(run, attr)
        if not callable(value) or isinstance(value, type):
            continue
        if attr in _CLI_STEPS:
            setattr(run, attr, _timed(value, _CLI_STEPS[attr], record))
        elif attr == "write_run":
            setattr(run, attr, _with_report_timed(value, record))
        elif attr.startswith("write_"):
            setattr(run, attr, _timed(value, f"file: {attr[len('write_'):]}", record))


def _with_report_timed(write_run, record):
    """write_run, with the report's writer (imported lazily inside it) timed as "report"."""
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            # the report is timed here only when this process writes it (not when the
            # command's report process does: importing it here would add time the run
            # does not spend)
            if kwargs.get("report", True) and kwargs.get("writer") is None:
                import ftsim.report as report  # imported here by the real run too

                if hasattr(report, "write_report") and not hasattr(report.write_report,
                                                                  "__wrapped_by_phases__"):
                    report.write_report = _timed(report.write_report, "report", record)
                    report.write_report.__wrapped_by_phases__ = True
            return write_run(*args, **kwargs)
        finally:
            record("writing (files + report)", start, time.perf_counter())
    return wrapper


# --------------------------------------------------------------------------- parent side

def _tree_memory(proc) -> tuple[int, int | None]:
    """(sum of RSS, sum of PSS or None) over a psutil process and its descendants."""
    import psutil

    rss, pss = 0, 0
    pss_ok = True
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0, None
    for p in members:
        try:
            full = p.memory_full_info()
            rss += full.rss
            pss += getattr(full, "pss", 0)
            pss_ok = pss_ok and hasattr(full, "pss")
        except (psutil.AccessDenied, psutil.ZombieProcess):
            pss_ok = False
        except psutil.NoSuchProcess:
            pass
    return rss, pss if pss_ok else None


def _run(cmd: list[str], cwd: Path, env: dict[str, str], interval: float) -> dict:
    """Launch ``cmd``; wall time (launch to exit) and peak tree RSS / PSS."""
    import psutil

    t_launch = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    err: list[str] = []
    reader = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    reader.start()
    me = psutil.Process(proc.pid)
    peak_rss = peak_pss = 0
    pss_seen = True
    status = usage = None
    while status is None:
        rss, pss = _tree_memory(me)
        peak_rss = max(peak_rss, rss)
        if pss is None:
            pss_seen = False
        else:
            peak_pss = max(peak_pss, pss)
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == 0:
            status = None
            time.sleep(interval)
    t_done = time.perf_counter()
    proc.returncode = os.waitstatus_to_exitcode(status)
    reader.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}:\n{''.join(err)[-3000:]}")
    # CPU seconds of the command and the children it waited for (workers, renderers):
    # what the run costs whatever else the machine is doing
    return {"t_launch": t_launch, "wall": t_done - t_launch, "t_done": t_done,
            "cpu": usage.ru_utime + usage.ru_stime,
            "peak_rss_gib": peak_rss / GIB, "peak_pss_gib": peak_pss / GIB if pss_seen else None}


def _command_args(case: str, out: Path, jobs: str | None) -> list[str]:
    args = ["scenarios/support_bot.toml", "--out", str(out), *CASES[case]]
    return args + (["--jobs", jobs] if jobs else [])


def _program(program: str) -> list[str]:
    """``python -m ftsim``, or the same through ``ftsim.cli.main.run`` (the entry point
    that skips the interpreter's teardown), for trees whose ``__main__`` does not yet."""
    if program == "run":
        return [sys.executable, "-c", "from ftsim.cli.main import run; run()"]
    return [sys.executable, "-m", "ftsim"]


def _phases_of(run: dict, child: dict) -> dict[str, float]:
    """Seconds per phase of one phased run (chunk phases summed; see the module doc)."""
    phases = {"interpreter start": child["t0"] - run["t_launch"],
              "imports (ftsim.cli)": child["t_imports"] - child["t0"]}
    for name, start, end, *_ in child["events"]:
        phases[name] = phases.get(name, 0.0) + (end - start)
    main = [(s, e) for n, s, e, t, *_ in child["events"]
            if t == "MainThread" and not n.startswith(_CHUNK_PREFIX)]
    covered = _union_length(main)
    phases["interpreter exit"] = run["t_done"] - child["t_end"]
    phases["other (main thread, untimed)"] = (child["t_end"] - child["t_imports"]) - covered
    return phases


def _union_length(intervals: list[tuple[float, float]]) -> float:
    total, reach = 0.0, -float("inf")
    for start, end in sorted(intervals):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _measure_case(case: str, opts: argparse.Namespace) -> dict:
    root = Path(opts.root).resolve()
    env = dict(os.environ, PYTHONPATH=str(root))
    load = [round(x, 2) for x in os.getloadavg()]
    plain, phased, against = [], [], []
    for i in range(opts.runs):
        out = Path(tempfile.mkdtemp(prefix="ftsim-phases-"))
        try:
            if not opts.no_plain:
                cmd = [*_program(opts.program), *_command_args(case, out, opts.jobs)]
                plain.append(_run(cmd, root, env, opts.interval))
                if opts.against:  # the other tree's run right after this one's
                    other = Path(opts.against).resolve()
                    against.append(_run(cmd, other, dict(os.environ, PYTHONPATH=str(other)),
                                        opts.interval))
            if not opts.no_phased:
                events = out / "phases.json"
                cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(events),
                       opts.program, "--", *_command_args(case, out / "phased", opts.jobs)]
                (out / "phased").mkdir()
                run = _run(cmd, root, env, opts.interval)
                child = json.loads(events.read_text())
                run["phases"] = _phases_of(run, child)
                run["peak_gib_after"] = {name: peak / 2**20 for name, *_, peak in child["events"]}
                phased.append(run)
        finally:
            shutil.rmtree(out, ignore_errors=True)
        print(f"  {case} run {i + 1}/{opts.runs}: "
              + (f"plain {plain[-1]['wall']:.2f} s " if plain else "")
              + (f"against {against[-1]['wall']:.2f} s " if against else "")
              + (f"phased {phased[-1]['wall']:.2f} s" if phased else ""), flush=True)
    return {"case": case, "args": CASES[case], "program": opts.program, "load_before": load,
            "load_after": [round(x, 2) for x in os.getloadavg()], "plain": plain,
            "phased": phased, "against": against, "against_root": opts.against}


# ------------------------------------------------------------------------------ printing

def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def _print_case(m: dict) -> None:
    print(f"\n## {m['case']}: python -m ftsim scenarios/support_bot.toml {' '.join(m['args'])}"
          f" (plain runs: {m['program']})\n")
    print(f"load average before {m['load_before']}, after {m['load_after']}\n")
    rows = []
    for kind in ("plain", "against", "phased"):
        runs = m.get(kind)
        if runs:
            walls = [r["wall"] for r in runs]
            pss = [r["peak_pss_gib"] for r in runs if r["peak_pss_gib"] is not None]
            shown_pss = f"{max(pss):.2f}" if pss else "n/a"
            cpu = _median([r["cpu"] for r in runs])
            label = f"plain, {m['against_root']}" if kind == "against" else kind
            rows.append(f"| {label} | {len(runs)} | {_median(walls):.2f} | {min(walls):.2f} | "
                        f"{cpu:.2f} | {max(r['peak_rss_gib'] for r in runs):.2f} | "
                        f"{shown_pss} |")
    print("| run | n | wall median s | wall min s | CPU median s | peak tree RSS GiB | "
          "peak tree PSS GiB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    if not m["phased"]:
        return
    names: list[str] = []
    for r in m["phased"]:
        names += [n for n in r["phases"] if n not in names]
    wall = _median([r["wall"] for r in m["phased"]])
    print("\n| phase | median s | share of wall | peak RSS at its end, GiB |")
    print("|---|---:|---:|---:|")
    for name in names:
        value = _median([r["phases"].get(name, 0.0) for r in m["phased"]])
        label = f"&nbsp;&nbsp;{name} (sum over chunks)" if name.startswith(_CHUNK_PREFIX) else name
        peaks = [r.get("peak_gib_after", {}).get(name) for r in m["phased"]]
        peak = max((p for p in peaks if p is not None), default=None)
        shown = "" if peak is None else f"{peak:.2f}"
        print(f"| {label} | {value:.3f} | {100 * value / wall:.0f}% | {shown} |")
    print(f"| **wall (phased run)** | {wall:.3f} | 100% |")


def _importtime(opts: argparse.Namespace) -> None:
    """Top-level imports of a ``--no-report --no-paths`` run and the heavy ones it avoids.

    ``--jobs 1`` unless ``--jobs`` is given: worker processes inherit -X importtime and
    their lines would mix with the command's own.
    """
    root = Path(opts.root).resolve()
    with tempfile.TemporaryDirectory(prefix="ftsim-phases-") as out:
        cmd = [sys.executable, "-X", "importtime", "-m", "ftsim",
               *_command_args("no-report", Path(out), opts.jobs or "1")]
        err = subprocess.run(cmd, cwd=root, env=dict(os.environ, PYTHONPATH=str(root)),
                             capture_output=True, text=True, check=True).stderr
    rows = []  # (name with its indentation, cumulative microseconds)
    for line in err.splitlines():
        parts = line.split("|")
        if line.startswith("import time:") and len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((parts[2][1:].rstrip(), int(parts[1])))
    top = [(name, us) for name, us in rows if not name.startswith(" ")]
    print("\n## imports of `--no-report --no-paths --jobs 1` (python -X importtime, top level)\n")
    print("| module | cumulative ms |\n|---|---:|")
    for name, us in sorted(top, key=lambda r: -r[1])[:15]:
        print(f"| {name} | {us / 1000:.0f} |")
    print(f"| **all top-level imports** | {sum(us for _, us in top) / 1000:.0f} |")
    loaded = {n.strip() for n, _ in rows}
    print("\nheavy modules: " + ", ".join(
        f"{m} {'imported' if m in loaded else 'not imported'}"
        for m in ("matplotlib", "pandas", "pyarrow", "scipy.stats", "numba", "joblib",
                  "joblib.externals.loky",
                  "tqdm")))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1], argv[2], argv[4:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="default,no-report,1m",
                        help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--runs", type=int, default=5, help="runs of each kind (median)")
    parser.add_argument("--jobs", default=None, help="--jobs for the command (default: its own)")
    parser.add_argument("--interval", type=float, default=0.05, help="memory sampling, s")
    parser.add_argument("--no-plain", action="store_true", help="phased runs only")
    parser.add_argument("--program", choices=("module", "run"), default="module",
                        help="plain runs as `python -m ftsim` (default) or through "
                             "ftsim.cli.main.run()")
    parser.add_argument("--no-phased", action="store_true", help="plain runs only")
    parser.add_argument("--importtime", action="store_true", help="only the import report")
    parser.add_argument("--root", default=str(ROOT), help="source tree to measure")
    parser.add_argument("--against", default=None, metavar="DIR",
                        help="also run the plain command from this source tree, each run "
                             "right after --root's (before/after figures on a machine "
                             "whose speed drifts)")
    parser.add_argument("--json", type=Path, default=None, help="also write raw results here")
    opts = parser.parse_args(argv)
    print(f"# ftsim phases ({time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} CPUs, "
          f"root {opts.root}, PYTHONDONTWRITEBYTECODE="
          f"{os.environ.get('PYTHONDONTWRITEBYTECODE', '')!r})")
    for tree in (opts.root, opts.against):
        if tree:
            subprocess.run([sys.executable, "-m", "compileall", "-q", "ftsim"], cwd=tree,
                           check=True)
    if opts.importtime:
        _importtime(opts)
        return 0
    results = []
    for case in opts.cases.split(","):
        if case not in CASES:
            parser.error(f"unknown case {case!r}")
        results.append(_measure_case(case, opts))
        _print_case(results[-1])
    if opts.json:
        opts.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
