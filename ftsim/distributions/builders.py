"""The `dist` forms of docs/model.md section 10: their parameter sets and one builder per form."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy import special

from ..errors import ScenarioIssue
from .base import Distribution, Fixed, _g, _list
from .continuous import LogNormal, Normal, Triangular, Uniform
from .discrete import Choice, Empirical
from .files import _parse_csv, _read_text, _short_repr, _show
from .tabulated import Beta, Gamma

__all__ = ["DIST_NAMES"]

_Z95 = float(special.ndtri(0.95))  # 1.6448536269514722

# A form's parameters, already checked by forms.py (finite numbers, lists of them, strings):
# each builder reads the keys its form requires.
_Params = dict[str, Any]
_Issues = list[ScenarioIssue]
_Builder = Callable[[_Params, str, _Issues], "Distribution | None"]


@dataclass(frozen=True)
class _Form:
    """One `dist` value: alternative required parameter sets, optional ones, a builder."""

    variants: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...]
    build: _Builder


_LIST_PARAMS = frozenset({"values", "weights", "samples"})
_STR_PARAMS = frozenset({"file", "column"})


def _text(name: str, p: _Params, order: Sequence[str]) -> str:
    parts = []
    for key in order:
        if key in p:
            v = p[key]
            shown = _list(v) if isinstance(v, list) else repr(v) if isinstance(v, str) else _g(v)
            parts.append(f"{key}={shown}")
    return f"{name}({', '.join(parts)})"


def _need_below(p: _Params, lo: str, hi: str, key_path: str, issues: _Issues) -> bool:
    if p[lo] >= p[hi]:
        issues.append(ScenarioIssue(key_path, f"{lo} ({p[lo]!r}) must be below {hi} ({p[hi]!r})"))
        return False
    return True


def _need_positive(
    p: _Params, keys: Sequence[str], what: str, key_path: str, issues: _Issues
) -> bool:
    ok = True
    for key in keys:
        if p[key] <= 0:
            issues.append(
                ScenarioIssue(f"{key_path}.{key}", f"{what} {key} must be positive, got {p[key]!r}")
            )
            ok = False
    return ok


def _need_sd(p: _Params, key_path: str, issues: _Issues) -> bool:
    if p["sd"] < 0:
        issues.append(ScenarioIssue(f"{key_path}.sd", f"sd must not be negative, got {p['sd']!r}"))
        return False
    return True



def _fit_normal(p: _Params, text: str) -> Distribution:
    # p5 = mu - z95 sigma, p95 = mu + z95 sigma; halves first so p5 + p95 cannot overflow
    return Normal(0.5 * p["p5"] + 0.5 * p["p95"], (0.5 * p["p95"] - 0.5 * p["p5"]) / _Z95, text)


def _fit_lognormal(p: _Params, text: str) -> Distribution:
    lo, hi = math.log(p["p5"]), math.log(p["p95"])
    return LogNormal(0.5 * (lo + hi), (hi - lo) / (2 * _Z95), text)


def _build_auto(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    if not _need_below(p, "p5", "p95", key_path, issues):
        return None
    if p["p5"] > 0:
        return _fit_lognormal(p, _text("lognormal", p, ("p5", "p95")))
    return _fit_normal(p, _text("normal", p, ("p5", "p95")))


def _build_normal(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    if "p5" in p:
        ok = _need_below(p, "p5", "p95", key_path, issues)
        return _fit_normal(p, _text("normal", p, ("p5", "p95"))) if ok else None
    if not _need_sd(p, key_path, issues):
        return None
    text = _text("normal", p, ("mean", "sd"))
    return Fixed(p["mean"], text) if p["sd"] == 0 else Normal(p["mean"], p["sd"], text)


def _build_lognormal(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    if "mean" in p:
        ok = _need_positive(p, ("mean",), "lognormal", key_path, issues)
        if not (_need_sd(p, key_path, issues) and ok):
            return None
        text = _text("lognormal", p, ("mean", "sd"))
        if p["sd"] == 0:
            return Fixed(p["mean"], text)
        # mean = exp(mu + s^2/2), sd^2 = mean^2 (exp(s^2) - 1)
        ratio = p["sd"] / p["mean"]
        r2 = ratio * ratio  # a float product: inf on overflow, 0 on underflow, never raises
        if not math.isfinite(r2):
            issues.append(ScenarioIssue(key_path, f"lognormal with sd/mean = {ratio:g} has no "
                                                  "finite sigma ((sd/mean)^2 overflows); give a "
                                                  "smaller sd or use p5/p95"))
            return None
        s2 = math.log1p(r2)
        if not s2 > 0:
            issues.append(ScenarioIssue(key_path, f"lognormal with sd/mean = {ratio:g} has sigma "
                                                  "0 in double precision (a degenerate law); "
                                                  "write the mean as a plain number instead"))
            return None
        return LogNormal(math.log(p["mean"]) - 0.5 * s2, math.sqrt(s2), text)
    first = "median" if "median" in p else "p5"
    ok = _need_positive(p, (first, "p95"), "lognormal", key_path, issues)
    if not (_need_below(p, first, "p95", key_path, issues) and ok):
        return None
    text = _text("lognormal", p, (first, "p95"))
    if first == "p5":
        return _fit_lognormal(p, text)
    mu = math.log(p["median"])
    return LogNormal(mu, (math.log(p["p95"]) - mu) / _Z95, text)


def _need_order(p: _Params, keys: Sequence[str], key_path: str, issues: _Issues) -> bool:
    """min <= mode <= max (adjacent pairs); min > max only reported when no pair was."""
    bad = [(a, b) for a, b in zip(keys, keys[1:], strict=False) if p[a] > p[b]]
    if not bad and p[keys[0]] > p[keys[-1]]:
        bad = [(keys[0], keys[-1])]
    for a, b in bad:
        issues.append(ScenarioIssue(key_path, f"{a} ({p[a]!r}) must not exceed {b} ({p[b]!r})"))
    return not bad


def _build_uniform(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    if not _need_order(p, ("min", "max"), key_path, issues):
        return None
    text = _text("uniform", p, ("min", "max"))
    return Fixed(p["min"], text) if p["min"] == p["max"] else Uniform(p["min"], p["max"], text)


def _build_triangular(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    if not _need_order(p, ("min", "mode", "max"), key_path, issues):
        return None
    text = _text("triangular", p, ("min", "mode", "max"))
    if p["min"] == p["max"]:
        return Fixed(p["min"], text)
    return Triangular(p["min"], p["mode"], p["max"], text)


def _build_pert(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    ok = _need_order(p, ("min", "mode", "max"), key_path, issues)
    lam = p.get("lambda", 4.0)
    if lam <= 0:
        issues.append(ScenarioIssue(f"{key_path}.lambda", f"lambda must be positive, got {lam!r}"))
        ok = False
    if not ok:
        return None
    text = _text("pert", p, ("min", "mode", "max", "lambda"))
    lo, mode, hi = p["min"], p["mode"], p["max"]
    if lo == hi:
        return Fixed(lo, text)
    a = 1 + lam * (mode - lo) / (hi - lo)
    b = 1 + lam * (hi - mode) / (hi - lo)
    return Beta(a, b, lo, hi, text)


def _build_beta(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    full = {"min": 0.0, "max": 1.0, **p}
    ok = _need_positive(p, ("a", "b"), "beta", key_path, issues)
    if not (_need_order(full, ("min", "max"), key_path, issues) and ok):
        return None
    text = _text("beta", p, ("a", "b", "min", "max"))
    if full["min"] == full["max"]:
        return Fixed(full["min"], text)
    return Beta(p["a"], p["b"], full["min"], full["max"], text)


def _build_gamma(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    ok = _need_positive(p, ("mean",), "gamma", key_path, issues)
    if not (_need_sd(p, key_path, issues) and ok):
        return None
    text = _text("gamma", p, ("mean", "sd"))
    if p["sd"] == 0:
        return Fixed(p["mean"], text)
    # shape = (mean/sd)^2, scale = sd^2/mean, as float products (inf or 0, never raising)
    ratio = p["mean"] / p["sd"]
    shape, scale = ratio * ratio, p["sd"] * (p["sd"] / p["mean"])
    if not (0 < shape < math.inf and 0 < scale < math.inf):
        issues.append(ScenarioIssue(key_path, f"gamma with mean/sd = {ratio:g} gives shape "
                                              f"(mean/sd)^2 = {shape:g} and scale sd^2/mean = "
                                              f"{scale:g}; both must be finite and positive"))
        return None
    return Gamma(shape, scale, text)


def _build_choice(p: _Params, key_path: str, issues: _Issues) -> Distribution | None:
    values, weights = p["values"], p.get("weights")
    if weights is not None:
        n_issues = len(issues)
        if len(weights) != len(values):
            issues.append(
                ScenarioIssue(
                    f"{key_path}.weights",
                    f"weights has {len(weights)} entries but values has {len(values)}",
                )
            )
        negative = [w for w in weights if w < 0]
        if negative:
            issues.append(
                ScenarioIssue(
                    f"{key_path}.weights", f"weights must not be negative, got {negative[0]!r}"
                )
            )
        elif max(weights) <= 0:
            issues.append(ScenarioIssue(f"{key_path}.weights",
                                        f"weights sum to zero: {_show(weights)}"))
        if len(issues) > n_issues:
            return None
    return _discrete(Choice(values, weights, _text("choice", p, ("values", "weights"))))



def _discrete(d: Choice | Empirical) -> Distribution:
    return Fixed(d.support[0], d.describe()) if d.is_fixed else d


def _build_empirical(
    p: _Params,
    key_path: str,
    issues: _Issues,
    base_dir: Path | None = None,
    allow_outside: bool = False,
) -> Distribution | None:
    if "samples" in p:
        samples = p["samples"]
        return _discrete(Empirical(samples, _text("empirical", p, ("samples",))))
    text, reason = _read_text(p["file"], base_dir, allow_outside)
    if text is None:
        issues.append(ScenarioIssue(f"{key_path}.file", reason))
        return None
    samples, error, key = _parse_csv(text, p["column"], p["file"])
    if error is not None:
        issues.append(ScenarioIssue(f"{key_path}.{key}", error))
        return None
    text = (f"empirical(file={_short_repr(p['file'])}, column={_short_repr(p['column'])}, "
            f"n={len(samples)})")
    return _discrete(Empirical(samples, text))


_FORMS: dict[str, _Form] = {
    "normal": _Form((("mean", "sd"), ("p5", "p95")), (), _build_normal),
    "lognormal": _Form((("p5", "p95"), ("median", "p95"), ("mean", "sd")), (), _build_lognormal),
    "uniform": _Form((("min", "max"),), (), _build_uniform),
    "triangular": _Form((("min", "mode", "max"),), (), _build_triangular),
    "pert": _Form((("min", "mode", "max"),), ("lambda",), _build_pert),
    "beta": _Form((("a", "b"),), ("min", "max"), _build_beta),
    "gamma": _Form((("mean", "sd"),), (), _build_gamma),
    "choice": _Form((("values",),), ("weights",), _build_choice),
    "empirical": _Form((("samples",), ("file", "column")), (), _build_empirical),
}
_AUTO = _Form((("p5", "p95"),), (), _build_auto)
DIST_NAMES: tuple[str, ...] = tuple(_FORMS)
