"""Distribution tables of a scenario (MODEL.md sections 2, 3) -> laws: parse_distribution and its rules."""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import reprlib
import stat
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special

from . import laws
from .errors import ScenarioIssue

# The laws live in laws.py; every name in laws.__all__ is re-exported so
# ``ftsim.distributions`` stays the one import (TABLE_TOLERANCE is not used here).
from .laws import TABLE_TOLERANCE as TABLE_TOLERANCE
from .laws import (
    Beta,
    Choice,
    Distribution,
    Empirical,
    Fixed,
    Gamma,
    LogNormal,
    Normal,
    Triangular,
    Truncated,
    Uniform,
    _g,
    _list,
)

__all__ = [*laws.__all__, "DIST_NAMES", "EMPIRICAL_MAX_BYTES", "U_EDGE", "parse_distribution",
           "safe_ppf"]

_Z95 = float(special.ndtri(0.95))  # 1.6448536269514722

# The sampler's uniforms lie in [U_EDGE, 1 - U_EDGE] (sampling._U_EPS): a random law's
# reachable extremes are its quantiles there.
U_EDGE = 2.0**-53
# An empirical file larger than this is refused (read in full at load time and shipped to
# every worker; 50 MB is about 5 million numbers, far beyond any observed sample).
EMPIRICAL_MAX_BYTES = 50 * 1024 * 1024

_Params = dict[str, object]
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


def safe_ppf(dist: Distribution, u: Sequence[float]) -> np.ndarray | None:
    """``dist.ppf(u)`` without warnings or exceptions; None when the law cannot be evaluated.

    Why: the load-time checks probe a law at its extreme quantiles, where exp() may
    overflow to inf (fine: the range check then refuses it) or scipy may return nan for
    parameters it cannot handle (the law is then unusable and refused).
    """
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            x = dist.ppf(np.asarray(u, dtype=np.float64))
    except (ArithmeticError, ValueError):
        return None
    return None if np.isnan(x).any() else x


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


def _bounded_repr() -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxlevel, r.maxstring, r.maxother, r.maxlong = 4, 60, 60, 40
    return r


# repr() of a value found, bounded in length and nesting (a 100,000-element list or an array
# nested 900 deep is legal TOML; messages need only its start)
_show = _bounded_repr().repr


def _short_repr(text: str, limit: int = 80) -> str:
    """``repr(text)`` cut to about ``limit`` characters (file and column names in messages)."""
    return repr(text) if len(text) <= limit else repr(text[: limit - 3]) + "..."


def _looks_like_names(header: Sequence[str]) -> bool:
    """True when a header row reads as column names, so a message may list them.

    Why: with --allow-files-outside (or a misnamed file) the first row may be anything,
    e.g. a line of a password file; only short printable name-like cells are echoed.
    """
    return 0 < len(header) <= 50 and all(
        0 < len(h) <= 64 and h.isprintable() and not any(c in h for c in ":/\\=;$`'\"<>")
        for h in header)


def _parse_csv(text: str, column: str, file: str) -> tuple[list[float], str | None, str]:
    """Values of one CSV column (header row first; blank cells skipped) or an error and its key.

    Messages name the file, the column and line numbers; they never quote a cell, so a
    file's content cannot leak into the terminal or the logs.
    """
    shown = _short_repr(file)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        return [], f"empirical file {shown} is not readable CSV ({exc})", "file"
    if not rows:
        return [], f"empirical file {shown} is empty (expected a header row)", "file"
    header = [h.strip() for h in rows[0]]
    if column not in header:
        if _looks_like_names(header):
            listed = f"columns: {', '.join(header)}"
            hint = _suggest(column, header)
        else:
            listed, hint = f"its first row ({len(header)} cells) is not a row of column names", ""
        return [], f"column {_short_repr(column)} not found in {shown} ({listed}){hint}", "column"
    j = header.index(column)
    values: list[float] = []
    bad: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        cell = row[j].strip() if j < len(row) else ""
        if not cell:
            continue
        try:
            x = float(cell)
        except ValueError:
            x = math.nan
        if math.isfinite(x):
            values.append(x)
        else:
            bad.append(line)
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        lines = ", ".join(str(n) for n in bad[:3])
        msg = (f"column {_short_repr(column)} of {shown} has non-numeric or non-finite values "
               f"on line{'s' if len(bad) > 1 else ''} {lines}{more}")
        return [], msg, "column"
    if not values:
        return [], f"column {_short_repr(column)} of {shown} holds no values", "column"
    return values, None, ""


def _size(n: int) -> str:
    return f"{n:,} bytes" if n < 2**20 else f"{n / 2**20:.1f} MiB"


