"""Run folders and atomic file writes: nothing half-written ever looks complete."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

__all__ = ["new_run_dir", "atomic_path", "atomic_write_bytes", "atomic_write_text"]


def new_run_dir(parent: Path, stem: str, now: datetime | None = None) -> Path:
    """Create ``parent/<stem>/<YYYYmmdd-HHMMSS>`` (with ``-2``, ``-3``... if taken) and return it.

    ``mkdir(exist_ok=False)`` makes the claim atomic, so two runs started in the same
    second never share (or overwrite) a folder.
    """
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    base = Path(parent) / stem
    base.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, 10_000):
        candidate = base / (stamp if attempt == 1 else f"{stamp}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free run folder name under {base}")


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
