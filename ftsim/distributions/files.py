"""Empirical CSV files: reading (size, containment, encoding) and parsing one column."""

from __future__ import annotations

import csv
import io
import math
import os
import reprlib
import stat
from collections.abc import Sequence
from pathlib import Path

from ..format import suggest

__all__ = ["EMPIRICAL_MAX_BYTES"]

# An empirical file larger than this is refused (read in full at load time and shipped to
# every worker; 50 MB is about 5 million numbers, far beyond any observed sample).
EMPIRICAL_MAX_BYTES = 50 * 1024 * 1024


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
            hint = suggest(column, header)
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
