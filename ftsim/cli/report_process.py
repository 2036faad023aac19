"""The run's report written by a process forked when the command starts.

Why: the report needs matplotlib, Typst and Jinja2, ~0.4 s of imports (and first-use
set-up) that a run used to pay after its summary, with nothing else to do. Forked before
the chunk threads exist, the process imports them while the run loads numba and
simulates -- mostly on the second core, which sits idle while numba loads -- and then
waits for the summary. The parent sends the job, answers the one question the process
asks (may report.pdf be moved into place? the parent first waits for its per-path file)
and gets back the paths written.

Only where fork is available (Linux) and only from a process with no other thread, native
ones included (a fork copies one thread; locks other threads held would stay held in the
child, e.g. Typst's worker pool after a compile): a command-line run always qualifies, an
in-process call with threads already running writes its report in process instead.
"""

from __future__ import annotations

import gc
import multiprocessing
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.plan import single_threaded
from ..core.summary_types import Summary
from ..core.timing import phase
from ..scenario import Scenario

__all__ = ["ReportProcess", "report_process"]


@dataclass(frozen=True)
class _Job:
    run_dir: Path
    summary: Summary
    scenario: Scenario
    command: str
    seconds: float
    breakeven: Any


class ReportProcess:
    """A forked process holding the report's imports, ready to write one run's report."""

    def __init__(self, process: Any, connection: Any) -> None:
        self._process = process
        self._connection = connection
        self._finished = False

    @classmethod
    def start(cls) -> ReportProcess | None:
        """Fork the process now; None where that is not possible or not safe (see module)."""
        if not sys.platform.startswith("linux") or not single_threaded():
            return None
        context = multiprocessing.get_context("fork")
        parent_end, child_end = context.Pipe(duplex=True)
        # not a daemon: it forks its own figure-drawing processes (render.py)
        process = context.Process(target=_serve, args=(child_end, parent_end),
                                  name="ftsim-report")
        process.start()
        child_end.close()
        return cls(process, parent_end)

    def write(self, run_dir: Path, summary: Summary, scenario: Scenario, *, command: str,
              seconds: float, breakeven: Any = None,
              before_pdf: Callable[[], object] | None = None) -> dict[str, Path]:
        """``report.write.write_report`` in the process: same files, same order, same
        result; an error there is raised here."""
        self._connection.send(_Job(Path(run_dir), summary, scenario, command, seconds,
                                   breakeven))
        while True:
            try:
                kind, payload = self._connection.recv()
            except EOFError:
                self._process.join(timeout=5)
                raise RuntimeError(f"the report process ended without a report (exit code "
                                   f"{self._process.exitcode})") from None
            if kind == "before_pdf":
                if before_pdf is not None:
                    before_pdf()
                self._connection.send("go")
            elif kind == "done":
                self._finished = True
                return dict(payload)
            else:
                raise RuntimeError(f"report: {payload}")

    def close(self) -> None:
        """End the process: a finished one exits by itself; one that was never sent a job
        (the run failed or was interrupted) or is still writing is terminated. Idempotent."""
        self._connection.close()
        if self._finished:
            self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


@contextmanager
def report_process(wanted: bool) -> Iterator[ReportProcess | None]:
    """A ReportProcess for the block when ``wanted`` and possible, closed at its end."""
    process = ReportProcess.start() if wanted else None
    try:
        yield process
    finally:
        if process is not None:
            process.close()


def _serve(connection: Any, parent_end: Any) -> None:
    """The forked process: import, warm up, write the one report it is sent, or exit when
    the pipe closes first. Ctrl-C is the parent's; SIGTERM (the parent's close) ends it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent_end.close()  # the fork's copy: with it open, the parent's close would not show
    with phase("report process: imports and warm-up"):
        from ..report.write import warm_up, write_report  # what this process is for

        warm_up()
    # what the imports and the warm-up made lives until this process exits: out of the
    # cyclic collector's full walks while the figures are drawn (see cli.main.run)
    gc.freeze()
    try:
        job = connection.recv()
    except EOFError:
        return

    def before_pdf() -> None:
        connection.send(("before_pdf", None))
        connection.recv()

    try:
        written = write_report(job.run_dir, job.summary, job.scenario, command=job.command,
                               seconds=job.seconds, breakeven=job.breakeven,
                               before_pdf=before_pdf)
    except Exception as error:  # noqa: BLE001 - the parent reports it
        connection.send(("error", f"{type(error).__name__}: {error}"))
    else:
        connection.send(("done", written))
