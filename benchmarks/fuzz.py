"""Long local fuzz run of issue 9: valid scenarios must run, mutated ones must run or be refused.

Draws cases from the hypothesis strategies of tests/test_properties.py (random, not
derandomized; no shrinking: every outcome is counted instead of stopping at the first
failure) and prints the counts an acceptance note needs: cases tried, clean runs, bad-input
refusals (exit 2) and crashes (exit 1, an exception, or a broken property), with the shortest
reproducer of each distinct crash (distinct = exception type + message with digits blurred).

    python benchmarks/fuzz.py --cases 2000 --seed 1 --out fuzz-out
    python benchmarks/fuzz.py --cases 300 --kinds valid-report   # only runs with the report

Kinds (--cases is split between them by the weights below):
  valid-cli     generated valid scenario, ``python -m ftsim`` in-process, --no-report
  valid-report  the same with the report (slow: a few seconds each)
  valid-lib     load -> simulate -> summarize
  mutation      mutated scenario dict through the loader; if accepted, also through the CLI
  text          scenario text broken as text (cut, spliced, nested, not UTF-8) through the loader
Warnings are errors here, as in the test suite (a RuntimeWarning is a crash), and
FTSIM_DEBUG=1 is set so an internal error (exit 1) arrives with its traceback. With
--minimize, each distinct crash's shortest reproducer is shrunk by deleting keys one at a time
while the same crash persists (a few dozen reruns per crash).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import re
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_properties as tp  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ftsim.errors import ScenarioError  # noqa: E402

WEIGHTS = {"valid-cli": 3, "valid-report": 1, "valid-lib": 4, "mutation": 10, "text": 3}


@dataclass
class Tally:
    """Outcome counts and, per distinct crash, its count, shortest reproducer and traceback."""

    tried: Counter = field(default_factory=Counter)
    clean: Counter = field(default_factory=Counter)
    refused: Counter = field(default_factory=Counter)
    crashed: Counter = field(default_factory=Counter)
    crashes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def crash(self, kind: str, error: BaseException, reproducer: str,
              case: tp.Case | None = None, cli_seed: int = 0) -> None:
        self.crashed[kind] += 1
        key = f"{kind} | {signature(error)}"
        entry = self.crashes.setdefault(key, {"count": 0, "reproducer": None, "traceback": ""})
        entry["count"] += 1
        if entry["reproducer"] is None or len(reproducer) < len(entry["reproducer"]):
            entry.update(reproducer=reproducer, message=str(error)[:3000], case=case,
                         seed=cli_seed, kind=kind,
                         traceback="".join(traceback.format_exception(error)[-6:])[-3000:])


def signature(error: BaseException) -> str:
    """Exception type and first message line, digits blurred: one key per distinct crash."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else ""
    message = re.sub(r"\\N\{[^}]*\}", r"\\N{...}", message)  # one missing glyph, not each
    return f"{type(error).__name__}: {re.sub(r'[0-9]+', '#', message)[:90]}"


def attempt(kind: str, case: tp.Case, cli_seed: int) -> BaseException | None:
    """Run one valid-kind case; the exception it raises, if any."""
    try:
        if kind == "valid-lib":
            tp.run_valid_in_process(case, cli_seed)
        else:
            tp.run_valid_end_to_end(case, cli_seed, report=kind == "valid-report")
    except Exception as error:  # noqa: BLE001
        return error
    return None


def minimize(entry: dict[str, Any]) -> None:
    """Delete keys (deepest first) while the crash keeps its signature; keep the smaller doc."""
    case, kind, cli_seed = entry["case"], entry["kind"], entry["seed"]
    if case is None:
        return  # mutation and text crashes keep their text
    doc = case.doc
    wanted = signature_of(entry)
    changed = True
    while changed:
        changed = False
        for loc in sorted(tp._locations(doc), key=len, reverse=True):
            trial = copy.deepcopy(doc)
            try:
                parent = tp._get(trial, loc[:-1])
                del parent[loc[-1]]
            except (KeyError, IndexError, TypeError):
                continue
            error = attempt(kind, tp.Case(doc=trial, files=case.files), cli_seed)
            if error is not None and signature(error) == wanted:
                doc, changed = trial, True
                break
    entry["case"] = tp.Case(doc=doc, files=case.files)
    used = {n: t for n, t in case.files.items() if f'"{n}"' in tp.toml_dumps(doc)}
    entry["reproducer"] = tp.toml_dumps(doc) + "".join(
        f"\n# {name}:\n" + "".join(f"#   {line}\n" for line in text.splitlines()[:12])
        for name, text in used.items())


def signature_of(entry: dict[str, Any]) -> str:
    error = attempt(entry["kind"], entry["case"], entry["seed"])
    return signature(error) if error is not None else "(no longer fails)"


def _fuzz(kind: str, strategy: st.SearchStrategy, n: int, seed_value: int, body: Any) -> None:
    @seed(seed_value)
    @settings(max_examples=n, phases=[Phase.generate], database=None, deadline=None,
              derandomize=False, suppress_health_check=list(HealthCheck))
    @given(strategy)
    def run(case: Any) -> None:
        body(case)

    run()


