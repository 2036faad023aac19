"""Comparing a replayed run with the stored one: summary dicts key by key, per-path columns
bit by bit (pure functions; ``python -m ftsim replay`` reads the files and re-runs).

"Bit for bit" means the IEEE-754 bit patterns: -0.0 differs from 0.0 and a NaN equals the
same NaN, which ``==`` would not say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Difference", "same_bits", "json_differences", "column_difference",
           "without_keys"]


@dataclass(frozen=True)
class Difference:
    """Where the stored and the replayed run differ, with both values as short text."""

    where: str
    stored: str
    replayed: str

    def __str__(self) -> str:
        return f"{self.where}: stored {self.stored}, replayed {self.replayed}"


def _short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def same_bits(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise: whether ``a`` and ``b`` (same shape and dtype) hold the same bits."""
    if a.dtype != b.dtype or a.shape != b.shape:
        raise ValueError(f"cannot compare {a.dtype}{a.shape} with {b.dtype}{b.shape}")
    if a.dtype.kind == "f":
        unsigned = np.dtype(f"u{a.dtype.itemsize}")
        return np.asarray(a.view(unsigned) == b.view(unsigned))
    return np.asarray(a == b)


def without_keys(data: Mapping[str, Any], dotted: Sequence[str]) -> dict[str, Any]:
    """A copy of a nested dict without the given dotted keys (``simulation.seconds``)."""
    out = json.loads(json.dumps(data))
    for key in dotted:
        node = out
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(parts[-1], None)
    return out


def _walk(stored: Any, replayed: Any, path: str) -> Iterator[Difference]:
    if isinstance(stored, dict) and isinstance(replayed, dict):
        for key in list(stored) + [k for k in replayed if k not in stored]:
            where = f"{path}.{key}" if path else str(key)
            if key not in replayed:
                yield Difference(where, _short(stored[key]), "(absent)")
            elif key not in stored:
                yield Difference(where, "(absent)", _short(replayed[key]))
            else:
                yield from _walk(stored[key], replayed[key], where)
    elif isinstance(stored, list) and isinstance(replayed, list):
        if len(stored) != len(replayed):
            yield Difference(f"{path} (length)", str(len(stored)), str(len(replayed)))
        for i, (a, b) in enumerate(zip(stored, replayed, strict=False)):
            yield from _walk(a, b, f"{path}[{i}]")
    elif _bits(stored) != _bits(replayed):
        yield Difference(path, _short(stored), _short(replayed))


def _bits(value: Any) -> Any:
    """A JSON scalar with its type (1 and 1.0 differ in the file) and a float's bits."""
    if isinstance(value, float):
        return ("float", float(value).hex())
    return (type(value).__name__, value)


def json_differences(stored: Mapping[str, Any], replayed: Mapping[str, Any],
                     ignore: Sequence[str] = ()) -> list[Difference]:
    """Every leaf where two summary dicts differ (``ignore``: dotted keys left out), in the
    stored file's key order; equal dicts give an empty list. Key order matters too: a
    file with the same keys in another order is reported at its top level."""
    a, b = without_keys(stored, ignore), without_keys(replayed, ignore)
    found = list(_walk(a, b, ""))
    if not found and json.dumps(a) != json.dumps(b):
        found.append(Difference("(key order)", ", ".join(a), ", ".join(b)))
    return found


def column_difference(name: str, stored: np.ndarray, replayed: np.ndarray
                      ) -> Difference | None:
    """None when a per-path column is the same bit for bit, else how many rows differ and
    the first one (a dtype or length mismatch is a difference of its own)."""
    if stored.shape != replayed.shape:
        return Difference(f"{name} (rows)", str(stored.shape[0]), str(replayed.shape[0]))
    if stored.dtype != replayed.dtype:
        return Difference(f"{name} (type)", str(stored.dtype), str(replayed.dtype))
    equal = same_bits(stored, replayed)
    if equal.all():
        return None
    bad = np.flatnonzero(~equal)
    first = int(bad[0])
    return Difference(f"{name} ({bad.size:,} row{'s' if bad.size > 1 else ''}, first path "
                      f"{first:,})",
                      repr(stored[first].item()), repr(replayed[first].item()))
