"""Per-token prices from the genai-prices catalog (Pydantic's, bundled with the package).

A scenario may name a model instead of typing its prices (``model = "openai:gpt-4o"``, or
``price_input_per_mtok = { catalog = "openai:gpt-4o" }``). The catalog is the snapshot that
ships inside the installed ``genai-prices`` package: nothing is fetched from the network, so a
run is reproducible for a given package version, which every resolved price records in its
source line. Updating the prices means upgrading the package (``pip install --upgrade
genai-prices``); the package can also fetch newer data into a running process, which ftsim
never does.

``genai_prices`` is imported lazily: loading its data costs ~0.2 s, paid only by scenarios
and commands that name a catalog model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any, Literal

from ..errors import one_line
from ..format import suggest

__all__ = ["CatalogPrice", "CatalogEntry", "CatalogValue", "DatedPrice", "CatalogLookupError",
           "PriceKind", "PRICE_KEYS", "catalog_version", "resolve_catalog_price", "search_models",
           "price_changes", "model_values", "key_value"]

PriceKind = Literal["input", "output", "cached_input"]
# the catalog's name for each price (USD per million tokens)
_CATALOG_FIELD: dict[str, str] = {"input": "input_mtok", "output": "output_mtok",
                                  "cached_input": "cache_read_mtok"}
_KIND_TEXT = {"input": "input", "output": "output", "cached_input": "cached-input"}
# scenario keys a catalog reference can fill, and the price each one takes
PRICE_KEYS: dict[str, PriceKind] = {"price_input_per_mtok": "input",
                                    "price_output_per_mtok": "output"}
_SOURCE_LIMIT = 300  # the scenario's limit for a source line


class CatalogLookupError(ValueError):
    """A reference the catalog cannot answer; ``str()`` is one line naming the closest names.

    It carries no key path: the scenario parser wraps it into a ScenarioIssue at the key that
    holds the reference.
    """


@dataclass(frozen=True)
class CatalogPrice:
    """One price from the catalog, with what is needed to cite it."""

    value_per_mtok: float
    model: str  # the catalog's model id (a dated alias resolves to its model)
    provider: str
    catalog_version: str  # e.g. "genai-prices 0.2.3"
    as_of: str | None  # "YYYY-MM-DD" the price took effect, when the catalog dates it
    source: str  # one line for the scenario's source field and the report


@dataclass(frozen=True)
class DatedPrice:
    """A price the catalog dates: in force from ``start`` (None: before the first dated one)."""

    start: dt.date | None
    input_per_mtok: float | None
    output_per_mtok: float | None


@dataclass(frozen=True)
class CatalogEntry:
    """One model of the catalog with its prices in force on the search date."""

    provider: str
    model: str
    name: str | None
    input_per_mtok: float | None
    output_per_mtok: float | None
    cached_input_per_mtok: float | None
    as_of: str | None
    deprecated: bool
    tiered: bool  # some price rises above a prompt-length threshold (the base price is shown)

    @property
    def ref(self) -> str:
        return f"{self.provider}:{self.model}"


@dataclass(frozen=True)
class CatalogValue:
    """A scenario key's value taken from the catalog (a price, or the cached-price factor)."""

    key: str
    value: float
    source: str
    as_of: str | None


def _catalog() -> Any:
    """The genai_prices module, or a one-line error telling how to install it."""
    try:
        import genai_prices
    except ImportError:  # pragma: no cover - genai-prices is a dependency
        raise CatalogLookupError("the price catalog needs the genai-prices package "
                                 "(pip install genai-prices)") from None
    return genai_prices


@cache
def catalog_version() -> str:
    """``"genai-prices X.Y.Z"``: the snapshot every catalog price comes from."""
    return f"genai-prices {_catalog().__version__}"


def _providers() -> list[Any]:
    from genai_prices.data_snapshot import get_snapshot

    _catalog()
    return list(get_snapshot().providers)


def _as_float(price: object) -> tuple[float | None, bool]:
    """A catalog price as float (a tiered price as its base), and whether it was tiered."""
    if price is None:
        return None, False
    if isinstance(price, Decimal):
        return float(price), False
    base = getattr(price, "base", None)  # TieredPrices: the price below the first threshold
    return (float(base), True) if isinstance(base, Decimal) else (None, False)


