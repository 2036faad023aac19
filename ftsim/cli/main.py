"""``ftsim``'s entry point: pick the subcommand, run it, turn the outcome into an exit code
(errors, Ctrl-C, SIGTERM, a closed stdout pipe)."""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from ..core.runner import SchedulerUnreachable
from ..errors import ScenarioError
from .common import Parser, UsageError, add_common, remove_leftovers, start_workers
from .compare import add_compare_arguments, compare_command
from .optimize import add_optimize_arguments, optimize_command
from .run import EXIT_OK, add_run_arguments, run_command
from .studies import add_breakeven_arguments, add_sweep_arguments, run_breakeven, run_sweep

__all__ = ["main", "run", "build_parser", "EXIT_OK", "EXIT_INTERNAL", "EXIT_BAD_INPUT",
           "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE", "EXIT_TERMINATED"]

EXIT_INTERNAL, EXIT_BAD_INPUT = 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 130, 141, 143  # 128 + signal number
SUBCOMMANDS = ("run", "sweep", "breakeven", "compare", "optimize")


def build_parser() -> dict[str, argparse.ArgumentParser]:
    """One parser per subcommand; ``run`` is the default when the first word is a file."""
    run = Parser(prog="ftsim", description="Probability that fine-tuning pays back within "
                 "N months against a prompted API baseline (Monte Carlo).")
    add_common(run)
    add_run_arguments(run)
    sweep = Parser(prog="ftsim sweep", description="Re-run a scenario over values of one key "
                   "(common random numbers).")
    add_common(sweep)
    add_sweep_arguments(sweep)
    breakeven = Parser(prog="ftsim breakeven", description="Tokens per month at which "
                       "P(payback within N) reaches 0.5 and the required probability.")
    add_common(breakeven)
    add_breakeven_arguments(breakeven)
    compare = Parser(prog="ftsim compare", description="What changed between two run "
                     "folders: scenario diff, P(payback), NPV and drivers per option.")
    add_compare_arguments(compare)
    optimize = Parser(prog="ftsim optimize", description="Search an option's retraining "
                      "policy (cadence, on-drift retraining, detection lag) under common "
                      "random numbers.")
    add_common(optimize)
    add_optimize_arguments(optimize)
    return {"run": run, "sweep": sweep, "breakeven": breakeven, "compare": compare,
            "optimize": optimize}


def _dispatch(argv: list[str], command: str) -> int:
    parsers = build_parser()
    name = argv[0] if argv and argv[0] in SUBCOMMANDS else "run"
    rest = argv[1:] if argv and argv[0] in SUBCOMMANDS else argv
    args = parsers[name].parse_args(rest)
    if name == "compare":  # reads two finished runs: nothing simulated, no run folder
        return compare_command(args, command)
    start_workers(args)  # numba and the kernel load in the background meanwhile
    remove_leftovers(args.out)
    command_of = {"run": run_command, "sweep": run_sweep, "breakeven": run_breakeven,
                  "optimize": optimize_command}
    return command_of[name](args, command)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m ftsim`` and the ``ftsim`` script; returns the exit code.

    Exit codes: 0 done, 1 internal error, 2 bad input (nothing simulated, nothing written),
    130 interrupted (SIGINT) and 143 terminated (SIGTERM), leaving no run folder; 141 stdout
    closed by its reader (``| head``).
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    command = "python -m ftsim " + shlex.join(argv)
    previous = _terminate_like_interrupt()
    try:
        code = _dispatch(argv, command)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler, not at exit
        return code
    except BrokenPipeError:
        # The reader (``| head``) went away. Point stdout at devnull so the interpreter's
        # final flush does not raise again (Python docs, "Note on SIGPIPE").
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except ScenarioError as error:
        for issue in error.issues:
            print(f"error: {issue}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no run folder was completed", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print("terminated: no run folder was completed", file=sys.stderr)
        return EXIT_TERMINATED
    except SchedulerUnreachable as error:
        print(f"error: --scheduler: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as error:  # noqa: BLE001 - the CLI's last line of defence
        if os.environ.get("FTSIM_DEBUG"):
            raise
        print(f"internal error: {type(error).__name__}: {error} "
              "(set FTSIM_DEBUG=1 for a traceback)", file=sys.stderr)
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run() -> NoReturn:
    """``main()`` as a program (``python -m ftsim``, the ``ftsim`` script): exit with its
    code without tearing the interpreter down.

    Why: with numba's kernels loaded, the interpreter's final teardown (module dicts, LLVM's
    destructors) takes 0.3-0.5 s after the run is done -- a quarter of a small run's wall
    time. Every file is closed and stdout flushed by then; the chunk threads are idle. A
    run that used worker processes or Dask exits normally, so their shutdown hooks run.
    """
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed pipe or stream: nothing left to say
            pass
    if _needs_full_exit():
        raise SystemExit(code)
    os._exit(code)


def _needs_full_exit() -> bool:
    """Whether shutdown hooks still have work: worker processes (loky, Dask) or children."""
    if "joblib" in sys.modules or "distributed" in sys.modules:
        return True
    children = sys.modules.get("multiprocessing")
    return children is not None and bool(children.active_children())


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the run's temporary folder is removed."""


def _terminate_like_interrupt() -> Any:
    """Handle SIGTERM (``kill``, ``timeout``) like Ctrl-C: clean up, exit 143. Returns the
    previous handler, or None where handlers cannot be set (not the main thread)."""
    def handler(signum: int, frame: object) -> None:
        raise Terminated

    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:  # signal only works in the main thread
        return None