def run_valid(tally: Tally, kind: str, case: tp.Case, cli_seed: int) -> None:
    tally.tried[kind] += 1
    try:
        if kind == "valid-lib":
            tp.run_valid_in_process(case, cli_seed)
        else:
            tp.run_valid_end_to_end(case, cli_seed, report=kind == "valid-report")
    except Exception as error:  # noqa: BLE001 - every failure is counted, none stops the run
        if isinstance(error, ScenarioError) or "exit 2:" in str(error)[:10]:
            tally.refused[kind] += 1  # a valid scenario refused: counted as a crash below too
        tally.crash(kind, error, case.text, case, cli_seed)
    else:
        tally.clean[kind] += 1


def run_mutation(tally: Tally, kind: str, data: bytes) -> None:
    tally.tried[kind] += 1
    text = data.decode("utf-8", errors="backslashreplace")
    try:
        scenario = tp.load_bytes(data)
        if scenario is None:
            tally.refused[kind] += 1
            return
        if kind == "mutation":
            with tempfile.TemporaryDirectory() as tmp:
                tp.check_accepted_runs(tp.file_tree() / "scenario" / "scenario.toml", scenario,
                                       Path(tmp) / "out")
    except Exception as error:  # noqa: BLE001
        tally.crash(kind, error, text)
    else:
        tally.clean[kind] += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="total cases over all kinds")
    parser.add_argument("--seed", type=int, default=0, help="hypothesis seed of the run")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder for fuzz-summary.json and one reproducer file per crash")
    parser.add_argument("--kinds", nargs="+", choices=sorted(WEIGHTS), default=sorted(WEIGHTS))
    parser.add_argument("--minimize", action="store_true",
                        help="shrink each valid-kind crash's reproducer by deleting keys")
    args = parser.parse_args(argv)

    warnings.simplefilter("error")  # as the test suite: a RuntimeWarning is a crash
    os.environ["FTSIM_DEBUG"] = "1"  # internal errors raise, with their traceback
    total = sum(WEIGHTS[k] for k in args.kinds)
    tally = Tally()
    started = time.perf_counter()
    for number, kind in enumerate(args.kinds):
        n = max(1, round(args.cases * WEIGHTS[kind] / total))
        kind_seed = args.seed * 100 + number
        print(f"{kind}: {n} cases ...", file=sys.stderr, flush=True)
        if kind.startswith("valid"):
            _fuzz(kind, st.tuples(tp.valid_cases(), tp.SEEDS), n, kind_seed,
                  lambda pair, kind=kind: run_valid(tally, kind, *pair))
        elif kind == "mutation":
            docs = tp.mutated_docs(tp.BASE_DOCS).map(lambda d: tp.toml_dumps(d).encode("utf-8"))
            _fuzz(kind, docs, n, kind_seed, lambda data: run_mutation(tally, "mutation", data))
        else:
            _fuzz(kind, tp.mutated_texts(tp.BASE_DOCS), n, kind_seed,
                  lambda data: run_mutation(tally, "text", data))
    if args.minimize:
        for key, entry in tally.crashes.items():
            print(f"minimizing {key} ...", file=sys.stderr, flush=True)
            minimize(entry)
    seconds = time.perf_counter() - started

    totals = {name: sum(getattr(tally, name).values())
              for name in ("tried", "clean", "refused", "crashed")}
    print(f"\nfuzz run: seed {args.seed}, {seconds:.0f} s")
    print(f"{'kind':14} {'tried':>7} {'clean':>7} {'refused':>8} {'crashed':>8}")
    for kind in args.kinds:
        print(f"{kind:14} {tally.tried[kind]:7} {tally.clean[kind]:7} {tally.refused[kind]:8} "
              f"{tally.crashed[kind]:8}")
    print(f"{'total':14} {totals['tried']:7} {totals['clean']:7} {totals['refused']:8} "
          f"{totals['crashed']:8}")
    print("(refused: exit 2 / ScenarioError; for valid kinds a refusal is also a crash)")
    for i, (key, entry) in enumerate(sorted(tally.crashes.items(), key=lambda kv: -kv[1]["count"])):
        print(f"\n=== crash {i + 1}: {key}  (x{entry['count']})")
        print(entry["traceback"].rstrip())
        print("--- shortest reproducer:")
        print(entry["reproducer"][:4000].rstrip())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        for i, entry in enumerate(sorted(tally.crashes.values(), key=lambda e: -e["count"])):
            (args.out / f"crash{i + 1:02d}.toml").write_text(entry["reproducer"], encoding="utf-8")
        (args.out / "fuzz-summary.json").write_text(json.dumps({
            "seed": args.seed, "seconds": round(seconds, 1), "totals": totals,
            "by_kind": {k: {"tried": tally.tried[k], "clean": tally.clean[k],
                            "refused": tally.refused[k], "crashed": tally.crashed[k]}
                        for k in args.kinds},
            "crashes": {k: {n: v for n, v in e.items() if n != "case"}
                        for k, e in tally.crashes.items()}}, indent=2, default=str),
            encoding="utf-8")
    return 1 if totals["crashed"] else 0


if __name__ == "__main__":
    sys.exit(main())
