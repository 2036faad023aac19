"""The real command line in a subprocess: signals, killed parents, closed pipes, leftovers.

Each test starts ``python -m ftsim`` as an analyst's shell would, acts on the real process
(SIGKILL, SIGINT, a closed stdout) and then looks at what is left: the process table,
/dev/shm and the --out folder. Waits poll with deadlines (a loaded 2-core machine can be
slow); no fixed sleep is assumed to be long enough.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
SHM = Path("/dev/shm")
# the package under test, whatever the working folder or an installed copy
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux") or not SHM.is_dir(),
                                reason="needs Linux /proc and /dev/shm")


def ftsim(*args: object) -> list[str]:
    return [sys.executable, "-m", "ftsim", *(str(a) for a in args)]


def start(*args: object, **kwargs: Any) -> subprocess.Popen:
    return subprocess.Popen(ftsim(*args), cwd=ROOT, env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def wait_for(condition: Callable[[], Any], timeout: float, what: str,
             proc: subprocess.Popen | None = None) -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            err = proc.communicate()[1] or ""
            pytest.fail(f"ftsim exited ({proc.returncode}) before {what}: {err[-2000:]}")
        time.sleep(0.02)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rfind(")") + 2:].split()  # state, ppid, ...


def children(pid: int) -> list[int]:
    """Live child processes of ``pid`` (from the process table)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields and int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.append(int(entry))
    return found


def running(pid: int) -> bool:
    fields = _stat(pid)
    return fields is not None and fields[0] not in ("Z", "X")  # a zombie has exited


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def run_folder_entries(out: Path, stem: str = "support_bot") -> list[str]:
    folder = out / stem
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


