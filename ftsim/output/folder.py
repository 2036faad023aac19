"""Run folders written under a temporary name and renamed when complete, and atomic files."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ..core.shared import pid_alive

__all__ = ["RunFolder", "remove_stale_partials", "atomic_path", "atomic_write_bytes",
           "atomic_write_text"]


# ``.<stamp>.partial-<pid>-<random>``: the owner's pid tells a crashed run from a live one.
_PARTIAL = re.compile(r"^\.[^/]*\.partial-(\d+)-")


class RunFolder:
    """A run folder written under a hidden temporary name, renamed into place when complete.

    ``results/<stem>/`` then only ever holds complete runs: an interrupted, failed or killed
    run leaves nothing that looks like a result (before, SIGINT during writing left a folder
    holding only summary.json, and any exit-1 run an empty folder). Creating the temporary
    folder (and a probe file in it) is also the check that ``parent`` is writable, done
    before anything is simulated. Folders that this object created on the way (``parent``,
    ``parent/<stem>``) are removed again by `discard` if they are empty.
    """

    def __init__(self, parent: Path, stem: str, now: datetime | None = None) -> None:
        self.base = Path(parent) / stem
        self.stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
        self.created: list[Path] = []
        self.final: Path | None = None
        missing = []
        folder = self.base
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        try:
            for folder in reversed(missing):
                folder.mkdir()
                self.created.append(folder)
            self.path = Path(tempfile.mkdtemp(prefix=f".{self.stamp}.partial-{os.getpid()}-",
                                              dir=self.base))
            probe = self.path / ".probe"
            probe.write_bytes(b"ftsim")
            probe.unlink()
        except BaseException:
            if hasattr(self, "path"):
                shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()
            raise

    def commit(self) -> Path:
        """Rename the finished folder to ``<stamp>`` (``-2``, ``-3``... if taken) and return it.

        A rename onto an existing non-empty folder fails (ENOTEMPTY/EEXIST), so two runs
        finishing in the same second never share or overwrite a folder.
        """
        for attempt in range(1, 10_000):
            target = self.base / (self.stamp if attempt == 1 else f"{self.stamp}-{attempt}")
            if target.exists():
                continue
            try:
                os.rename(self.path, target)
            except OSError as error:
                if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
                    continue
                raise
            self.final = target
            return target
        raise FileExistsError(f"no free run folder name under {self.base}")

    def discard(self) -> None:
        """Remove the unfinished folder and the empty parents this run created."""
        if self.final is None:
            shutil.rmtree(self.path, ignore_errors=True)
            self._remove_created()

    def _remove_created(self) -> None:
        for folder in reversed(self.created):
            with contextlib.suppress(OSError):  # not empty: another run uses it
                folder.rmdir()


def remove_stale_partials(parent: Path) -> list[Path]:
    """Remove ``<parent>/<stem>/.<stamp>.partial-<pid>-*`` folders whose owner is dead.

    A run killed by SIGKILL cannot remove its temporary folder; the next start does.
    """
    removed: list[Path] = []
    try:
        stems = [p for p in Path(parent).iterdir() if p.is_dir()]
    except OSError:
        return removed
    for stem in stems:
        try:
            entries = list(stem.iterdir())
        except OSError:
            continue
        for entry in entries:
            match = _PARTIAL.match(entry.name)
            if match and not pid_alive(int(match.group(1))) and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry)
    return removed


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
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))
