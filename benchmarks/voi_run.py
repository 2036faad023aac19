"""What value of information adds to a default run (issue 12 target: under 20 %).

Runs ``python -m ftsim scenarios/support_bot.toml`` (100,000 paths, its 45 random inputs,
two groups and two pilots) as a user would, alternately with value of information and with
``--set voi.enabled=false``, ``--repeat`` times each, with the report and without
(``--no-report``); prints the median and least wall and CPU (user + system) seconds of
each, and the share added. Alternating pairs spread a busy machine's noise over both arms;
CPU time is the steadier figure when other processes share the cores.

    python benchmarks/voi_run.py                  # 5 pairs each
    python benchmarks/voi_run.py --repeat 9 --json voi_run.json
    python benchmarks/voi_run.py --paths 1000000 --repeat 3 --no-report-only
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import SCENARIO, print_machine, table, write_json  # noqa: E402


def _timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (user + system of the child) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _measure(report: bool, paths: int | None, repeat: int, out: Path) -> dict[str, object]:
    base = [sys.executable, "-m", "ftsim", str(SCENARIO), "--quiet", "--out", str(out)]
    base += [] if report else ["--no-report"]
    base += [] if paths is None else ["--paths", str(paths)]
    times: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(repeat):
        for voi in (True, False):
            times[voi].append(_timed(base + ["--set", f"voi.enabled={str(voi).lower()}"]))
    row: dict[str, object] = {"report": report}
    for voi, label in ((True, "with"), (False, "without")):
        walls, cpus = [w for w, _ in times[voi]], [c for _, c in times[voi]]
        row[label] = {"wall_median": statistics.median(walls), "wall_min": min(walls),
                      "cpu_median": statistics.median(cpus), "cpu_min": min(cpus)}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--paths", type=int, default=None, help="default: the scenario's")
    parser.add_argument("--no-report-only", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    info = print_machine("Value of information: what it adds to a run (benchmarks/voi_run.py)")
    with tempfile.TemporaryDirectory() as out:
        rows = [_measure(report, args.paths, args.repeat, Path(out))
                for report in ((False,) if args.no_report_only else (True, False))]
    lines = []
    for row in rows:
        with_, without = row["with"], row["without"]
        for stat in ("wall_median", "wall_min", "cpu_median", "cpu_min"):
            a, b = with_[stat], without[stat]  # type: ignore[index]
            lines.append(["report" if row["report"] else "--no-report", stat, f"{b:.2f}",
                          f"{a:.2f}", f"{100 * (a - b) / b:+.1f} %"])
    print(table(["run", "statistic", "without VOI s", "with VOI s", "added"], lines,
                align="llrrr"))
    print(f"\nload average at the end: {[round(x, 2) for x in os.getloadavg()]}")
    write_json(args.json, {"machine": info, "rows": rows})


if __name__ == "__main__":
    main()
