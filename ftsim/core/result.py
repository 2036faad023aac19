"""Per-path outcomes of a run, gathered chunk by chunk into preallocated arrays."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

import numpy as np

from ..scenario import Scenario
from .engine import BASELINE_COMPONENTS, COST_COMPONENTS, OptionPaths
from .quantiles import PILOT_PATHS, Brackets, CumulativeStream, Tally, order_positions
from .sampling import random_inputs

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

# The per-path outcome columns of paths.csv.gz and `Result.paths_frame`, in order.
PATH_OUTCOMES = ("payback_month", "npv", "upfront", "tco_baseline", "tco_option", "abandoned",
                 "retrains")

__all__ = ["OptionResult", "Result", "PER_PATH_FIELDS", "ArrayFactory", "ChunkRows",
           "CUMULATIVE_PERCENTILES", "COMPACT_INPUTS_ABOVE", "inputs_dtype", "ReleasedError",
           "RELEASABLE_OPTION_FIELDS", "RELEASABLE_RESULT_FIELDS"]

# The per-month percentiles of CS_t a run always gives exactly, also when it streamed its
# CS rows instead of keeping them (`OptionResult.cumulative_percentiles`).
CUMULATIVE_PERCENTILES = (5, 25, 50, 75, 95)
# Runs of more paths keep their random inputs as float32 (4 bytes a value instead of 8:
# 1.8 GB instead of 3.6 GB for support_bot's 45 inputs at 10M paths). Rounding moves a
# value by at most 2^-24 of itself (6e-8); rank statistics (Spearman, decile membership,
# quantiles) change only through values closer than that, which become ties. The dtype
# depends on the path count only, never on the machine, so a run's numbers do too.
COMPACT_INPUTS_ABOVE = 2_000_000

# Per-path (paths,) arrays of an option, in paths.csv column order.
PER_PATH_FIELDS = ("payback_month", "npv", "upfront", "tco_baseline", "tco_option",
                   "abandoned", "retrains", "dips_after_payback")
_DTYPES: dict[str, Any] = {"payback_month": np.int16, "abandoned": bool, "retrains": np.int32,
           "dips_after_payback": bool}
# (name, shape, dtype) -> a writable array; np.empty, or a shared-memory memmap.
ArrayFactory = Callable[[str, tuple[int, ...], Any], np.ndarray]
_PAYBACK_MONTH_MAX = int(np.iinfo(_DTYPES["payback_month"]).max)
MonthlySums = Mapping[str, np.ndarray]
# The per-path arrays a releasing summary frees (`Result.take`): an option's outcomes and
# CS rows, and the run's inputs, tokens and requests per month. Monthly sums and the
# streamed CS percentiles are per month, not per path: they stay.
RELEASABLE_OPTION_FIELDS = (*PER_PATH_FIELDS, "cumulative")
RELEASABLE_RESULT_FIELDS = ("inputs", "tokens_per_month", "requests_per_month")


class ReleasedError(RuntimeError):
    """A per-path array read after ``summarize(result, release=True)`` freed it."""


def _released(owner: str, name: str) -> ReleasedError:
    return ReleasedError(f"{owner}.{name}: this run's per-path arrays were released by "
                         f"summarize(result, release=True); summarize without release to "
                         f"read them afterwards")


class _Releasable:
    """Per-path arrays a summary may free: ``release`` drops them (their memory goes once
    no one else holds them) and a later read of one raises ReleasedError."""

    RELEASABLE: ClassVar[tuple[str, ...]]

    def release(self, names: Iterable[str] | None = None) -> None:
        """Drop these per-path arrays (default: all of ``RELEASABLE``)."""
        allowed = type(self).RELEASABLE
        for name in allowed if names is None else names:
            if name not in allowed:
                raise ValueError(f"{name!r} is not a releasable per-path array ({allowed})")
            self.__dict__.pop(name, None)

    if not TYPE_CHECKING:  # hidden from mypy, which would then accept any attribute name
        def __getattr__(self, name: str) -> Any:
            """Reached only when the attribute is missing: a released array, or a typo."""
            owner = type(self).__name__
            if name in type(self).RELEASABLE:
                raise _released(owner, name)
            raise AttributeError(f"'{owner}' object has no attribute {name!r}")


class ChunkRows(Protocol):
    """What `Result.place` reads from a chunk (`chunk.ChunkResult` has these fields)."""

    @property
    def n_paths(self) -> int: ...
    @property
    def inputs(self) -> Mapping[str, np.ndarray]: ...
    @property
    def tokens_per_month(self) -> np.ndarray: ...
    @property
    def requests_per_month(self) -> np.ndarray: ...
    @property
    def options(self) -> Mapping[str, OptionResult]: ...


def _empty(name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    return np.empty(shape, dtype)


def inputs_dtype(paths: int) -> type:
    """The dtype of a run's per-path random inputs (see COMPACT_INPUTS_ABOVE)."""
    return np.float32 if paths > COMPACT_INPUTS_ABOVE else np.float64


