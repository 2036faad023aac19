"""``python -m ftsim replay RUN_DIR``: re-run a finished run from its folder and check that
it gives the same numbers, bit for bit.

The scenario is rebuilt from the folder's scenario.toml (checked against summary.json's
sha256) with the recorded overrides, supplied inputs and stress bands, and simulated again
with the recorded paths, seed, sampler and chunk size. The per-path file (every sampled
input and outcome), summary.json (apart from ``simulation.seconds``) and monthly.csv are
compared with what the replay gives. Nothing is written.

Exit codes: 0 identical; 1 not identical (a difference, or a run folder whose own files were
edited after the run); 2 cannot replay (not a run folder, no scenario copy, the scenario no
longer loads).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..core.metrics import max_half_width
from ..core.plan import BACKENDS
from ..core.replay import Difference, json_differences
from ..core.result import Result
from ..core.runner import simulate
from ..core.summary import summarize
from ..output import RunFolderError, RunInfo, monthly_csv_text, summary_json
from ..output.replay import Rebuilt, ReplayRefused, per_path_differences, rebuild
from .common import MAX_JOBS, UsageError, start_workers, whole

__all__ = ["add_replay_arguments", "replay_command", "EXIT_IDENTICAL", "EXIT_DIFFERS"]

EXIT_IDENTICAL, EXIT_DIFFERS = 0, 1
IGNORED = ("simulation.seconds",)  # wall-clock time: the one field a replay cannot repeat
_SHOWN = 8  # differences listed per file


def add_replay_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run_dir", type=Path, metavar="RUN_DIR", help="a finished run folder")
    parser.add_argument("--jobs", type=whole(1, MAX_JOBS), default=None,
                        help="parallel workers (default: all cores; the numbers do not "
                             "depend on it)")
    parser.add_argument("--backend", choices=[b for b in BACKENDS if b != "dask"],
                        default="auto", help="as for a run (the numbers do not depend on it)")
    parser.add_argument("--json", action="store_true",
                        help="print the outcome as JSON (identical, differences, notes)")
    parser.add_argument("--quiet", action="store_true", help="print the last line only")


def _simulate(rebuilt: Rebuilt, args: argparse.Namespace) -> Result:
    result = simulate(rebuilt.scenario, paths=rebuilt.paths, seed=rebuilt.seed,
                      sampler=rebuilt.sampler, chunk_size=rebuilt.chunk_size, jobs=args.jobs,
                      backend=args.backend)
    if rebuilt.precision_target is None:
        return result
    # a --precision run stopped where its largest half-width is this one (runner._until_precise)
    width = max_half_width(result.hits_within(), result.n_paths)
    return result.with_precision(rebuilt.precision_target,
                                 reached=width <= rebuilt.precision_target, half_width=width)


def _listed(name: str, differences: list[Difference]) -> list[str]:
    lines = [f"  {name}: {len(differences):,} difference{'s' if len(differences) > 1 else ''}"]
    lines += [f"    {d}" for d in differences[:_SHOWN]]
    if len(differences) > _SHOWN:
        lines.append(f"    ... and {len(differences) - _SHOWN:,} more")
    return lines


def _checks(rebuilt: Rebuilt, result: Result) -> tuple[list[str], list[str]]:
    """Compare the replay with the stored files; (lines to print, names that differ)."""
    lines, differ = [], []
    stored = rebuilt.stored
    paths_file = stored.paths_file
    with ThreadPoolExecutor(max_workers=1) as pool:  # Arrow reads while the summary is made
        compared = None if paths_file is None else pool.submit(per_path_differences,
                                                               paths_file, result)
        summary = summarize(result)
    if paths_file is None or compared is None:
        lines.append("  per-path file: none (a --no-paths run): inputs not compared")
    else:
        found, count = compared.result()
        if found:
            lines += _listed(paths_file.name, found)
            differ.append(paths_file.name)
        else:
            lines.append(f"  {paths_file.name}: {count:,} values (every input and outcome "
                         "of every path) bit for bit equal")
    replayed = summary_json(summary, RunInfo(result.seconds, rebuilt.record))
    found = json_differences(rebuilt.summary_dict, replayed, IGNORED)
    if found:
        lines += _listed("summary.json", found)
        differ.append("summary.json")
    else:
        lines.append("  summary.json: bit for bit equal apart from simulation.seconds")
    monthly = stored.folder / "monthly.csv"
    if monthly.is_file():
        if monthly.read_text(encoding="utf-8") == monthly_csv_text(summary):
            lines.append("  monthly.csv: byte for byte equal")
        else:
            lines.append("  monthly.csv: differs")
            differ.append("monthly.csv")
    return lines, differ


def replay_command(args: argparse.Namespace, command: str) -> int:
    """Replay, compare, print; exit 0 when identical, 1 when not (see the module's doc)."""
    started = time.perf_counter()
    start_workers(args)  # numba and the kernel load in the background while the folder is read
    try:
        rebuilt = rebuild(args.run_dir)
    except RunFolderError as error:
        raise UsageError(str(error)) from None
    except ReplayRefused as error:
        if not error.altered:
            raise UsageError(str(error)) from None
        return _finish(args, False, [f"  {error}"], ["run folder"], started, None)
    s = rebuilt.stored.summary
    head = (f"Replay of {rebuilt.stored.folder}: {s.scenario.file}, {rebuilt.paths:,} paths, "
            f"seed {rebuilt.seed}, sampler {rebuilt.sampler}, chunks of {rebuilt.chunk_size:,}")
    lines = [head] + [f"  {note}" for note in rebuilt.notes + rebuilt.changed]
    result = _simulate(rebuilt, args)
    checked, differ = _checks(rebuilt, result)
    if rebuilt.changed:
        differ.insert(0, "inputs of the run changed")
    return _finish(args, not differ, lines + checked, differ, started, result)


def _finish(args: argparse.Namespace, identical: bool, lines: list[str], differ: list[str],
            started: float, result: Result | None) -> int:
    seconds = time.perf_counter() - started
    timing = f"in {seconds:.1f} s" + (f" (simulation {result.seconds:.1f} s)" if result else "")
    last = (f"replayed: identical {timing}" if identical
            else f"replayed: differs ({', '.join(differ)}) {timing}")
    if args.json:
        out: dict[str, Any] = {"identical": identical, "differs": differ,
                               "lines": lines, "seconds": round(seconds, 3)}
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    else:
        if not args.quiet:
            print("\n".join(lines))
        print(last)
    return EXIT_IDENTICAL if identical else EXIT_DIFFERS
