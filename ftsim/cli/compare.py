"""``python -m ftsim compare RUN_A RUN_B``: what changed between two run folders, printed and
written as compare.md, compare.html and figures/compare_<option>.png."""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path
from typing import Any

from ..core.studies.compare import Comparison, PathOutcomes, compare_runs, comparison_method
from ..output import SCENARIO_COPY, RunFolderError, StoredRun, read_path_outcomes, read_run_folder
from .common import UsageError

__all__ = ["add_compare_arguments", "compare_command", "DEFAULT_PARENT"]

EXIT_OK = 0
DEFAULT_PARENT = Path("results") / "compare"


def add_compare_arguments(parser: argparse.ArgumentParser) -> None:
    """``compare``'s arguments: the two run folders and where to write."""
    parser.add_argument("run_a", type=Path, metavar="RUN_A",
                        help="the run folder compared against (e.g. last quarter's)")
    parser.add_argument("run_b", type=Path, metavar="RUN_B",
                        help="the run folder whose changes are shown (e.g. this quarter's)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="folder for compare.md, compare.html and figures/ (default: "
                             "results/compare/<A>--<B>)")
    parser.add_argument("--quiet", action="store_true", help="print only the folder written")


def _run_name(folder: Path) -> str:
    """``support_bot-20261130-101500`` for results/support_bot/20261130-101500."""
    folder = folder.resolve()
    return f"{folder.parent.name}-{folder.name}" if folder.parent.name else folder.name


def default_out(run_a: Path, run_b: Path) -> Path:
    return DEFAULT_PARENT / f"{_run_name(run_a)}--{_run_name(run_b)}"


def _read(folder: Path) -> StoredRun:
    try:
        return read_run_folder(folder)
    except RunFolderError as error:
        raise UsageError(str(error)) from error


def _scenario_file(run: StoredRun, which: str) -> tuple[dict[str, Any] | None, str | None]:
    """The run's scenario.toml parsed, or None and why."""
    if run.scenario_toml is None:
        return None, f"run {which} has {run.scenario_note}"
    try:
        return tomllib.loads(run.scenario_toml.decode("utf-8-sig")), None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        return None, f"run {which}'s {SCENARIO_COPY} is not readable TOML ({error})"


def _outcomes(run: StoredRun) -> dict[str, PathOutcomes]:
    assert run.paths_file is not None
    try:
        return read_path_outcomes(run.paths_file)
    except RunFolderError as error:
        raise UsageError(str(error)) from error


def compare(run_a: StoredRun, run_b: StoredRun) -> Comparison:
    """Read what the comparison needs (scenario copies; per-path files only when the runs
    can be paired) and compare run B against run A."""
    file_a, note_a = _scenario_file(run_a, "A")
    file_b, note_b = _scenario_file(run_b, "B")
    note = "; ".join(n for n in (note_a, note_b) if n) or None
    method = comparison_method(run_a.summary.simulation, run_b.summary.simulation,
                               run_a.paths_file is not None, run_b.paths_file is not None)
    paths_a = _outcomes(run_a) if method.paired else None
    paths_b = _outcomes(run_b) if method.paired else None
    return compare_runs(run_a.summary, run_b.summary, paths_a=paths_a, paths_b=paths_b,
                        file_a=file_a, file_b=file_b, scenario_note=note, method=method)


def _label(run: StoredRun) -> str:
    sim = run.summary.simulation
    return (f"{run.folder} ({run.summary.scenario.name}; {sim.paths:,} paths, seed {sim.seed}, "
            f"{sim.sampler} sampler)")


def compare_command(args: argparse.Namespace, command: str = "") -> int:
    """Compare RUN_B against RUN_A: print the comparison, write it under --out."""
    run_a, run_b = _read(args.run_a), _read(args.run_b)
    out = args.out if args.out is not None else default_out(args.run_a, args.run_b)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out: {out} is a file, not a folder")
    comparison = compare(run_a, run_b)
    from ..report.compare import compare_document, document_text, write_compare

    doc = compare_document(comparison, _label(run_a), _label(run_b), command=command)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"--out: cannot create {out}: {error.strerror or error}") from error
    written = write_compare(out, doc, run_a.summary, run_b.summary)
    if not args.quiet:
        figures = {stem: str(out / "figures" / f"{stem}.png") for stem in doc.figure_stems()}
        sys.stdout.write(document_text(doc, figures))
        print()
    names = ", ".join(name for name in written if not name.startswith("figures/"))
    pngs = sum(name.startswith("figures/") for name in written)
    print(f"Wrote {out}: {names} and {pngs} figure(s) in figures/")
    return EXIT_OK