def _dated(model: Any) -> list[tuple[dt.date | None, Any]]:
    """The model's standard prices with their start dates, oldest first.

    Time-of-day prices (off-peak discounts) are left out: a scenario needs one price per
    month, not one per hour, so it takes the standard (peak) one.
    """
    from genai_prices.types import ModelPrice, StartDateConstraint

    if isinstance(model.prices, ModelPrice):
        return [(None, model.prices)]
    out: list[tuple[dt.date | None, Any]] = []
    for conditional in model.prices:
        constraint = conditional.constraint
        if constraint is None:
            out.append((None, conditional.prices))
        elif isinstance(constraint, StartDateConstraint):
            out.append((constraint.start_date, conditional.prices))
    return out


def _in_force(model: Any, on: dt.date) -> tuple[Any, dt.date | None]:
    """The price set in force on ``on`` (the last one started by then) and its start date."""
    chosen: tuple[Any, dt.date | None] = (None, None)
    for start, prices in _dated(model):
        if start is None or start <= on:
            chosen = (prices, start)
    return chosen


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def _split(ref: str, providers: Sequence[Any]) -> tuple[Any, str]:
    """``provider:model`` -> (the catalog provider, the model part); one-line errors."""
    text = ref.strip()
    provider_id, colon, model_ref = text.partition(":")
    if not colon or not provider_id or not model_ref:
        hint = ""
        if text and not colon:
            owners = [p.id for p in providers if any(m.is_match(text) for m in p.models)]
            if owners:
                hint = f" (the catalog lists {text!r} under {', '.join(owners[:3])})"
        raise CatalogLookupError(one_line(
            f"a catalog reference is 'provider:model', e.g. 'openai:gpt-4o', got {ref!r}{hint}"))
    by_id = {p.id: p for p in providers}
    provider = by_id.get(provider_id.lower())
    if provider is None:
        raise CatalogLookupError(one_line(
            f"unknown provider {provider_id!r} in catalog reference {ref!r}"
            f"{suggest(provider_id, by_id) or _see(provider_id)}"))
    return provider, model_ref


def _see(text: str) -> str:
    return f"; `python -m ftsim prices {text}` lists the catalog's matches"


def _find_model(provider: Any, model_ref: str, providers: list[Any], ref: str) -> Any:
    """The model whose id is ``model_ref`` (any case; what ``prices`` lists), else the
    catalog's own match (dated aliases, fallback providers)."""
    wanted = model_ref.lower()
    model = next((m for m in provider.models if m.id.lower() == wanted), None) \
        or provider.find_model(model_ref, all_providers=providers)
    if model is None:
        names = [m.id for m in provider.models]
        raise CatalogLookupError(one_line(
            f"unknown model {model_ref!r} for provider {provider.id!r} in catalog reference "
            f"{ref!r}{suggest(model_ref, names) or _see(model_ref)}"))
    return model


def _source(provider: Any, model: Any, kind: str, value: float, as_of: str | None,
            tiered: bool) -> str:
    parts = [f"{catalog_version()} catalog, {provider.id}:{model.id} {kind} price "
             f"{value:g} USD/MTok"]
    if tiered:
        parts.append(" (below its long-prompt tier)")
    parts.append(f", in force from {as_of}" if as_of else ", undated")
    urls = provider.pricing_urls or []
    text = "".join(parts)
    if urls and len(text) + len(urls[0]) + 3 <= _SOURCE_LIMIT:
        text += f" ({urls[0]})"
    return one_line(text, _SOURCE_LIMIT)


def resolve_catalog_price(ref: str, which: PriceKind, on: dt.date | None = None
                          ) -> CatalogPrice:
    """The ``which`` price of ``ref`` ("provider:model") in force on ``on`` (default today).

    Any name the catalog matches for the model works (``openai:gpt-4o-2024-08-06`` resolves
    to ``gpt-4o``). A tiered price gives its base (short-prompt) price. Raises
    CatalogLookupError (one line, closest names) for an unknown provider or model, or a price
    the catalog does not have.
    """
    providers = _providers()
    provider, model_ref = _split(ref, providers)
    model = _find_model(provider, model_ref, providers, ref)
    prices, start = _in_force(model, on or _today())
    value, tiered = _as_float(getattr(prices, _CATALOG_FIELD[which], None)
                              if prices is not None else None)
    if value is None:
        have = [_KIND_TEXT[k] for k, f in _CATALOG_FIELD.items()
                if prices is not None and getattr(prices, f, None) is not None]
        raise CatalogLookupError(one_line(
            f"the catalog has no {_KIND_TEXT[which]} price for {provider.id}:{model.id} "
            f"(it has: {', '.join(have) or 'no per-token price'})"))
    as_of = start.isoformat() if start is not None else None
    return CatalogPrice(value, model.id, provider.id, catalog_version(), as_of,
                        _source(provider, model, _KIND_TEXT[which], value, as_of, tiered))


