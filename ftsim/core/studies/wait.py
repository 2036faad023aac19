"""The option to wait (issue 13): decide now, or run the baseline k months, look at the
world's history, and decide then.

Deciding after month k: the baseline runs alone through month k; the analyst has seen the
world's history through month k (traffic, the price indices and their list-price changes,
drift events) but not the options' own uncertain inputs (quality gap, costs); committing
starts the build then (``engine.simulate_option(decision_month=k)``: go-live after k + L,
training compute at the build index of month k, the upfront cost discounted from month k),
otherwise the baseline runs to the horizon. Every decision month is simulated on the same
paths (common random numbers), so per path the committed NPV at each k is known.

The rule at k (Longstaff and Schwartz 2001, Review of Financial Studies 14(1)): regress each
option's committed NPV on features of the observed history (restricted cubic splines and
pairwise products, the model chosen by cross-validation: ``ftsim.core.regression``), and
commit to the option with the highest predicted NPV when it is above 0. The regression is
fitted on one half of the paths and decides on the other, and the other way round
(cross-fitting): a path's decision never saw its own outcome, so the estimated value of
waiting is that of a rule one could actually follow, not an optimistic in-sample figure.
docs/model.md, section "The option to wait".
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from ...rng import stream
from ...scenario import Pilot, Scenario, input_label, scenario_from
from ..chunk import DEFAULT_CHUNK_SIZE, ChunkDraws, chunk_plan, draw_chunk
from ..dynamics import INDEX_MIN
from ..engine import simulate_option
from ..plan import resolved_jobs, thread_pool
from ..sampling import prepare_laws
from ..voi import evpi
from .wait_rule import WaitDecision, decide_after_waiting
from .wait_types import Feature, OptionFit, WaitAnalysis, WaitRow

__all__ = ["DEFAULT_MONTHS", "MAX_DECISION_MONTHS", "MIN_PATHS", "WaitSample", "WaitDecision",
           "check_months", "check_pilot", "weighed_options", "history_features",
           "pilot_measurement", "simulate_waiting", "decide_after_waiting", "wait_analysis"]

DEFAULT_MONTHS = (3, 6, 12)
MAX_DECISION_MONTHS = 24  # decision months in one analysis
MIN_PATHS = 100  # each half fits a regression on the other's 50 paths at least
FEW_PATHS = 10_000  # below this a note says the fitted rules are noisy
_CHANGE_TOLERANCE = 1e-9  # relative jump of an index that counts as a list-price change


def check_months(months: Sequence[int], horizon_months: int) -> tuple[int, ...]:
    """Decision months, sorted and unique; ValueError naming ``months`` when one is not a
    whole month from 1 to the horizon minus one, or there are none or too many."""
    if not len(months):
        raise ValueError("months: at least one decision month is needed")
    for k in months:
        if isinstance(k, bool) or not isinstance(k, int | np.integer) \
                or not 1 <= k < horizon_months:
            raise ValueError(f"months: expected whole months from 1 to {horizon_months - 1} "
                             f"(the horizon is {horizon_months}), got {k!r}")
    out = tuple(sorted({int(k) for k in months}))
    if len(out) > MAX_DECISION_MONTHS:
        raise ValueError(f"months: at most {MAX_DECISION_MONTHS} decision months, got {len(out)}")
    return out


FEATURE_LABELS = {
    "traffic.requests_at_k": "Requests in the decision month",
    "traffic.growth_to_k": "Traffic growth a month so far (log)",
    "drift.events_to_k": "Drift events so far",
}


def _feature_label(key: str, scenario: Scenario, pilot: Pilot | None = None) -> str:
    if key in FEATURE_LABELS:
        return FEATURE_LABELS[key]
    if pilot is not None and key == f"pilot.{pilot.name}":
        return f"Pilot's measurement of {input_label(pilot.input, scenario)}"
    name, what = key.split(".")[1], key.split(".")[2]
    return (f"{name} price index in the decision month" if what == "index_at_k" else
            f"{name} list-price changes so far")


def _price_changes(index: np.ndarray, annual_decline: np.ndarray, k: int) -> np.ndarray:
    """Months 1..k in which the index moved off its trend (I_1 != 1, I_t != I_{t-1} (1 -
    d)^(1/12)): what the analyst sees as list-price changes (a month with two changes is
    one)."""
    step = np.exp(np.log1p(-np.asarray(annual_decline, np.float64)) / 12.0)
    expected = np.empty((k, index.shape[1]))
    expected[0] = 1.0
    if k > 1:
        expected[1:] = np.maximum(index[:k - 1] * step, INDEX_MIN)
    return (np.abs(index[:k] / expected - 1.0) > _CHANGE_TOLERANCE).sum(axis=0).astype(float)


def history_features(scenario: Scenario, draws: ChunkDraws, k: int) -> dict[str, np.ndarray]:
    """What the analyst has seen by the end of month k, per path (n,): requests in month k,
    traffic growth so far (log R_k - log R_1 over k - 1 months; from k = 2), each price
    index in month k and its list-price changes so far, drift events so far."""
    world = draws.world
    requests = world.requests
    out = {"traffic.requests_at_k": requests[k - 1].astype(float)}
    if k >= 2:
        out["traffic.growth_to_k"] = (np.log(requests[k - 1]) - np.log(requests[0])) / (k - 1)
    for name in scenario.price_indices:
        index = world.indices[name]
        out[f"prices.{name}.index_at_k"] = index[k - 1].astype(float)
        decline = np.broadcast_to(draws.inputs.prices[name].annual_decline, index.shape[1:])
        out[f"prices.{name}.changes_to_k"] = _price_changes(index, decline, k)
    out["drift.events_to_k"] = world.drift_counts[:k].sum(axis=0).astype(float)
    return out


@dataclass(frozen=True)
class WaitSample:
    """Per-path outcomes of every decision month on the same paths: ``npv`` (K + 1, n, m),
    option j's NPV if committed after month ``months[i]`` (months[0] = 0: today), relative
    to the baseline and discounted to today; ``features[i]`` (n, f) what was seen by month
    ``months[i]`` (i >= 1), named by ``feature_keys[i]``."""

    months: tuple[int, ...]
    option_ids: tuple[str, ...]
    npv: np.ndarray
    features: tuple[np.ndarray, ...]
    feature_keys: tuple[tuple[str, ...], ...]


def pilot_measurement(pilot: Pilot, draws: ChunkDraws, seed: int,
                      chunk_index: int) -> np.ndarray:
    """The pilot's measurement on each path of a chunk: the input's true value plus
    Normal(0, noise_sd_per_example / sqrt(examples)), from the chunk's own stream."""
    truth = np.asarray(draws.static[pilot.input], np.float64)
    rng = stream(seed, chunk_index, f"wait.pilots.{pilot.name}")
    return truth + rng.normal(0.0, pilot.noise_sd_per_example / math.sqrt(pilot.examples),
                              truth.shape)


