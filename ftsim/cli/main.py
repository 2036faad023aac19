"""``ftsim``'s entry point: pick the subcommand, run it, turn the outcome into an exit code
(errors, Ctrl-C, SIGTERM, a closed stdout pipe)."""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import shlex
import signal
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, NoReturn

from ..core.runner import SchedulerUnreachable
from ..errors import ScenarioError
from .common import Parser, UsageError, add_common, remove_leftovers, start_workers
from .run import EXIT_OK

__all__ = ["main", "run", "build_parser", "COMMANDS", "EXIT_OK", "EXIT_INTERNAL",
           "EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_BROKEN_PIPE", "EXIT_TERMINATED"]

EXIT_INTERNAL, EXIT_BAD_INPUT = 1, 2
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 130, 141, 143  # 128 + signal number


@dataclass(frozen=True)
class Command:
    """One subcommand: where its options and its function live (imported only when the
    command runs, so a run never pays for the other commands' imports), and whether it
    simulates (takes the common options, starts the chunk threads, owns a run folder).
    ``before_threads``: a function of the module, ``(args) -> context manager``, entered
    before any thread starts and left when the command ends (the run forks its report
    process there: a fork must not copy other threads' locks)."""

    module: str
    add_arguments: str
    function: str
    description: str
    simulates: bool = True
    before_threads: str | None = None


COMMANDS: dict[str, Command] = {
    "run": Command("ftsim.cli.run", "add_run_arguments", "run_command",
                   "Probability that fine-tuning pays back within N months against a prompted "
                   "API baseline (Monte Carlo).", before_threads="report_process_for"),
    "sweep": Command("ftsim.cli.studies", "add_sweep_arguments", "run_sweep",
                     "Re-run a scenario over values of one key (common random numbers)."),
    "breakeven": Command("ftsim.cli.studies", "add_breakeven_arguments", "run_breakeven",
                         "Tokens per month at which P(payback within N) reaches 0.5 and the "
                         "required probability."),
    "compare": Command("ftsim.cli.compare", "add_compare_arguments", "compare_command",
                       "What changed between two run folders: scenario diff, P(payback), NPV "
                       "and drivers per option.", simulates=False),
    "optimize": Command("ftsim.cli.optimize", "add_optimize_arguments", "optimize_command",
                        "Search an option's retraining policy (cadence, on-drift retraining, "
                        "detection lag) under common random numbers."),
    "prices": Command("ftsim.cli.prices", "add_prices_arguments", "prices_command",
                      "Catalog models (genai-prices, bundled snapshot, no network) matching "
                      "every word, with their per-token prices.", simulates=False),
    "calibrate-prices": Command("ftsim.cli.prices", "add_calibrate_arguments",
                                "calibrate_command", "Fit a [prices.<name>] table to a dated "
                                "price history and print it as TOML.", simulates=False),
    "replay": Command("ftsim.cli.replay", "add_replay_arguments", "replay_command",
                      "Re-run a finished run from its folder and check that summary.json and "
                      "the per-path file come out bit for bit the same.", simulates=False),
    "stress": Command("ftsim.cli.stress", "add_stress_arguments", "stress_command",
                      "The top drivers confined in turn to percentile bands (every other draw "
                      "unchanged): P(payback) and median NPV per band."),
    "wait": Command("ftsim.cli.wait", "add_wait_arguments", "wait_command",
                    "Value of waiting k months before deciding (the option to wait): decide "
                    "then on the history seen, against deciding now."),
    "voi": Command("ftsim.cli.voi", "add_voi_arguments", "voi_command",
                   "What is worth learning before deciding: EVPI, each input's EVPPI, the "
                   "scenario's groups and pilots (worth, cost, net value, rule)."),
}
"""Every subcommand; ``run`` is the default when the first word is not a command name.
A new command is one row here (its module provides ``add_arguments(parser)`` and
``function(args, command) -> int``)."""
SUBCOMMANDS = tuple(COMMANDS)


def build_parser(name: str = "run") -> argparse.ArgumentParser:
    """The parser of one subcommand (``run`` by default)."""
    spec = COMMANDS[name]
    prog = "ftsim" if name == "run" else f"ftsim {name}"
    epilog = ("other commands: " + ", ".join(n for n in COMMANDS if n != "run")
              + " (python -m ftsim COMMAND --help)") if name == "run" else None
    parser = Parser(prog=prog, description=spec.description, epilog=epilog)
    if spec.simulates:
        add_common(parser)
    getattr(importlib.import_module(spec.module), spec.add_arguments)(parser)
    return parser


def _dispatch(argv: list[str], command: str) -> int:
    name = argv[0] if argv and argv[0] in COMMANDS else "run"
    rest = argv[1:] if argv and argv[0] in COMMANDS else argv
    args = build_parser(name).parse_args(rest)
    spec = COMMANDS[name]
    module = importlib.import_module(spec.module)
    before = getattr(module, spec.before_threads)(args) if spec.before_threads else nullcontext()
    with before:
        if spec.simulates:
            start_workers(args)  # numba and the kernel load in the background meanwhile
            remove_leftovers(args.out)
        return int(getattr(module, spec.function)(args, command))


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


def prepare_program() -> None:
    """What the program does to its process before ``main()`` (benchmarks/phases.py does
    the same in its timed child).

    The objects that exist once the command's modules are imported live until the end:
    they are frozen out of the cyclic collector (`gc.freeze`), which otherwise walks all of
    them again in each full collection -- two of them, 28 and 48 ms, while numba loaded its
    kernels on the default run's critical path (one of 12 ms is left). Refcounting still
    frees them; only a program that exits may freeze (frozen cyclic garbage is never
    collected), so ``main()`` itself, which tests and notebooks call, does not.
    """
    gc.freeze()


def run() -> NoReturn:
    """``main()`` as a program (``python -m ftsim``, the ``ftsim`` script): exit with its
    code without tearing the interpreter down.

    Why: with numba's kernels loaded, the interpreter's final teardown (module dicts, LLVM's
    destructors) takes 0.3-0.5 s after the run is done -- a quarter of a small run's wall
    time. Every file is closed and stdout flushed by then; the chunk threads are idle. A
    run that used worker processes or Dask exits normally, so their shutdown hooks run.
    """
    prepare_program()
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