@linux_only
def test_sigkill_takes_the_workers_down_and_the_next_start_removes_the_shared_folder(tmp_path):
    # Before: killed mid-run, ftsim left its /dev/shm/ftsim-* folder for good and its loky
    # workers ran on (4 of them still alive 9 minutes later).
    out = tmp_path / "out"
    log = (tmp_path / "stderr.txt").open("w")
    # output to a file: orphaned workers holding a pipe open would block reading it
    # worker processes (the default backend runs threads of this process)
    proc = subprocess.Popen(ftsim(SUPPORT_BOT, "--paths", 1_000_000, "--jobs", 2,
                                  "--backend", "processes", "--chunk-size", 2048,
                                  "--no-report", "--no-paths", "--quiet", "--out", out),
                            cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=log)
    spawned: list[int] = []
    try:
        # named after its owner (other ftsim processes may be running on this machine)
        shared = wait_for(lambda: list(SHM.glob(f"ftsim-{proc.pid}-*")), 180,
                          "the shared-memory folder", proc)
        workers = wait_for(
            lambda: [c for c in children(proc.pid) if "LokyProcess" in cmdline(c)]
            if len(children(proc.pid)) >= 2 else [], 180, "the loky workers", proc)
        spawned = children(proc.pid)  # workers and loky's resource tracker
        assert workers
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        # a worker busy with a batch must stop too, not only idle ones
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(running(p) for p in spawned):
            time.sleep(0.1)
        alive = [(p, cmdline(p)[:80]) for p in spawned if running(p)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in spawned:  # never leave survivors behind for the next test
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()
    assert proc.returncode == -signal.SIGKILL
    assert not alive, f"processes outlived their parent: {alive}"
    # the killed run's temporary run folder is left too, hidden: nothing that looks like a run
    assert all(name.startswith(".") for name in run_folder_entries(out))

    done = subprocess.run(ftsim(SUPPORT_BOT, "--paths", 200, "--jobs", 1, "--no-report",
                                "--quiet", "--out", out),
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert not any(p.exists() for p in shared)
    (finished,) = run_folder_entries(out)  # the stale partial folder is gone as well
    assert re.fullmatch(r"\d{8}-\d{6}", finished)


def _sigint_when(out: Path, ready: Callable[[Path], bool], *args: object) -> tuple[int, str]:
    proc = start(SUPPORT_BOT, "--jobs", 1, "--quiet", "--out", out, *args)
    try:
        wait_for(lambda: any(ready(p) for p in (out / "support_bot").glob("*")
                             if p.is_dir()) if (out / "support_bot").is_dir() else False,
                 240, "the run folder", proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, err


def _writing_paths_file(folder: Path) -> bool:
    try:
        return any(p.name.startswith(".paths.parquet.") for p in folder.iterdir())
    except OSError:  # the folder went away meanwhile
        return False


def test_sigint_while_writing_exits_130_and_leaves_no_run_folder(tmp_path):
    # Before: exit 130, and results/support_bot/<stamp>/ held only summary.json. The
    # per-path file is written in the background from the end of the simulation: SIGINT
    # while its temporary file exists stops it, and the whole folder goes.
    out = tmp_path / "out"
    code, err = _sigint_when(out, _writing_paths_file, "--paths", 400_000, "--no-report")
    assert code == 130
    assert "Traceback" not in err and "interrupted" in err
    assert run_folder_entries(out) == []


def test_sigint_while_simulating_exits_130_and_leaves_nothing(tmp_path):
    out = tmp_path / "out"
    # the temporary folder is claimed (the --out check) before the first path is simulated
    code, err = _sigint_when(out, lambda p: p.name.startswith("."), "--paths", 2_000_000,
                             "--no-report", "--no-paths")
    assert code == 130
    assert "Traceback" not in err
    assert not (out / "support_bot").exists()  # the folders this run created are gone too


def test_closed_stdout_is_not_a_traceback(tmp_path):
    # `python -m ftsim ... | head -1` printed "BrokenPipeError" when head had gone.
    out = tmp_path / "out"
    proc = start(SUPPORT_BOT, "--paths", 300, "--jobs", 1, "--no-report", "--out", out)
    proc.stdout.close()  # the reader leaves before ftsim prints its table
    err = proc.stderr.read()
    proc.wait(timeout=300)
    proc.stderr.close()
    assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
    assert proc.returncode == 141  # 128 + SIGPIPE, as a shell tool killed by the pipe
    (finished,) = run_folder_entries(out)  # the run itself completed before printing
    assert (out / "support_bot" / finished / "summary.json").exists()


def test_piped_into_head_prints_no_traceback(tmp_path):
    command = shlex.join(ftsim(SUPPORT_BOT, "--paths", 300, "--jobs", 1, "--no-report",
                               "--out", tmp_path / "out")) + " | head -1"
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)
    assert done.stdout.startswith("Customer-support assistant")
    assert done.stdout.count("\n") == 1
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_bad_options_exit_2_before_simulating_with_one_line(tmp_path):
    # Before: each gave exit 1 ("internal error"), the --out ones only after simulating.
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    cases = [
        (["--seed", "-1"], "--seed"),
        (["--precision", "inf"], "--precision"),
        (["--horizon", "9223372036854775808"], "--horizon"),
        (["--backend", "dask", "--scheduler", "not a url"], "--scheduler"),
        (["--out", str(a_file)], "--out"),
        (["--out", str(a_file / "below")], "--out"),
    ]
    for args, option in cases:
        done = subprocess.run(ftsim(SUPPORT_BOT, "--paths", 2_000_000, "--jobs", 1, "--quiet",
                                    *args), cwd=tmp_path, env=ENV, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stderr.count("\n") == 1 and option in done.stderr, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a_file"]  # nothing written


def test_sigterm_exits_143_and_leaves_nothing(tmp_path):
    # `kill` or `timeout` send SIGTERM: handled like Ctrl-C, the temporary folder is removed.
    out = tmp_path / "out"
    proc = start(SUPPORT_BOT, "--jobs", 1, "--quiet", "--out", out, "--paths", 2_000_000,
                 "--no-report", "--no-paths")
    try:
        wait_for(lambda: (out / "support_bot").is_dir() and any(
            p.name.startswith(".") for p in (out / "support_bot").iterdir()),
            240, "the temporary run folder", proc)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143
    assert "Traceback" not in err and "terminated" in err
    assert not out.exists()