def _chunk_outcomes(scenario: Scenario, chunk: tuple[int, int], months: tuple[int, ...],
                    seed: int, sampler: str, chunk_size: int, pilot: Pilot | None,
                    ) -> tuple[int, np.ndarray, list[dict[str, np.ndarray]]]:
    index, n = chunk
    draws = draw_chunk(scenario, index, n, seed=seed, sampler=sampler, chunk_size=chunk_size)
    npv = np.empty((len(months), n, len(scenario.options)))
    for i, k in enumerate(months):
        for j, (option_id, option) in enumerate(scenario.options.items()):
            paths = simulate_option(option, draws.inputs, draws.world,
                                    draws.base_model_updates[option_id],
                                    horizon_months=scenario.horizon_months,
                                    discount_rate_annual=scenario.discount_rate_annual,
                                    decision_month=k)
            npv[i, :, j] = paths.npv
    seen = [history_features(scenario, draws, k) for k in months[1:]]
    if pilot is not None:
        measured = pilot_measurement(pilot, draws, seed, index)
        for features in seen:
            features[f"pilot.{pilot.name}"] = measured
    return index, npv, seen


def simulate_waiting(scenario: Scenario, months: Sequence[int], *, paths: int, seed: int,
                     sampler: str, jobs: int | None = 1, chunk_size: int = DEFAULT_CHUNK_SIZE,
                     on_chunk: Callable[[int, int], None] | None = None,
                     pilot: Pilot | None = None) -> WaitSample:
    """Every option's committed NPV today and after each of ``months`` on the same paths
    (chunk by chunk, as ``ftsim.simulate`` draws them: today's NPVs are the run's, bit for
    bit), and the history features of each decision month (with ``pilot``, its
    measurement too). Chunks run on the process's threads when ``jobs`` > 1;
    ``on_chunk(paths done, paths)`` as chunks finish."""
    decision_months = (0, *check_months(months, scenario.horizon_months))
    chunks = chunk_plan(0, paths, chunk_size)
    npv = np.empty((len(decision_months), paths, len(scenario.options)))
    seen: list[dict[str, list[np.ndarray]]] = [{} for _ in decision_months[1:]]
    parts: dict[int, list[dict[str, np.ndarray]]] = {}
    workers = max(1, min(resolved_jobs(jobs), len(chunks)))
    args = (decision_months, seed, sampler, chunk_size, pilot)
    if workers == 1:
        outcomes: Any = (_chunk_outcomes(scenario, c, *args) for c in chunks)
    else:
        prepare_laws(scenario)
        pool = thread_pool(workers)
        futures = [pool.submit(_chunk_outcomes, scenario, c, *args) for c in chunks]
        outcomes = (f.result() for f in futures)
    done = 0
    for index, chunk_npv, features in outcomes:
        start = index * chunk_size
        npv[:, start:start + chunk_npv.shape[1]] = chunk_npv
        parts[index] = features
        done += chunk_npv.shape[1]
        if on_chunk is not None:
            on_chunk(done, paths)
    for i in range(len(decision_months) - 1):
        for key in parts[0][i]:
            seen[i][key] = [parts[c][i][key] for c in sorted(parts)]
    return WaitSample(
        decision_months, tuple(scenario.options), npv,
        tuple(np.column_stack([np.concatenate(v) for v in s.values()]) for s in seen),
        tuple(tuple(s) for s in seen))