# Kept runs of this many paths or more take the bracket pass (measured, support_bot).
_BRACKETS_FROM_PATHS = 20_000


def _kept_percentiles(cumulative: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Per-month percentiles of kept CS rows (H, n): one compiled pass over the rows with
    brackets from every k-th path (`quantiles.Brackets`), a partition for any month whose
    bracket missed -- 4-8x faster than partitioning every row, the same values."""
    n = cumulative.shape[1]
    if n < _BRACKETS_FROM_PATHS:
        return _partitioned(cumulative, levels)
    # a pilot of every 8th path at least: at 100,000 paths 38 ms an option against 75 ms
    # for the partition of every row (equal from ~20,000 paths)
    brackets = Brackets.from_pilot(cumulative[:, ::max(8, n // PILOT_PATHS)], levels)
    stream = CumulativeStream(brackets, tuple(levels))
    stream.add(Tally.of(cumulative, brackets))
    values, missed = stream.percentiles(n)
    for month in sorted({month for month, _ in missed}):
        values[:, month] = _partitioned(cumulative[month:month + 1], levels)[:, 0]
    return values


def _partitioned(cumulative: np.ndarray, levels: Sequence[float]) -> np.ndarray:
    """Per-month percentiles of CS rows (H, n) through np.partition at the needed ranks."""
    n = cumulative.shape[1]
    _, lo, hi = order_positions(levels, n)
    ranks = np.unique(np.concatenate([lo, hi]))
    selected = np.partition(cumulative, ranks, axis=1)[:, ranks]
    return _percentiles_at(selected, ranks, levels, n)


def _percentiles_at(selected: np.ndarray, ranks: np.ndarray, levels: Sequence[float],
                    n: int) -> np.ndarray:
    """(len(levels), H) percentiles from each row's order statistics ``selected`` (H, R)
    at the 0-based ``ranks`` (R,): the arithmetic of ``metrics.sorted_quantiles``."""
    position, lo, hi = order_positions(levels, n)
    a = selected[:, np.searchsorted(ranks, lo)].astype(float)
    b = selected[:, np.searchsorted(ranks, hi)].astype(float)
    return (a + (b - a) * (position - lo)).T


@dataclass
class OptionResult(_Releasable):
    """One option's outcomes: per-path arrays, CS_t as float32 (H, paths), monthly cost sums."""

    RELEASABLE: ClassVar[tuple[str, ...]] = RELEASABLE_OPTION_FIELDS

    payback_month: np.ndarray  # 1..H, 0 = never
    npv: np.ndarray
    upfront: np.ndarray
    tco_baseline: np.ndarray
    tco_option: np.ndarray
    abandoned: np.ndarray
    retrains: np.ndarray
    dips_after_payback: np.ndarray
    # CS_t month-major, (H, paths), float32: 24-bit mantissa, relative error <= 6e-8 of
    # |CS_t| (0.06 on a million): far below Monte Carlo error, half the memory of float64.
    # None when the run streamed CS instead of keeping it (runs too large for memory):
    # then its exact percentiles at CUMULATIVE_PERCENTILES are in streamed_percentiles.
    cumulative: np.ndarray | None
    monthly_cost_sums: dict[str, np.ndarray]  # summed over paths, (H,)
    streamed_percentiles: np.ndarray | None = None  # (len(CUMULATIVE_PERCENTILES), H)

    def cumulative_percentiles(
        self, levels: Sequence[float] = CUMULATIVE_PERCENTILES,
    ) -> np.ndarray:
        """Per-month percentiles of CS_t, (len(levels), H) float64: numpy's linear method,
        the very values that sorting each month's CS over the paths gives.

        A kept run selects the order statistics it needs (`_kept_percentiles`, no sort);
        a streamed run has them already, for CUMULATIVE_PERCENTILES only.
        """
        if self.cumulative is None:
            if self.streamed_percentiles is None or tuple(levels) != CUMULATIVE_PERCENTILES:
                raise ValueError(f"this run streamed CS_t: only its percentiles "
                                 f"{CUMULATIVE_PERCENTILES} are known, not {tuple(levels)}")
            return self.streamed_percentiles.copy()
        return _kept_percentiles(self.cumulative, levels)

    @classmethod
    def from_paths(cls, paths: OptionPaths) -> OptionResult:
        return cls(
            payback_month=paths.payback_month.astype(np.int16), npv=paths.npv,
            upfront=paths.upfront, tco_baseline=paths.tco_baseline,
            tco_option=paths.tco_option, abandoned=paths.abandoned,
            retrains=paths.retrains.astype(np.int32),
            dips_after_payback=paths.dips_after_payback,
            cumulative=paths.cumulative.astype(np.float32, copy=False),
            monthly_cost_sums={k: np.asarray(v, float) for k, v in paths.monthly_cost_sums.items()},
        )

    @classmethod
    def allocate(cls, n_paths: int, horizon: int, make: ArrayFactory, prefix: str,
                 keep_cumulative: bool = True) -> OptionResult:
        arrays = {name: make(f"{prefix}.{name}", (n_paths,), _DTYPES.get(name, np.float64))
                  for name in PER_PATH_FIELDS}
        cumulative = (make(f"{prefix}.cumulative", (horizon, n_paths), np.float32)
                      if keep_cumulative else None)
        return cls(**arrays, cumulative=cumulative,
                   monthly_cost_sums={k: np.zeros(horizon)
                                      for k in (*COST_COMPONENTS, "baseline", *BASELINE_COMPONENTS)})

    def place(self, offset: int, chunk: OptionResult) -> None:
        """Copy a chunk's per-path rows (monthly sums are added separately, in chunk order);
        its CS rows too when this result keeps them."""
        n = chunk.npv.shape[0]
        for name in PER_PATH_FIELDS:
            getattr(self, name)[offset:offset + n] = getattr(chunk, name)
        if self.cumulative is not None:
            self.cumulative[:, offset:offset + n] = chunk.cumulative

    def head(self, n: int) -> OptionResult:
        """The first ``n`` paths (views: nothing is copied)."""
        arrays = {name: getattr(self, name)[:n] for name in PER_PATH_FIELDS}
        cumulative = None if self.cumulative is None else self.cumulative[:, :n]
        return replace(self, **arrays, cumulative=cumulative)



@dataclass
class Result(_Releasable):
    """What a run produced: per-path arrays (``ftsim.summarize(result)`` gives the summary).
    ``release`` drops the run's own (an option's: `OptionResult.release`)."""

    RELEASABLE: ClassVar[tuple[str, ...]] = RELEASABLE_RESULT_FIELDS

    scenario: Scenario
    n_paths: int
    inputs: dict[str, np.ndarray]  # random static inputs by key path, (paths,)
    tokens_per_month: np.ndarray
    requests_per_month: np.ndarray
    options: dict[str, OptionResult]
    seed: int = 0
    sampler: str = "random"
    chunk_size: int = 0
    seconds: float = 0.0
    # --precision runs: the target half-width, whether every option reached it before the
    # path cap, and the largest half-width achieved (None for fixed-size runs).
    precision_target: float | None = None
    precision_reached: bool | None = None
    precision_half_width: float | None = None
    # True once `take` moved the per-path arrays out (summarize(..., release=True)): the
    # scalars, the scenario and each option's monthly sums remain; a per-path array does
    # not, and reading one raises ReleasedError.
    released: bool = False

    @classmethod
    def allocate(cls, scenario: Scenario, n_paths: int, make: ArrayFactory = _empty, *,
                 keep_cumulative: bool = True, dtype: Any = np.float64) -> Result:
        """Arrays for ``n_paths`` paths (``np.empty``: pages cost memory once written).

        ``dtype`` is the random inputs' and the tokens and requests per month's
        (`inputs_dtype`); without ``keep_cumulative`` the CS rows are not stored (the run
        streams them into their percentiles).
        """
        # payback_month is int16 (0 = never): a longer horizon would wrap month numbers
        # around to wrong paybacks. The loader caps the horizon far lower; this is insurance.
        if scenario.horizon_months > _PAYBACK_MONTH_MAX:
            raise ValueError(f"horizon_months must be at most {_PAYBACK_MONTH_MAX} (payback "
                             f"months are stored as int16), got {scenario.horizon_months}")
        keys = [i.key_path for group in random_inputs(scenario).values() for i in group]
        return cls(
            scenario=scenario, n_paths=n_paths,
            inputs={k: make(f"input.{k}", (n_paths,), dtype) for k in keys},
            tokens_per_month=make("tokens_per_month", (n_paths,), dtype),
            requests_per_month=make("requests_per_month", (n_paths,), dtype),
            options={oid: OptionResult.allocate(n_paths, scenario.horizon_months, make, oid,
                                                keep_cumulative)
                     for oid in scenario.options},
        )

    def place(self, offset: int, chunk: ChunkRows) -> None:
        """Copy one chunk's per-path arrays to rows ``offset ... offset + chunk.n_paths``."""
        end = offset + chunk.n_paths
        for key, values in chunk.inputs.items():
            self.inputs[key][offset:end] = values
        self.tokens_per_month[offset:end] = chunk.tokens_per_month
        self.requests_per_month[offset:end] = chunk.requests_per_month
        for option_id, option in chunk.options.items():
            self.options[option_id].place(offset, option)

    def set_monthly_sums(self, chunk_sums: Sequence[Mapping[str, MonthlySums]]) -> None:
        """Add up the chunks' monthly sums in the order given (chunk order), so the float
        rounding does not depend on which worker finished first."""
        for option_id, option in self.options.items():
            for key in option.monthly_cost_sums:
                total = np.zeros_like(option.monthly_cost_sums[key])
                for sums in chunk_sums:
                    total += sums[option_id][key]
                option.monthly_cost_sums[key] = total

    def detach(self) -> Result:
        """Turn memmap-backed arrays into plain ndarray views (the files can then be removed)."""
        def plain(a: np.ndarray) -> np.ndarray:
            return a.view(np.ndarray) if isinstance(a, np.memmap) else a

        for option in self.options.values():
            for name in PER_PATH_FIELDS:
                setattr(option, name, plain(getattr(option, name)))
            if option.cumulative is not None:
                option.cumulative = plain(option.cumulative)
        self.inputs = {k: plain(v) for k, v in self.inputs.items()}
        self.tokens_per_month = plain(self.tokens_per_month)
        self.requests_per_month = plain(self.requests_per_month)
        return self

    def head(self, n: int) -> Result:
        """The first ``n`` paths (views): a --precision run allocates for its path cap and
        keeps what it simulated."""
        if n == self.n_paths:
            return self
        return replace(
            self, n_paths=n, inputs={k: v[:n] for k, v in self.inputs.items()},
            tokens_per_month=self.tokens_per_month[:n],
            requests_per_month=self.requests_per_month[:n],
            options={oid: o.head(n) for oid, o in self.options.items()})

    def take(self) -> Result:
        """A result holding this one's per-path arrays; this one keeps its scalars, scenario
        and monthly sums, and is ``released``. A summary that frees each array once read
        takes them so: its references are then the last, and dropping one frees it."""
        taken = replace(self, options={oid: replace(o) for oid, o in self.options.items()})
        for option in self.options.values():
            option.release()
        self.release()
        self.released = True
        return taken

    def finished(self, *, seed: int, sampler: str, chunk_size: int, seconds: float) -> Result:
        return replace(self, seed=seed, sampler=sampler, chunk_size=chunk_size, seconds=seconds)

    def with_precision(self, target: float, *, reached: bool, half_width: float) -> Result:
        """The result marked with its --precision target and whether it was reached."""
        return replace(self, precision_target=float(target), precision_reached=bool(reached),
                       precision_half_width=float(half_width))

    def hits_within(self) -> dict[str, int]:
        """Per option, the number of paths that pay back within N months."""
        within = self.scenario.payback_within_months
        return {oid: int(np.count_nonzero((o.payback_month > 0) & (o.payback_month <= within)))
                for oid, o in self.options.items()}

    def path_columns(self, option_id: str) -> dict[str, np.ndarray]:
        """Columns of one option's per-path rows (paths.csv.gz): path, the world's inputs,
        the option's own inputs named ``option.<key>`` (so all options align), outcomes."""
        own = f"options.{option_id}."
        option = self.options[option_id]
        columns: dict[str, np.ndarray] = {"path": np.arange(self.n_paths)}
        for key, values in self.inputs.items():
            if key.startswith(own):
                columns["option." + key[len(own):]] = values
            elif not key.startswith("options."):
                columns[key] = values
        columns.update({name: getattr(option, name) for name in PATH_OUTCOMES})
        return columns

    def paths_frame(self) -> pd.DataFrame:
        """One row per option and path: ``option``, ``path``, inputs (an option's own as
        ``option.<key>``), outcomes -- the columns of paths.csv.gz. ``payback_month`` is a
        nullable integer, missing (``<NA>``) when the path never pays back."""
        import pandas as pd

        frames = []
        for option_id in self.options:
            columns = self.path_columns(option_id)
            frame = pd.DataFrame({"option": option_id, **columns})
            frame["payback_month"] = frame["payback_month"].astype("Int64").mask(
                frame["payback_month"] == 0)
            frames.append(frame)
        frame = pd.concat(frames, ignore_index=True)
        names = [n for n in frame.columns if n not in PATH_OUTCOMES] + list(PATH_OUTCOMES)
        return frame[names]
