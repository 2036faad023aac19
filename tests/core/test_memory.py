"""The memory estimate (hand count, and against a measured run), the plan that fits a
budget, and the CLI's --max-memory guard: refused with one line, exit 2, before any path."""

from __future__ import annotations

import math
import os
import tracemalloc
from pathlib import Path

import pytest

import ftsim
from ftsim.cli import main
from ftsim.cli.common import memory_size
from ftsim.core.memory import (
    PROCESS_BASE_BYTES,
    WORKER_BASE_BYTES,
    estimate_memory,
    fit_memory,
    memory_breakdown,
)
from ftsim.scenario import parse_scenario

SUPPORT_BOT = Path(__file__).resolve().parents[2] / "scenarios" / "support_bot.toml"

ESTIMATE_SCENARIO = """
[scenario]
name = "memory"
horizon_months = 12
payback_within_months = 6

[traffic]
requests_per_month = { p5 = 50_000, p95 = 150_000 }
input_tokens = 2000
output_tokens = 300

[baseline]
price_input_per_mtok = 2.0
price_output_per_mtok = 8.0

[options.ft.serving]
mode = "api"
price_input_per_mtok = 0.2
price_output_per_mtok = 0.2

[options.ft.build]
engineering_cost = { p5 = 5_000, p95 = 20_000 }
"""


def test_memory_estimate_matches_a_hand_count():
    scenario = parse_scenario(ESTIMATE_SCENARIO)
    # 2 random inputs, 1 option, 12 months, no price index; 10,000 paths, chunks of 1,000.
    # Result per path: 2 x 8 (inputs) + 16 (tokens, requests) + 2 + 4 x 8 + 1 + 4 + 1
    # (payback, money, abandoned, retrains, dips) + 4 x 12 (CS_t float32) = 120 bytes.
    # A chunk: 1,000 x (12 x (64 + 8) + 1,024 + 256 + 2 x 16) = 2,176,000 bytes.
    threads = min(8, os.cpu_count() or 1)
    parts = memory_breakdown(scenario, 10_000, 2, 1_000, write_paths=False)
    assert parts["process"] == PROCESS_BASE_BYTES
    assert parts["result"] == 1_200_000
    assert parts["simulation"] == 2 * 2_176_000  # two threads, no worker processes
    # the summary: per option 24 bytes held, per thread 56 and 16 MiB of fixed blocks
    assert parts["summary"] == 10_000 * (24 + 56 * threads) + threads * 16 * 2**20
    assert parts["paths_writer"] == 0
    assert estimate_memory(scenario, 10_000, 2, 1_000, write_paths=False) == (
        PROCESS_BASE_BYTES + 1_200_000 + max(2 * 2_176_000, parts["summary"]))
    # worker processes add their own base each
    processes = memory_breakdown(scenario, 10_000, 2, 1_000, processes=True)
    assert processes["simulation"] == 2 * (2_176_000 + WORKER_BASE_BYTES)
    # streamed CS rows: 72 bytes a path held; while simulating, 16% of the 48 CS bytes
    # a path (the brackets' share) and the pilot's rows and their sorted copy (all 10,000
    # paths here)
    streamed = memory_breakdown(scenario, 10_000, 2, 1_000, keep_cumulative=False,
                                write_paths=False)
    assert streamed["result"] == 720_000
    assert streamed["simulation"] == (2 * 2_176_000 + math.ceil(0.16 * 48 * 10_000)
                                      + 2 * 480_000)
    # the paths writer: 1 option x 1 batch of 10,000 rows x 11 columns x 24 bytes
    assert memory_breakdown(scenario, 10_000, 1, 1_000)["paths_writer"] == 10_000 * 11 * 24
    # beyond 2M paths the inputs, tokens and requests are float32: 4 bytes fewer each
    big = memory_breakdown(scenario, 3_000_000, 1, 1_000, write_paths=False)
    assert big["result"] == 3_000_000 * (120 - 4 * 4)
    # a second option adds its 40 bytes of outcomes and its CS rows
    two = parse_scenario(ESTIMATE_SCENARIO + """
[options.other.serving]
mode = "api"
price_input_per_mtok = 0.3
price_output_per_mtok = 0.3
""")
    assert memory_breakdown(two, 10_000, 1, 1_000)["result"] == 10_000 * (120 + 40 + 48)
    # A releasing summary frees the outcomes but NPV (32 bytes a path an option), CS rows
    # (48) and tokens and requests (16) before its heavy part, and never goes below its
    # first phase: 10 bytes a path an option, 8 a thread, the fixed blocks, and (kept CS
    # rows of a small run) a copy of an option's rows per thread at once.
    fixed = threads * 16 * 2**20
    heavy = 20_000 * (2 * 24 + 56 * threads) + fixed
    first = 20_000 * (2 * 10 + 8 * threads + min(threads, 2) * 48) + fixed
    released = memory_breakdown(two, 20_000, 1, 1_000, release_summary=True)["summary"]
    assert released == max(first, heavy - 20_000 * (2 * 32 + 2 * 48 + 16))
    assert memory_breakdown(two, 20_000, 1, 1_000)["summary"] == max(first, heavy)