def key_value(ref: str, key: str, on: dt.date | None = None) -> CatalogValue:
    """The value of scenario key ``key`` for ``ref``: ``price_input_per_mtok`` and
    ``price_output_per_mtok`` take the price, ``cached_price_factor`` the cached-input price
    over the input price (the scenario's form of a cached-input price)."""
    if key in PRICE_KEYS:
        price = resolve_catalog_price(ref, PRICE_KEYS[key], on)
        return CatalogValue(key, price.value_per_mtok, price.source, price.as_of)
    if key != "cached_price_factor":
        raise CatalogLookupError(f"a catalog reference can fill {', '.join(PRICE_KEYS)} and "
                                 f"cached_price_factor, not {key}")
    cached = resolve_catalog_price(ref, "cached_input", on)
    full = resolve_catalog_price(ref, "input", on)
    if full.value_per_mtok <= 0:
        raise CatalogLookupError(f"the catalog's input price for {full.provider}:{full.model} "
                                 f"is 0, so it gives no cached-price factor")
    factor = cached.value_per_mtok / full.value_per_mtok
    source = one_line(f"{cached.source.split(' (http')[0]}, over the input price "
                      f"{full.value_per_mtok:g} USD/MTok = {factor:g}", _SOURCE_LIMIT)
    return CatalogValue(key, factor, source, cached.as_of or full.as_of)


def model_values(ref: str, on: dt.date | None = None) -> tuple[CatalogValue, ...]:
    """What ``model = "provider:model"`` fills in a table: input and output prices, and the
    cached-price factor when the catalog has a cached-input price."""
    values = [key_value(ref, key, on) for key in PRICE_KEYS]
    try:
        values.append(key_value(ref, "cached_price_factor", on))
    except CatalogLookupError:
        pass  # no cached-input price: the scenario's own (default 1) stands
    return tuple(values)


def _entry(provider: Any, model: Any, on: dt.date) -> CatalogEntry:
    prices, start = _in_force(model, on)
    values = {k: _as_float(getattr(prices, f, None) if prices is not None else None)
              for k, f in _CATALOG_FIELD.items()}
    return CatalogEntry(provider.id, model.id, model.name, values["input"][0],
                        values["output"][0], values["cached_input"][0],
                        start.isoformat() if start else None, bool(model.deprecated),
                        any(tiered for _, tiered in values.values()))


def search_models(text: str, on: dt.date | None = None) -> list[CatalogEntry]:
    """Models whose ``provider:model`` or name holds every word of ``text`` (any case), with
    an input or output token price, sorted by provider and model."""
    words = text.lower().split()
    day = on or _today()
    found = []
    for provider in _providers():
        for model in provider.models:
            haystack = f"{provider.id}:{model.id} {model.name or ''}".lower()
            if all(w in haystack for w in words):
                entry = _entry(provider, model, day)
                if entry.input_per_mtok is not None or entry.output_per_mtok is not None:
                    found.append(entry)
    return sorted(found, key=lambda e: (e.provider, e.model))


def price_changes(ref: str) -> list[DatedPrice]:
    """Every standard price set of ``ref`` the catalog holds, oldest first (future-dated ones
    included: the catalog records announced changes)."""
    providers = _providers()
    provider, model_ref = _split(ref, providers)
    model = _find_model(provider, model_ref, providers, ref)
    out = []
    for start, prices in _dated(model):
        value_in, _ = _as_float(getattr(prices, "input_mtok", None))
        value_out, _ = _as_float(getattr(prices, "output_mtok", None))
        out.append(DatedPrice(start, value_in, value_out))
    return out


def providers_with_changes(names: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """``(provider, model)`` pairs whose prices the catalog dates, for compiling histories."""
    wanted = set(names) if names is not None else None
    return [(p.id, m.id) for p in _providers() if wanted is None or p.id in wanted
            for m in p.models if sum(1 for s, _ in _dated(m) if s is not None) > 0]
