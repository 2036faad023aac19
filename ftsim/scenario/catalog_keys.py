"""The scenario keys that take catalog prices: ``model = "provider:model"`` in [baseline] and
api serving, and ``{ catalog = "provider:model" }`` on a price key (a mixin of the parser;
the lookup itself is ftsim/scenario/catalog.py)."""

from __future__ import annotations

from collections.abc import Mapping

from ..format import show_value as _show
from .catalog import CatalogLookupError, CatalogValue, key_value, model_values
from .checks import _SchemaReader


class _CatalogReader(_SchemaReader):
    """Resolves catalog references once, at load time, from the installed genai-prices
    snapshot; an unknown provider or model is one issue at the key that names it."""

    def __init__(self) -> None:
        super().__init__()
        # per table path: the catalog values its `model = "provider:model"` fills in; an
        # empty dict for a table whose model could not be read (its price keys stay quiet)
        self.model_fill: dict[str, dict[str, CatalogValue]] = {}

    def catalog(self, written: Mapping[str, object], path: str, key: str
                ) -> CatalogValue | None:
        """``{ catalog = "provider:model" }``: the catalog's value of ``key``, or None after
        an issue."""
        extra = sorted(k for k in written if k != "catalog")
        ref = written["catalog"]
        if extra:
            self.issue(path, f"a catalog price takes no other key than catalog (and source, "
                             f"as_of), found {', '.join(extra)}")
        elif not isinstance(ref, str):
            self.issue(f"{path}.catalog", f"expected a string 'provider:model', got "
                                          f"{_show(ref)}")
        else:
            try:
                return key_value(ref, key)
            except CatalogLookupError as error:
                self.issue(f"{path}.catalog", str(error))
        return None

    def model(self, table: Mapping[str, object], prefix: str) -> None:
        """``model = "provider:model"``: the catalog's input and output prices (and cached
        price factor, where it has a cached-input price) for the keys the table leaves out."""
        ref = self.plain(table, prefix, "model", "string", None)
        if ref is None:
            if "model" in table:  # reported: the price keys it would fill stay quiet
                self.model_fill[prefix] = {}
            return
        try:
            self.model_fill[prefix] = {v.key: v for v in model_values(ref)}
        except CatalogLookupError as error:
            self.issue(f"{prefix}.model", str(error))
            self.model_fill[prefix] = {}

    def model_value(self, prefix: str, key: str) -> CatalogValue | None:
        """The value ``model`` gives an unwritten key of table ``prefix``, if any."""
        return self.model_fill.get(prefix, {}).get(key)