@pytest.mark.parametrize(("keep", "release"), [(True, False), (False, False), (False, True)])
def test_memory_estimate_bounds_a_measured_run(keep, release):
    # Above what a run really allocates (numpy reports to tracemalloc; the process's own
    # modules are outside the count), and not wildly above it; at 100,000 paths the
    # summary is the largest phase after the result when CS rows are kept, the
    # simulation's pilot when they are streamed.
    scenario = ftsim.load_scenario(SUPPORT_BOT)
    ftsim.summarize(ftsim.simulate(scenario, paths=100, jobs=1))  # load and tabulate first
    tracemalloc.start()
    try:
        result = ftsim.simulate(scenario, paths=100_000, jobs=2, chunk_size=2048,
                                keep_cumulative=keep)
        ftsim.summarize(result, release=release)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    parts = memory_breakdown(scenario, 100_000, 2, 2048, write_paths=False,
                             keep_cumulative=keep, release_summary=release)
    assert (parts["summary"] > parts["simulation"]) == keep
    estimate = estimate_memory(scenario, 100_000, 2, 2048, write_paths=False,
                               keep_cumulative=keep,
                               release_summary=release) - PROCESS_BASE_BYTES
    assert peak <= estimate <= 2 * peak


def test_the_fitted_plan_streams_and_narrows_before_it_refuses():
    scenario = ftsim.load_scenario(SUPPORT_BOT)
    n = 500_000  # CS rows of 144 MB: kept by default (plan.KEEP_CUMULATIVE_BYTES)
    kept = estimate_memory(scenario, n, 2, 8192, write_paths=False)
    streamed = estimate_memory(scenario, n, 2, 8192, write_paths=False, keep_cumulative=False)
    assert streamed < kept
    assert fit_memory(scenario, n, 2, 8192, kept, write_paths=False).keep_cumulative
    plan = fit_memory(scenario, n, 2, 8192, streamed, write_paths=False)
    assert (plan.workers, plan.keep_cumulative, plan.bytes) == (2, False, streamed)
    assert fit_memory(scenario, n, 2, 8192, PROCESS_BASE_BYTES, write_paths=False) is None


def _no_simulation(monkeypatch):
    """Make any simulation an error: these runs must be refused before the first path."""
    def refuse(*args, **kwargs):
        raise AssertionError("simulated although the command line was bad")

    for target in ("ftsim.cli.run.simulate", "ftsim.cli.run.breakeven_curve",
                   "ftsim.cli.studies.sweep", "ftsim.cli.studies.breakeven_curve"):
        monkeypatch.setattr(target, refuse)


