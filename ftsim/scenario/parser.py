"""The scenario parser: walks the raw TOML dict once (docs/scenario.md), collecting every
issue instead of stopping at the first; key-level checks come from `checks._SchemaReader`."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..distributions import Distribution, Fixed, parse_distribution
from ..format import show_value as _show
from .catalog_keys import _CatalogReader
from .checks import _BARE_KEY, _join
from .correlations import _CorrelationReader
from .model import BuildSpec, Input, OptionSpec, PriceIndexSpec, Scenario, ServingSpec
from .schema import (
    _WORLD_HOMES,
    BASELINE_PLAIN,
    BUILD_NUMERIC,
    BUILD_PLAIN,
    CAPACITY_KEYS,
    COUNT_KEYS,
    MAINTENANCE_NUMERIC,
    MAINTENANCE_PLAIN,
    MAX_ID,
    METADATA_KEYS,
    MODEL_PLAIN,
    OPTION_NUMERIC,
    OPTION_PLAIN,
    OPTION_SUBTABLES,
    PRICE_NUMERIC,
    REQUIRED,
    SCENARIO_PLAIN,
    SERVING_MODE_KEYS,
    SERVING_NUMERIC,
    SERVING_PLAIN,
    SIMULATION_PLAIN,
    TOP_LEVEL,
    TRAINING_MODE_KEYS,
    TRAINING_NUMERIC,
    WORLD_NUMERIC,
    _Required,
)
from .targets import npv_targets
from .voi_keys import _VoiReader

__all__: list[str] = []

class _Parser(_CorrelationReader, _CatalogReader, _VoiReader):
    """Walks the raw TOML dict once, collecting every issue instead of stopping at the first."""

    def __init__(self, base_dir: Path | None, allow_files_outside: bool = False) -> None:
        super().__init__()
        self.base_dir = base_dir
        self.allow_files_outside = allow_files_outside
        # numeric keys written but unusable (already reported): correlations naming them
        # stay silent instead of adding an "unknown input" error on top
        self.broken: set[str] = set()
        # tables whose numeric keys could not be read (unknown mode): same reason
        self.unread_prefixes: list[str] = []
        # each table's (source, as_of), by key path, read once
        self.table_meta: dict[str, tuple[str | None, str | None]] = {}

    def table_metadata(self, table: Mapping[str, object], prefix: str
                       ) -> tuple[str | None, str | None]:
        """The table's (source, as_of), checked the first time they are asked for."""
        if prefix not in self.table_meta:
            self.table_meta[prefix] = self.metadata(table, prefix)
        return self.table_meta[prefix]

    def number(self, table: Mapping[str, object], prefix: str, key: str,
               default: float | _Required, out: dict[str, Input], quiet: bool = False) -> None:
        """Parse a numeric input key (plain number or distribution table) into ``out``; a
        written key's source and as_of are its distribution table's, else its table's."""
        path = _join(prefix, key)
        source = as_of = None
        if key in table:
            written = table[key]
            source, as_of = self.table_metadata(table, prefix)
            if isinstance(written, dict):
                own_source, own_as_of = self.metadata(written, path)
                source, as_of = own_source or source, own_as_of or as_of
                written = {k: v for k, v in written.items() if k not in METADATA_KEYS}
                if "catalog" in written:
                    found = self.catalog(written, path, key)
                    if found is None:
                        self.broken.add(path)
                        return
                    written = found.value
                    source, as_of = own_source or found.source, own_as_of or found.as_of
            dist, issues = parse_distribution(written, path, self.base_dir,
                                              allow_outside=self.allow_files_outside)
            self.issues.extend(issues)
            if dist is None:
                if not issues:
                    self.issue(path, f"not a valid number or distribution: {_show(written)}")
                self.broken.add(path)
                return
            if self.check_support(path, key, dist, written):
                self.check_plausible(path, dist, written)
        elif (filled := self.model_value(prefix, key)) is not None:
            dist, written = Fixed(filled.value), filled.value
            source, as_of = filled.source, filled.as_of
            if self.check_support(path, key, dist, written):
                self.check_plausible(path, dist, written)
        elif isinstance(default, _Required):
            if not quiet and prefix not in self.model_fill:
                self.issue(path, "missing required key")
            self.broken.add(path)
            return
        else:
            self.table_metadata(table, prefix)
            dist, written = Fixed(default), None
        out[path] = Input(path, dist, key in COUNT_KEYS, written, source, as_of)

    def numbers(self, table: Mapping[str, object], prefix: str,
                spec: Mapping[str, float | _Required], out: dict[str, Input],
                quiet: bool = False) -> None:
        for key, default in spec.items():
            self.number(table, prefix, key, default, out, quiet)

    # -- world -------------------------------------------------------------------------

    def prices(self, raw: Mapping[str, object], inputs: dict[str, Input]
               ) -> dict[str, PriceIndexSpec]:
        table = self.table(raw, "prices", "prices")
        specs: dict[str, PriceIndexSpec] = {}
        for name in table or {}:
            path = f"prices.{name}"
            if not _BARE_KEY.fullmatch(name) or len(name) > MAX_ID:
                self.issue(path, f"price index names must be bare TOML keys (letters, digits, "
                                 f"'_', '-') of at most {MAX_ID} characters, got {_show(name)}")
                continue
            index = self.table(table or {}, name, path)
            if index is None:
                continue
            self.check_keys(index, path, (*PRICE_NUMERIC, "event_multiplier"))
            self.numbers(index, path, PRICE_NUMERIC, inputs)
            multiplier: Distribution = Fixed(1.0)
            if "event_multiplier" in index:
                kp = f"{path}.event_multiplier"
                if isinstance(index["event_multiplier"], dict):
                    self.metadata(index["event_multiplier"], kp)
                dist, issues = parse_distribution(index["event_multiplier"], kp, self.base_dir,
                                                  allow_outside=self.allow_files_outside)
                self.issues.extend(issues)
                if dist is not None:
                    if self.check_support(kp, "event_multiplier", dist,
                                          index["event_multiplier"]):
                        self.check_plausible(kp, dist, index["event_multiplier"])
                    multiplier = dist
            specs[name] = PriceIndexSpec(name, multiplier)
        return specs

    # -- options -----------------------------------------------------------------------

    def option(self, option_id: str, options: Mapping[str, object],
               price_names: Iterable[str], explained: frozenset[str] = frozenset()
               ) -> OptionSpec | None:
        """One option; ``explained`` names subtables whose absence is already reported (they
        were written under a mistyped id), so their absence adds no second error."""
        prefix = f"options.{option_id}"
        if not _BARE_KEY.fullmatch(option_id) or len(option_id) > MAX_ID:
            self.issue(prefix, f"option ids must be bare TOML keys (letters, digits, '_', '-') "
                               f"of at most {MAX_ID} characters so key paths stay "
                               f"unambiguous, got {_show(option_id)}")
            return None
        raw = self.table(options, option_id, prefix)
        if raw is None:
            return None
        homes = {k: f"[{prefix}.serving]" for k in (*SERVING_MODE_KEYS["gpu"],
                                                    *SERVING_MODE_KEYS["api"], "mode")}
        homes |= {k: f"[{prefix}.build]" for k in (*BUILD_NUMERIC, *TRAINING_MODE_KEYS["gpu"],
                                                   *TRAINING_MODE_KEYS["api"], "training_mode")}
        homes |= {k: f"[{prefix}.maintenance]" for k in (*MAINTENANCE_NUMERIC,
                                                         *MAINTENANCE_PLAIN)}
        self.check_keys(raw, prefix, (*OPTION_NUMERIC, *OPTION_PLAIN, *OPTION_SUBTABLES),
                        homes=homes)
        inputs: dict[str, Input] = {}
        name = self.plain(raw, prefix, "name", "string", option_id)
        uses_rag = self.plain(raw, prefix, "uses_rag", "boolean", True)
        self.numbers(raw, prefix, OPTION_NUMERIC, inputs)
        serving, serving_mode = self.serving(raw, prefix, inputs, price_names,
                                             required="serving" not in explained)
        build = self.build(raw, prefix, serving_mode, inputs, price_names)
        retrain_on_drift = self.maintenance(raw, prefix, inputs)
        if serving is None or build is None or None in (name, uses_rag, retrain_on_drift):
            return None
        return OptionSpec(id=option_id, name=str(name), uses_rag=bool(uses_rag),
                          retrain_on_drift=bool(retrain_on_drift), serving=serving,
                          build=build, inputs=inputs)

    def serving(self, raw: Mapping[str, object], prefix: str, inputs: dict[str, Input],
                price_names: Iterable[str], required: bool = True
                ) -> tuple[ServingSpec | None, str | None]:
        """The serving spec (None when invalid) and the serving mode (None when unknown)."""
        path = f"{prefix}.serving"
        table = self.table(raw, "serving", path, required=required)
        if table is None:
            return None, None
        mode = self.plain(table, path, "mode", "string", REQUIRED)
        if not isinstance(mode, str):  # missing or unknown: mode keys cannot be sorted out
            self.check_keys(table, path, (*SERVING_PLAIN, *SERVING_MODE_KEYS["gpu"],
                                          *SERVING_MODE_KEYS["api"]))
            self.table_metadata(table, path)
            self.unread_prefixes.append(f"{path}.")
            return None, None
        other = "api" if mode == "gpu" else "gpu"
        foreign = {k: f"belongs to serving mode {other!r}, not {mode!r}"
                   for k in SERVING_MODE_KEYS[other] if k not in SERVING_MODE_KEYS[mode]}
        self.check_keys(table, path, (*SERVING_PLAIN, *SERVING_MODE_KEYS[mode]), foreign)
        if mode == "api":
            self.model(table, path)
        self.numbers(table, path, SERVING_NUMERIC[mode], inputs)
        capacity = None
        if mode == "gpu":
            given = [k for k in CAPACITY_KEYS if k in table]
            if len(given) == 1:
                capacity = CAPACITY_KEYS[given[0]]
                self.number(table, path, given[0], REQUIRED, inputs)
            else:
                found = ", ".join(f"{k} = {_show(table[k])}" for k in given) or "neither"
                self.issue(path, "mode 'gpu' takes exactly one of throughput_tokens_per_second "
                                 f"and requests_per_second, found {found}")
        price_index = self.plain(table, path, "price_index", "string", mode)
        self.price_ref(f"{path}.price_index", price_index, price_names)
        if not isinstance(price_index, str) or (mode == "gpu" and capacity is None):
            return None, mode
        return ServingSpec(mode=mode, price_index=price_index, capacity=capacity), mode

    def build(self, raw: Mapping[str, object], prefix: str, serving_mode: str | None,
              inputs: dict[str, Input], price_names: Iterable[str]) -> BuildSpec | None:
        path = f"{prefix}.build"
        table = self.table(raw, "build", path) or {}
        mode = self.plain(table, path, "training_mode", "string", serving_mode)
        self.numbers(table, path, BUILD_NUMERIC, inputs)
        if not isinstance(mode, str):
            self.check_keys(table, path, (*BUILD_PLAIN, *BUILD_NUMERIC,
                                          *TRAINING_MODE_KEYS["gpu"], *TRAINING_MODE_KEYS["api"]))
            self.unread_prefixes.append(f"{path}.")
            return None
        other = "api" if mode == "gpu" else "gpu"
        foreign = {k: f"belongs to training_mode {other!r}, not {mode!r}"
                   for k in TRAINING_MODE_KEYS[other]}
        self.check_keys(table, path, (*BUILD_PLAIN, *BUILD_NUMERIC, *TRAINING_MODE_KEYS[mode]),
                        foreign)
        self.numbers(table, path, TRAINING_NUMERIC[mode], inputs)
        from_serving = False
        if mode == "gpu":
            if "training_gpu_hourly_cost" in table:
                self.number(table, path, "training_gpu_hourly_cost", REQUIRED, inputs)
            elif serving_mode == "gpu":
                from_serving = True
            elif serving_mode is not None:  # an unknown serving mode is reported already
                self.issue(f"{path}.training_gpu_hourly_cost",
                           f"missing required key: training_mode 'gpu' with serving mode "
                           f"{serving_mode!r} has no serving GPU cost to reuse")
        price_index = self.plain(table, path, "price_index", "string", mode)
        self.price_ref(f"{path}.price_index", price_index, price_names)
        if not isinstance(price_index, str):
            return None
        return BuildSpec(training_mode=mode, price_index=price_index,
                         gpu_cost_from_serving=from_serving)

    def maintenance(self, raw: Mapping[str, object], prefix: str,
                    inputs: dict[str, Input]) -> object:
        path = f"{prefix}.maintenance"
        table = self.table(raw, "maintenance", path) or {}
        self.check_keys(table, path, (*MAINTENANCE_NUMERIC, *MAINTENANCE_PLAIN))
        self.numbers(table, path, MAINTENANCE_NUMERIC, inputs)
        return self.plain(table, path, "retrain_on_drift", "boolean", False)

    def mistyped_ids(self, option_tables: Mapping[str, object]
                     ) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Options that are most likely a mistyped id: id -> (the id meant, its subtables).

        ``[options.lora_8bb.serving]`` next to ``[options.lora_8b]`` creates an option
        "lora_8bb" holding only that subtable. It is taken as a typo (and reported as one,
        instead of as a second option missing its serving mode) when it has nothing but
        subtables, its id is close to another id, and it either has no serving mode or
        supplies a subtable the other option lacks.
        """
        found: dict[str, tuple[str, tuple[str, ...]]] = {}
        ids = [i for i in option_tables if isinstance(i, str)]
        for option_id in ids:
            raw = option_tables[option_id]
            if not (isinstance(raw, dict) and raw and set(raw) <= set(OPTION_SUBTABLES)):
                continue
            close = difflib.get_close_matches(option_id, [i for i in ids if i != option_id],
                                              n=1)
            if not close:
                continue
            target = option_tables[close[0]]
            serving = raw.get("serving")
            no_mode = not (isinstance(serving, dict) and "mode" in serving)
            fills_gap = isinstance(target, dict) and any(k not in target for k in raw)
            if no_mode or fills_gap:
                subtables = tuple(raw)
                tables = ", ".join(f"[options.{option_id}.{t}]" for t in subtables)
                self.issue(f"options.{option_id}",
                           f"unknown option id {_show(option_id)} in {tables} (it holds no "
                           f"other keys); did you mean {close[0]!r}?")
                gaps = tuple(t for t in subtables if not isinstance(target, dict)
                             or t not in target)
                found[option_id] = (close[0], gaps)
        return found

    # -- whole file --------------------------------------------------------------------

    def settings(self, raw: Mapping[str, object], name: str) -> dict[str, Any]:
        """[scenario] and [simulation]: the plain settings, defaults applied."""
        head = self.table(raw, "scenario", "scenario", required=True) or {}
        self.check_keys(head, "scenario", SCENARIO_PLAIN, homes=_WORLD_HOMES)
        self.table_metadata(head, "scenario")
        plain: dict[str, Any] = {
            k: self.plain(head, "scenario", k, kind, name if default is None else default)
            for k, (kind, default) in SCENARIO_PLAIN.items()}
        horizon, payback = plain["horizon_months"], plain["payback_within_months"]
        if isinstance(horizon, int) and isinstance(payback, int) and payback > horizon:
            self.issue("scenario.payback_within_months",
                       f"must be in [1, horizon_months = {horizon}], got {payback}")
        sim = self.table(raw, "simulation", "simulation") or {}
        self.check_keys(sim, "simulation", SIMULATION_PLAIN, homes=_WORLD_HOMES)
        self.table_metadata(sim, "simulation")
        plain |= {k: self.plain(sim, "simulation", k, kind, default)
                  for k, (kind, default) in SIMULATION_PLAIN.items()}
        return plain

    def world(self, raw: Mapping[str, object]) -> tuple[dict[str, Input], dict[str, object]]:
        """The world's numeric inputs, and the baseline's plain keys (name, price_index)."""
        inputs: dict[str, Input] = {}
        baseline_plain: dict[str, object] = {}
        for table_name, spec in WORLD_NUMERIC.items():
            required = table_name in ("traffic", "baseline")
            table = self.table(raw, table_name, table_name, required=required)
            extra = BASELINE_PLAIN if table_name == "baseline" else {}
            catalog = MODEL_PLAIN if table_name == "baseline" else {}
            if table is not None:
                self.check_keys(table, table_name, (*spec, *extra, *catalog),
                                homes=_WORLD_HOMES)
                if catalog:
                    self.model(table, table_name)
            self.numbers(table or {}, table_name, spec, inputs, quiet=table is None)
            for key, (kind, default) in extra.items():
                baseline_plain[key] = self.plain(table or {}, table_name, key, kind, default)
        return inputs, baseline_plain

    def options(self, raw: Mapping[str, object],
                price_indices: Mapping[str, PriceIndexSpec]) -> dict[str, OptionSpec]:
        """Every [options.<id>] table (ids that look like mistyped subtables are explained)."""
        options: dict[str, OptionSpec] = {}
        option_tables = self.table(raw, "options", "options", required=True)
        if option_tables is not None and not option_tables:
            self.issue("options", "at least one [options.<id>] table is required, found none")
        typos = self.mistyped_ids(option_tables or {})
        explained: dict[str, set[str]] = {}
        for target, subtables in typos.values():
            explained.setdefault(target, set()).update(subtables)
        for option_id in option_tables or {}:
            if option_id in typos:
                self.unread_prefixes.append(f"options.{option_id}.")
                continue
            spec = self.option(option_id, option_tables or {}, price_indices,
                               frozenset(explained.get(option_id, ())))
            if spec is not None:
                options[option_id] = spec
            else:
                # its problems are reported; correlations naming its inputs stay silent
                # instead of calling them unknown
                self.unread_prefixes.append(f"options.{option_id}.")
        return options

    def scenario(self, raw: dict[str, object], *, name: str, file: Path | None,
                 sha256: str) -> Scenario | None:
        self.check_keys(raw, "", TOP_LEVEL, homes=_WORLD_HOMES, metadata=False)
        plain = self.settings(raw, name)
        inputs, baseline_plain = self.world(raw)
        has_rag = isinstance(raw.get("rag"), dict)

        price_indices = self.prices(raw, inputs)
        self.price_ref("baseline.price_index", baseline_plain["price_index"], price_indices)
        options = self.options(raw, price_indices)

        every_input = dict(inputs)
        for spec in options.values():
            every_input.update(spec.inputs)
        correlations = self.correlations(raw, every_input, price_indices)
        targets = npv_targets(self, raw)
        voi = self.voi(raw, every_input)

        if self.issues:
            return None
        return Scenario(
            name=str(plain["name"]), file=file, sha256=sha256, currency=str(plain["currency"]),
            horizon_months=plain["horizon_months"],
            payback_within_months=plain["payback_within_months"],
            discount_rate_annual=plain["discount_rate_annual"],
            required_probability=plain["required_probability"],
            paths=plain["paths"], seed=plain["seed"],
            sampler=str(plain["sampler"]), has_rag=has_rag,
            baseline_name=str(baseline_plain["name"]),
            baseline_price_index=str(baseline_plain["price_index"]),
            price_indices=price_indices, inputs=inputs, options=options,
            correlations=correlations, warnings=tuple(self.warnings), npv_targets=targets,
            **voi.as_fields(),
        )
