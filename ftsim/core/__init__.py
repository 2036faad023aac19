"""The pure core: sampling, dynamics, engine, kernel, chunks, the runner, results, statistics,
the summary and the studies (arrays and frozen dataclasses in and out; no argparse,
matplotlib, printing or file writing)."""

from __future__ import annotations

from .result import OptionResult, Result
from .runner import DEFAULT_CHUNK_SIZE, SchedulerUnreachable, simulate
from .studies.breakeven import breakeven_curve
from .studies.sweep import sweep
from .summary import summarize
from .summary_types import OptionSummary, Summary

__all__ = ["DEFAULT_CHUNK_SIZE", "OptionResult", "OptionSummary", "Result", "SchedulerUnreachable", "Summary",
           "breakeven_curve", "simulate", "summarize", "sweep"]