def test_a_run_larger_than_memory_is_refused_naming_what_to_change(tmp_path, capsys,
                                                                   monkeypatch):
    _no_simulation(monkeypatch)
    scenario = ftsim.load_scenario(SUPPORT_BOT)
    monkeypatch.setattr("ftsim.cli.common.available_memory", lambda: 2**30)  # 1 GiB machine
    out = str(tmp_path / "out")
    assert main([str(SUPPORT_BOT), "--paths", "1000000000", "--jobs", "1", "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --paths: a run of 1,000,000,000 paths needs about ")
    assert "more than the 1.0 GiB available" in err and err.count("\n") == 1
    fits = int(err.split("at most about ")[1].split()[0].replace(",", ""))
    assert fit_memory(scenario, fits, 1, 8192, 2**30) is not None
    assert fit_memory(scenario, fits + 1, 1, 8192, 2**30) is None
    # chunks too big, though the paths would fit in smaller ones
    assert main([str(SUPPORT_BOT), "--paths", "400000", "--chunk-size", "400000", "--jobs",
                 "2", "--no-paths", "--out", out]) == 2
    assert capsys.readouterr().err.startswith("error: --chunk-size: 400,000 paths per chunk")
    # --precision counts its --max-paths
    assert main([str(SUPPORT_BOT), "--paths", "100000", "--precision", "0.001", "--max-paths",
                 "5000000", "--jobs", "1", "--out", out]) == 2
    assert capsys.readouterr().err.startswith("error: --max-paths: a run of 5,000,000 paths")
    assert not (tmp_path / "out").exists()


def test_max_memory_is_a_budget_the_plan_must_fit(tmp_path, capsys, monkeypatch):
    _no_simulation(monkeypatch)
    monkeypatch.setattr("ftsim.cli.common.available_memory", lambda: 64 * 2**30)
    out = str(tmp_path / "out")
    assert main([str(SUPPORT_BOT), "--paths", "10000000", "--no-paths", "--max-memory", "2G",
                 "--out", out]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --paths: a run of 10,000,000 paths needs about ")
    assert "more than the 2.0 GiB allowed by --max-memory" in err and err.count("\n") == 1
    assert main([str(SUPPORT_BOT), "--max-memory", "100M", "--out", out]) == 2
    assert capsys.readouterr().err.startswith("error: --max-memory: even one path needs about")
    assert main([str(SUPPORT_BOT), "--max-memory", "lots", "--out", out]) == 2
    assert "--max-memory" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_max_memory_plans_what_the_run_does(monkeypatch):
    # The guard writes its plan into simulate()'s arguments: a budget between the
    # streamed and the kept estimate streams; a roomy one keeps CS rows and every worker.
    from ftsim.cli.common import check_memory

    scenario = ftsim.load_scenario(SUPPORT_BOT)
    n = 500_000
    streamed = estimate_memory(scenario, n, 2, 8192, write_paths=False, keep_cumulative=False)
    base = {"paths": n, "jobs": 2, "backend": "auto", "chunk_size": 8192}
    tight = {**base, "max_memory": streamed}
    check_memory(scenario, tight, write_paths=False, available=64 * 2**30)
    assert (tight["jobs"], tight["keep_cumulative"]) == (2, False)
    roomy = {**base, "max_memory": None}
    check_memory(scenario, roomy, write_paths=False, available=64 * 2**30)
    assert (roomy["jobs"], roomy["keep_cumulative"]) == (2, True)


@pytest.mark.parametrize(("text", "size"), [("4G", 4 * 2**30), ("1500M", 1500 * 2**20),
                                            ("2.5GiB", int(2.5 * 2**30)), ("1t", 2**40),
                                            ("134217728", 2**27), ("64MB", 64 * 2**20)])
def test_memory_sizes_read_in_binary_units(text, size):
    assert memory_size(text) == size


@pytest.mark.parametrize("text", ["", "4X", "-1G", "1e9", "10M", "four"])
def test_bad_memory_sizes_are_refused(text):
    import argparse

    with pytest.raises(argparse.ArgumentTypeError):
        memory_size(text)