def _read_text(file: str, base_dir: Path | None, allow_outside: bool) -> tuple[str | None, str]:
    """The text of an empirical file, or (None, the reason); the reason names the file."""
    shown = _short_repr(file)
    if "\0" in file:
        return None, f"empirical file name {shown} contains a NUL character"
    root = Path.cwd() if base_dir is None else Path(base_dir)
    path = Path(file)
    if not path.is_absolute():
        path = root / path
    try:
        resolved = path.resolve()  # symlinks followed: the target is what is read
        inside = resolved.is_relative_to(root.resolve())
    except (OSError, RuntimeError, ValueError) as exc:  # RuntimeError: a symlink loop
        return None, f"cannot resolve empirical file {shown}: {exc}"
    if not (inside or allow_outside):
        return None, (f"empirical file {shown} resolves to {_short_repr(str(resolved))}, outside "
                      f"the scenario's folder {_short_repr(str(root.resolve()))}; move it there "
                      "or pass --allow-files-outside")
    try:
        info = resolved.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, f"empirical file {shown} is not a regular file"
        if info.st_size > EMPIRICAL_MAX_BYTES:
            return None, (f"empirical file {shown} is {_size(info.st_size)}, above the "
                          f"{_size(EMPIRICAL_MAX_BYTES)} limit for empirical files")
        # O_NONBLOCK: a file swapped for a FIFO after the check cannot hang the loader
        fd = os.open(resolved, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            data = fh.read(EMPIRICAL_MAX_BYTES + 1)  # /proc files report size 0
    except OSError as exc:
        return None, f"cannot read empirical file {shown}: {exc.strerror or type(exc).__name__}"
    if len(data) > EMPIRICAL_MAX_BYTES:
        return None, (f"empirical file {shown} is above the {_size(EMPIRICAL_MAX_BYTES)} "
                      "limit for empirical files")
    if b"\0" in data:
        return None, f"empirical file {shown} contains NUL bytes: not a CSV text file"
    try:
        return data.decode("utf-8-sig"), ""
    except UnicodeDecodeError as exc:
        return None, f"empirical file {shown} is not UTF-8 text (invalid byte at offset {exc.start})"


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


def _suggest(word: str, options: Sequence[str]) -> str:
    match = difflib.get_close_matches(word.lower(), list(options), n=1, cutoff=0.6)
    return f"; did you mean {match[0]!r}?" if match else ""


def _is_number(v: object) -> bool:
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
        if isinstance(d, Fixed):
            kept = Fixed(d.value, d.describe() + suffix) if lo <= d.value <= hi else None
        elif isinstance(d, Choice):
            mask = (d.values >= lo) & (d.values <= hi)
            kept = (
                _discrete(Choice(d.values[mask], d.probs[mask], d.describe() + suffix))
                if mask.any()
                else None
            )
        else:
            mask = (d.samples >= lo) & (d.samples <= hi)
            kept = (
                _discrete(Empirical(d.samples[mask], d.describe() + suffix)) if mask.any() else None
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


def parse_distribution(
    value: object, key_path: str, base_dir: Path | None, *, allow_outside: bool = False
) -> tuple[Distribution | None, list[ScenarioIssue]]:
    """Turn a TOML value (number or inline table, MODEL.md section 2) into a Distribution.

    Returns ``(distribution, [])`` or ``(None, issues)`` with every problem found; an issue's
    key path is ``key_path`` for rules across parameters and ``key_path.<param>`` for one
    parameter. CSV paths of empirical tables are relative to ``base_dir`` (the scenario
    file's folder; the working directory when None).
    """
    if _is_number(value):
        if isinstance(value, int) and not _finite(value):
            # float() of a huge TOML integer raises OverflowError
            return None, [ScenarioIssue(key_path, f"number {_show(value)} is out of range")]
        if math.isnan(value):
            return None, [ScenarioIssue(key_path, f"expected a number, got {_show(value)}")]
        return Fixed(value), []
    if not isinstance(value, dict):
        return None, [
            ScenarioIssue(
                key_path, f"expected a number or a distribution table, got {_show(value)}"
            )
        ]
    issues: _Issues = []
    name = value.get("dist")
    if name is None:
        form, label = _AUTO, "a table without 'dist'"
    elif not isinstance(name, str) or name not in _FORMS:
        known = ", ".join(sorted(_FORMS))
        hint = _suggest(name, list(_FORMS)) if isinstance(name, str) else ""
        shown = _short_repr(name) if isinstance(name, str) else _show(name)
        return None, [
            ScenarioIssue(f"{key_path}.dist", f"unknown dist {shown}{hint} (known: {known})")
        ]
    else:
        form, label = _FORMS[name], name
    variant_keys = [k for variant in form.variants for k in variant]
    allowed = list(dict.fromkeys(["dist", *variant_keys, *form.optional, "truncate"]))
    for key in value:
        if key not in allowed:
            hint = " (set dist to use other parameters)" if form is _AUTO else ""
            issues.append(
                ScenarioIssue(
                    f"{key_path}.{key}",
                    f"unknown parameter {key!r} for {label}{_suggest(key, allowed)}{hint}"
                    f" (allowed: {', '.join(k for k in allowed if k != 'dist')})",
                )
            )
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
    bounds = _check_truncate(value["truncate"], key_path, issues) if "truncate" in value else None
    dist: Distribution | None = None
    if buildable:  # value rules still run when other keys are at fault, to report them all
        try:
            if form.build is _build_empirical:
                dist = _build_empirical(params, key_path, issues, base_dir, allow_outside)
            else:
                dist = form.build(params, key_path, issues)
        except (ArithmeticError, ValueError) as exc:
            # parameters each valid on their own but together beyond double precision
            # (e.g. a pert width max - min that overflows): refused, naming the key
            issues.append(ScenarioIssue(key_path, f"{label} with these parameters is not a "
                                                  f"usable law: {exc}"))
            dist = None
    if dist is not None and bounds is not None and not issues:
        dist = _truncate(dist, *bounds, key_path, issues)
    if dist is not None and not issues and safe_ppf(dist, (U_EDGE, 0.5, 1 - U_EDGE)) is None:
        issues.append(ScenarioIssue(key_path, f"{dist.describe()} cannot be evaluated at its "
                                              "extreme quantiles (parameters beyond double "
                                              "precision)"))
    return (None, issues) if issues else (dist, [])
