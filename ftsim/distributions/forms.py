"""parse_distribution: a TOML value (number or inline table) -> a Distribution or the issues."""

from __future__ import annotations

import math
import warnings
from pathlib import Path
from typing import TypeGuard

import numpy as np

from ..errors import ScenarioIssue
from ..format import suggest
from ..rng import U_MIN
from .base import Distribution, Fixed, Truncated, _g, safe_ppf
from .builders import (
    _AUTO,
    _FORMS,
    _LIST_PARAMS,
    _STR_PARAMS,
    DIST_NAMES,
    _build_empirical,
    _discrete,
    _Form,
    _Issues,
    _Params,
)
from .discrete import Choice, Empirical
from .files import _short_repr, _show

__all__ = ["DIST_NAMES", "METADATA_KEYS", "parse_distribution", "safe_ppf"]

# Provenance of the figures (``source = "..."``, ``as_of = "2025-06"``): allowed in every
# distribution table, ignored by the law; the scenario layer checks and keeps them.
METADATA_KEYS = ("source", "as_of")


def _is_number(v: object) -> TypeGuard[int | float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _finite(v: int | float) -> bool:
    """Finite and convertible to float (a TOML integer may have 4,000 digits)."""
    if isinstance(v, int):
        return -1e308 < v < 1e308
    return math.isfinite(v)


def _check_param(key: str, v: object, key_path: str, issues: _Issues) -> object | None:
    """The parameter as float / list of floats / str, or None after recording a type issue."""
    at = f"{key_path}.{key}"
    if key in _STR_PARAMS:
        if isinstance(v, str) and v:
            return v
        issues.append(ScenarioIssue(at, f"{key} must be a non-empty string, got {_show(v)}"))
    elif key in _LIST_PARAMS:
        if isinstance(v, list) and v and all(_is_number(x) and _finite(x) for x in v):
            return list(v)
        issues.append(
            ScenarioIssue(
                at, f"{key} must be a non-empty list of finite numbers, got {_show(v)}"
            )
        )
    elif _is_number(v) and _finite(v):
        return v
    elif _is_number(v):
        issues.append(ScenarioIssue(at, f"{key} must be a finite number, got {_show(v)}"))
    else:
        issues.append(ScenarioIssue(at, f"{key} must be a number, got {_show(v)}"))
    return None


def _check_truncate(v: object, key_path: str, issues: _Issues) -> tuple[float, float] | None:
    at = f"{key_path}.truncate"
    if not (
        isinstance(v, (list, tuple))
        and len(v) == 2
        and all(_is_number(x) and (_finite(x) or isinstance(x, float) and math.isinf(x)) for x in v)
    ):
        issues.append(
            ScenarioIssue(
                at, f"truncate must be [lo, hi] (numbers, inf allowed), got {_show(v)}"
            )
        )
        return None
    if v[0] > v[1]:
        issues.append(
            ScenarioIssue(at, f"truncate lower bound ({v[0]!r}) exceeds upper bound ({v[1]!r})")
        )
        return None
    return float(v[0]), float(v[1])


def _truncate(
    d: Distribution, lo: float, hi: float, key_path: str, issues: _Issues
) -> Distribution | None:
    suffix = f" truncated to [{_g(lo)}, {_g(hi)}]"
    if isinstance(d, (Fixed, Choice, Empirical)):
        kept: Distribution | None
        if isinstance(d, Fixed):
            kept = Fixed(d.value, d.describe() + suffix) if lo <= d.value <= hi else None
        elif isinstance(d, Choice):
            mask = (d.values >= lo) & (d.values <= hi)
            kept = (
                _discrete(Choice(d.values[mask].tolist(), d.probs[mask].tolist(),
                                 d.describe() + suffix))
                if mask.any()
                else None
            )
        else:
            mask = (d.samples >= lo) & (d.samples <= hi)
            kept = (
                _discrete(Empirical(d.samples[mask].tolist(), d.describe() + suffix))
                if mask.any() else None
            )
        if kept is None:
            issues.append(
                ScenarioIssue(
                    f"{key_path}.truncate",
                    f"truncate [{lo!r}, {hi!r}] keeps no value of {d.describe()}",
                )
            )
        return kept
    try:
        # the law's cdf at the bounds may overflow on the way to a valid 0 or 1
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Truncated(d, lo, hi)
    except (ValueError, ArithmeticError):
        issues.append(
            ScenarioIssue(
                f"{key_path}.truncate",
                f"truncate [{lo!r}, {hi!r}] has zero probability under {d.describe()}",
            )
        )
        return None


def _number(value: int | float, key_path: str) -> tuple[Distribution | None, list[ScenarioIssue]]:
    """A plain TOML number: a fixed value."""
    if isinstance(value, int) and not _finite(value):
        # float() of a huge TOML integer raises OverflowError
        return None, [ScenarioIssue(key_path, f"number {_show(value)} is out of range")]
    if math.isnan(value):
        return None, [ScenarioIssue(key_path, f"expected a number, got {_show(value)}")]
    return Fixed(value), []


def _form_of(value: dict, key_path: str) -> tuple[_Form | None, str, list[ScenarioIssue]]:
    """The form a table's `dist` names (the p5/p95 form without one) and its label."""
    name = value.get("dist")
    if name is None:
        return _AUTO, "a table without 'dist'", []
    if not isinstance(name, str) or name not in _FORMS:
        known = ", ".join(sorted(_FORMS))
        hint = suggest(name, list(_FORMS)) if isinstance(name, str) else ""
        shown = _short_repr(name) if isinstance(name, str) else _show(name)
        return None, "", [
            ScenarioIssue(f"{key_path}.dist", f"unknown dist {shown}{hint} (known: {known})")
        ]
    return _FORMS[name], name, []


def _unknown_keys(value: dict, form: _Form, label: str, key_path: str,
                  issues: _Issues) -> None:
    variant_keys = [k for variant in form.variants for k in variant]
    allowed = list(dict.fromkeys(["dist", *variant_keys, *form.optional, "truncate",
                                  *METADATA_KEYS]))
    for key in value:
        if key not in allowed:
            hint = " (set dist to use other parameters)" if form is _AUTO else ""
            issues.append(
                ScenarioIssue(
                    f"{key_path}.{key}",
                    f"unknown parameter {key!r} for {label}{suggest(key, allowed)}{hint}"
                    f" (allowed: {', '.join(k for k in allowed if k != 'dist')})",
                )
            )


def _parameters(value: dict, form: _Form, label: str, key_path: str,
                issues: _Issues) -> tuple[_Params, bool]:
    """The checked parameters, and whether they make one complete set (buildable)."""
    variant_keys = [k for variant in form.variants for k in variant]
    params: _Params = {}
    for key in dict.fromkeys((*variant_keys, *form.optional)):
        if key in value:
            params[key] = _check_param(key, value[key], key_path, issues)
    complete = [v for v in form.variants if all(k in value for k in v)]
    alternatives = " or ".join("(" + ", ".join(v) + ")" for v in form.variants)
    buildable = bool(complete) and all(v is not None for v in params.values())
    if not complete:
        best = max(form.variants, key=lambda v: sum(k in value for k in v))
        also = f"; {label} takes {alternatives}" if len(form.variants) > 1 else ""
        for key in best:
            if key not in value:
                issues.append(
                    ScenarioIssue(key_path, f"missing parameter {key!r} for {label}{also}")
                )
    elif set(variant_keys) & set(value) - set(complete[0]):
        found = ", ".join(k for k in value if k in variant_keys)
        issues.append(
            ScenarioIssue(key_path, f"{label} takes {alternatives}, not a mix (found {found})")
        )
        buildable = False
    return params, buildable


def _build(form: _Form, label: str, params: _Params, key_path: str, issues: _Issues,
           base_dir: Path | None, allow_outside: bool) -> Distribution | None:
    try:
        if form.build is _build_empirical:
            return _build_empirical(params, key_path, issues, base_dir, allow_outside)
        return form.build(params, key_path, issues)
    except (ArithmeticError, ValueError) as exc:
        # parameters each valid on their own but together beyond double precision
        # (e.g. a pert width max - min that overflows): refused, naming the key
        issues.append(ScenarioIssue(key_path, f"{label} with these parameters is not a "
                                              f"usable law: {exc}"))
        return None


def parse_distribution(
    value: object, key_path: str, base_dir: Path | None, *, allow_outside: bool = False
) -> tuple[Distribution | None, list[ScenarioIssue]]:
    """Turn a TOML value (number or inline table, docs/model.md section 10) into a Distribution.

    Returns ``(distribution, [])`` or ``(None, issues)`` with every problem found; an issue's
    key path is ``key_path`` for rules across parameters and ``key_path.<param>`` for one
    parameter. CSV paths of empirical tables are relative to ``base_dir`` (the scenario
    file's folder; the working directory when None).
    """
    if _is_number(value):
        return _number(value, key_path)
    if not isinstance(value, dict):
        return None, [
            ScenarioIssue(
                key_path, f"expected a number or a distribution table, got {_show(value)}"
            )
        ]
    form, label, issues = _form_of(value, key_path)
    if form is None:
        return None, issues
    _unknown_keys(value, form, label, key_path, issues)
    params, buildable = _parameters(value, form, label, key_path, issues)
    bounds = _check_truncate(value["truncate"], key_path, issues) if "truncate" in value else None
    dist: Distribution | None = None
    if buildable:  # value rules still run when other keys are at fault, to report them all
        dist = _build(form, label, params, key_path, issues, base_dir, allow_outside)
    if dist is not None and bounds is not None and not issues:
        dist = _truncate(dist, *bounds, key_path, issues)
    if dist is not None and not issues and safe_ppf(dist, (U_MIN, 0.5, 1 - U_MIN)) is None:
        issues.append(ScenarioIssue(key_path, f"{dist.describe()} cannot be evaluated at its "
                                              "extreme quantiles (parameters beyond double "
                                              "precision)"))
    return (None, issues) if issues else (dist, [])