def _mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1)) / math.sqrt(x.shape[0])


def _best_mean(npv: np.ndarray) -> float:
    """max(0, max over options of the mean NPV): the value of deciding on expectations."""
    return max(0.0, float(npv.mean(axis=0).max()))


def _rows(sample: WaitSample, pilot_cost: float = 0.0) -> tuple[list[WaitRow], str | None, float]:
    """The rows (k = 0 first), the option committed to now (None: the baseline), EVPI now.
    ``pilot_cost``: paid at month 0 by every waiting policy (its pilot runs meanwhile)."""
    ids, now = sample.option_ids, sample.npv[0]
    means_now = now.mean(axis=0)
    choice = int(np.argmax(means_now)) if means_now.max() > 0 else None
    earned_now = now[:, choice] if choice is not None else np.zeros(now.shape[0])
    best_now = _best_mean(now)

    def bound(npv: np.ndarray) -> float:
        nb = np.column_stack([np.zeros(npv.shape[0]), npv])
        return evpi(nb).value + _best_mean(npv) - best_now

    def committed(npv: np.ndarray) -> tuple[tuple[str, float], ...]:
        return tuple((oid, float(v)) for oid, v in zip(ids, npv.mean(axis=0), strict=True))

    mean, se = _mean_se(earned_now)
    evpi_now = bound(now)
    rows = [WaitRow(0, mean, se, float(choice is not None),
                    tuple((oid, float(j == choice)) for j, oid in enumerate(ids)),
                    committed(now), 0.0, 0.0, evpi_now, 0.0)]
    for i, k in enumerate(sample.months[1:], start=1):
        decision = decide_after_waiting(sample.features[i - 1], sample.npv[i])
        earned = decision.earned - pilot_cost
        mean, se = _mean_se(earned)
        value, value_se = _mean_se(earned - earned_now)
        shares = tuple((oid, float(np.mean(decision.decisions == j + 1)))
                       for j, oid in enumerate(ids))
        fits = tuple(OptionFit(oid, models, r2) for oid, models, r2
                     in zip(ids, decision.models, decision.r2_out_of_sample, strict=True))
        rows.append(WaitRow(k, mean, se, float(np.mean(decision.decisions > 0)), shares,
                            committed(sample.npv[i]), value, value_se,
                            bound(sample.npv[i]) - pilot_cost,
                            _best_mean(sample.npv[i]) - best_now - pilot_cost, fits))
    return rows, (ids[choice] if choice is not None else None), evpi_now


