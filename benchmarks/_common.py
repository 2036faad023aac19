"""Shared helpers of the benchmark scripts: machine description, tables, timing statistics."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "support_bot.toml"


def _cpu_model() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info() -> dict[str, object]:
    """What RESULTS.md records about the machine and software of a run."""
    import numpy
    import scipy

    import ftsim

    info: dict[str, object] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "ftsim": ftsim.__version__,
        "platform": platform.platform(),
    }
    try:
        import psutil

        info["physical_cores"] = psutil.cpu_count(logical=False)
        info["memory_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    except ImportError:  # pragma: no cover - psutil is a bench dependency
        pass
    for name in ("joblib", "numba"):
        try:
            info[name] = __import__(name).__version__
        except ImportError:  # pragma: no cover
            pass
    try:
        info["load_average_1_5_15"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover
        pass
    return info


def print_machine(title: str) -> dict[str, object]:
    info = machine_info()
    print(f"# {title}\n")
    print(f"- date: {info['date']}")
    print(f"- CPU: {info['cpu']}, {info.get('physical_cores', '?')} cores / "
          f"{info['logical_cpus']} logical CPUs, {info.get('memory_gib', '?')} GiB RAM")
    print(f"- Python {info['python']}, numpy {info['numpy']}, scipy {info['scipy']}, "
          f"joblib {info.get('joblib', '?')}, numba {info.get('numba', '?')}, ftsim {info['ftsim']}")
    print(f"- load average at start (1/5/15 min): {info.get('load_average_1_5_15')}")
    print(f"- command: python {' '.join(sys.argv)}\n")
    return info


def table(headers: list[str], rows: list[list[object]], align: str | None = None) -> str:
    """A GitHub markdown table; ``align`` is one letter per column (l or r), default l then r."""
    align = align or "l" + "r" * (len(headers) - 1)
    sep = ["---:" if a == "r" else "---" for a in align]
    lines = ["| " + " | ".join(headers) + " |", "| " + " | ".join(sep) + " |"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def best_median(samples: list[float]) -> tuple[float, float]:
    return min(samples), statistics.median(samples)


def fmt_rate(x: float) -> str:
    """1234567 -> '1.23 M', 12345 -> '12.3 k'."""
    for limit, suffix in ((1e9, " G"), (1e6, " M"), (1e3, " k")):
        if abs(x) >= limit:
            return f"{x / limit:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.1f}"


def write_json(path: Path | None, payload: dict) -> None:
    if path is None:
        return
    Path(path).write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"\nraw results written to {path}")
