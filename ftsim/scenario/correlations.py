"""[[correlations]]: each pair names two random inputs; the Spearman matrix must stay
positive definite after conversion to Pearson (the Gaussian copula, docs/model.md section 10)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..distributions import spearman_to_pearson
from ..format import number_text as _num
from ..format import show_value as _show
from ..format import suggest as _suggest
from .checks import _SchemaReader
from .model import Correlation, Input
from .schema import CORRELATION_PLAIN, REQUIRED

__all__: list[str] = []


class _CorrelationReader(_SchemaReader):
    """The [[correlations]] part of the parser (`parser._Parser` sets the two sets below)."""

    # numeric keys written but unusable, and tables whose keys could not be read (both
    # already reported): correlations naming them stay silent
    broken: set[str]
    unread_prefixes: list[str]

    def correlations(self, raw: Mapping[str, object], inputs: Mapping[str, Input],
                     price_names: Iterable[str]) -> tuple[Correlation, ...]:
        if "correlations" not in raw:
            return ()
        entries = raw["correlations"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            self.issue("correlations", "expected an array of tables [[correlations]] with a, b, "
                                       f"rho, got {_show(entries)}")
            return ()
        result: list[Correlation] = []
        seen: dict[frozenset[str], int] = {}
        complete = True
        for i, entry in enumerate(entries):
            path = f"correlations[{i}]"
            self.check_keys(entry, path, CORRELATION_PLAIN)
            source, as_of = self.metadata(entry, path)
            a = self.correlated_input(entry, path, "a", inputs, price_names)
            b = self.correlated_input(entry, path, "b", inputs, price_names)
            rho = self.plain(entry, path, "rho", "number", REQUIRED)
            if a is None or b is None or rho is None:
                complete = False
                continue
            if a == b:
                self.issue(path, f"a and b name the same input {_show(a)}")
                complete = False
                continue
            pair = frozenset((a, b))
            if pair in seen:
                self.issue(path, f"duplicate pair {_show(a)} / {_show(b)} (rho = {_show(rho)}), "
                                 f"already given in correlations[{seen[pair]}]")
                complete = False
                continue
            seen[pair] = i
            result.append(Correlation(a=a, b=b, rho=rho, source=source, as_of=as_of))
        if complete and result:
            self.check_positive_definite(result)
        return tuple(result)

    def correlated_input(self, entry: Mapping[str, object], path: str, key: str,
                         inputs: Mapping[str, Input], price_names: Iterable[str]) -> str | None:
        name = self.plain(entry, path, key, "string", REQUIRED)
        if not isinstance(name, str) or name in self.broken or \
                name.startswith(tuple(self.unread_prefixes)):
            return None
        kp = f"{path}.{key}"
        if name in inputs:
            found = inputs[name]
            if not found.is_random:
                self.issue(kp, f"{_show(name)} is fixed ({found.dist.describe()}), not random; "
                               f"only random inputs can be correlated")
                return None
            return name
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "prices" and parts[2] == "event_multiplier" \
                and parts[1] in set(price_names):
            self.issue(kp, f"{_show(name)} is drawn afresh for every price event, not once per "
                           f"path, so it cannot be correlated")
            return None
        randoms = [k for k, v in inputs.items() if v.is_random]
        hint = _suggest(name, randoms) or _suggest(name, inputs)
        self.issue(kp, f"unknown input {_show(name)}; name a random input by its full key path"
                       f"{hint}")
        return None

    def check_positive_definite(self, correlations: Sequence[Correlation]) -> None:
        """Spearman -> Pearson ``2 sin(pi rho / 6)``, then the Gaussian copula needs a PD matrix."""
        names = list(dict.fromkeys(n for c in correlations for n in (c.a, c.b)))
        index = {n: i for i, n in enumerate(names)}
        matrix = np.eye(len(names))
        for c in correlations:
            i, j = index[c.a], index[c.b]
            matrix[i, j] = matrix[j, i] = float(spearman_to_pearson(c.rho))
        smallest = float(np.linalg.eigvalsh(matrix).min())
        try:
            np.linalg.cholesky(matrix)
            factorable = True
        except np.linalg.LinAlgError:
            factorable = False
        if not factorable or smallest <= 1e-12:
            pairs = "; ".join(f"{c.a} ~ {c.b}: rho = {_num(c.rho)}" for c in correlations)
            self.issue("correlations", f"the correlation matrix is not positive definite after "
                                       f"conversion to Pearson (smallest eigenvalue "
                                       f"{smallest:.3g}); the rho values are mutually "
                                       f"inconsistent: {pairs}")