def check_pilot(scenario: Scenario, name: str | None,
                months: tuple[int, ...]) -> Pilot | None:
    """The named pilot, checked: it exists, measures an input of what is simulated, and
    is done by the first decision month."""
    if name is None:
        return None
    found = next((p for p in scenario.pilots if p.name == name), None)
    if found is None:
        known = ", ".join(repr(p.name) for p in scenario.pilots) or "none"
        raise ValueError(f"pilot: unknown pilot {name!r} (the scenario's pilots: {known})")
    owner = found.input.split(".")[1] if found.input.startswith("options.") else None
    if owner is not None and owner not in scenario.options:
        raise ValueError(f"pilot: {name!r} measures {found.input}, an option not weighed")
    if months[0] < found.duration_months:
        raise ValueError(f"months: the pilot {name!r} takes {found.duration_months:g} months; "
                         f"decide at {math.ceil(found.duration_months)} months or later")
    return found



def weighed_options(scenario: Scenario, option_ids: Sequence[str] | None) -> Scenario:
    """The scenario with only the options weighed (and the correlations among what is left:
    a Gaussian copula's sub-matrix is the copula of the inputs kept)."""
    if option_ids is None:
        return scenario
    unknown = [o for o in option_ids if o not in scenario.options]
    if unknown or not option_ids:
        raise ValueError(f"options: unknown option {unknown[0]!r} (the scenario has: "
                         f"{', '.join(scenario.options)})" if unknown else
                         "options: at least one option is needed")
    others = tuple(f"options.{o}." for o in scenario.options if o not in option_ids)
    kept = tuple(c for c in scenario.correlations
                 if not c.a.startswith(others) and not c.b.startswith(others))
    return replace(scenario, options={o: scenario.options[o] for o in scenario.options
                                      if o in option_ids}, correlations=kept)


def wait_analysis(
    source: Scenario | str | Path, months: Sequence[int] = DEFAULT_MONTHS, *,
    options: Sequence[str] | None = None, paths: int | None = None, seed: int | None = None,
    sampler: str | None = None, jobs: int | None = 1, chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_chunk: Callable[[int, int], None] | None = None, pilot: str | None = None,
) -> WaitAnalysis:
    """The value of waiting k months before deciding, for each k of ``months``.

    ``source``: a loaded scenario, a scenario file or TOML text; ``options``: the options
    weighed (default all; the decision is between the baseline and each of them);
    ``paths``, ``seed``, ``sampler`` default to the scenario's; ``jobs`` threads;
    ``pilot``: the name of one of the scenario's ``[[pilots]]``, run while waiting (its
    measurement is seen at k, its cost paid at month 0 by every waiting policy).
    Raises ValueError (naming the argument) before anything runs.
    """
    scenario = weighed_options(scenario_from(source), options)
    decision_months = check_months(months, scenario.horizon_months)
    study = check_pilot(scenario, pilot, decision_months)
    n = scenario.paths if paths is None else int(paths)
    if n < MIN_PATHS:
        raise ValueError(f"paths: the wait analysis needs at least {MIN_PATHS} paths, got {n}")
    seed = scenario.seed if seed is None else int(seed)
    sampler = sampler or scenario.sampler
    started = time.perf_counter()
    sample = simulate_waiting(scenario, decision_months, paths=n, seed=seed, sampler=sampler,
                              jobs=jobs, chunk_size=chunk_size, on_chunk=on_chunk, pilot=study)
    rows, now_option, evpi_now = _rows(sample, study.cost if study else 0.0)
    best = max(range(len(rows)), key=lambda i: (rows[i].value, -i))
    varying = dict.fromkeys(key for keys, x in zip(sample.feature_keys, sample.features,
                                                   strict=True)
                            for j, key in enumerate(keys) if np.ptp(x[:, j]) > 0)
    notes = [] if sampler == "random" else [
        f"Standard errors assume independent paths; with the {sampler} sampler they are "
        "conservative."]
    if n < FEW_PATHS:
        notes.append(f"With fewer than {FEW_PATHS:,} paths each rule is fitted on few paths and "
                     "may decide worse than the means; a negative value then belongs to that "
                     "rule more than to waiting: use more paths.")
    return WaitAnalysis(
        scenario=scenario.name, currency=scenario.currency,
        options=tuple((oid, o.name) for oid, o in scenario.options.items()), paths=n,
        seed=seed, sampler=sampler, horizon_months=scenario.horizon_months,
        discount_rate_annual=scenario.discount_rate_annual,
        seconds=time.perf_counter() - started, now_option=now_option, evpi_now=evpi_now,
        features=tuple(Feature(key, _feature_label(key, scenario, study)) for key in varying),
        rows=tuple(rows), best=best, notes=tuple(notes),
        pilot=None if study is None else study.name,
        pilot_cost=0.0 if study is None else study.cost)
