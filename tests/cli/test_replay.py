"""``python -m ftsim replay RUN_DIR`` and ``--inputs FILE`` through the command line.

A replay must say "identical" for an untouched run folder (with overrides, supplied inputs,
stress bands, another sampler, the CSV per-path file, a --precision run) and point at what
differs once a stored number, the scenario copy, the inputs copy or a data file is edited;
the hashes it records are recomputed here with hashlib.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from support import RANDOM, snippet

from ftsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
PATHS = 1200
REQUESTS = "traffic.requests_per_month"
GROWTH = "traffic.monthly_growth"


def _run(out: Path, scenario: Path = SUPPORT_BOT, *extra: str) -> Path:
    before = set(out.glob(f"{scenario.stem}/*"))
    code = main([str(scenario), "--paths", str(PATHS), "--chunk-size", "500", "--jobs", "1",
                 "--no-report", "--quiet", "--out", str(out), *extra])
    assert code == 0
    (folder,) = set(out.glob(f"{scenario.stem}/*")) - before
    return folder


def _replay(capsys, folder: Path, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["replay", str(folder), "--jobs", "1", *extra])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _joint(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(8)
    return {REQUESTS: rng.lognormal(np.log(2e5), 0.8, n),
            GROWTH: np.clip(0.02 + 0.01 * rng.standard_normal(n), -0.5, 0.5)}


def _write_csv(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    lines = [",".join(names)] + [",".join(repr(float(columns[k][i])) for k in names)
                                 for i in range(len(columns[names[0]]))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A run with --set, --horizon and --within."""
    out = tmp_path_factory.mktemp("runs")
    return _run(out, SUPPORT_BOT, "--set", "traffic.monthly_volatility=0.2",
                "--horizon", "30", "--within", "18")


def test_a_run_records_its_overrides_and_replays_identically(capsys, plain):
    summary = _summary(plain)
    assert summary["simulation"]["overrides"] == [
        "traffic.monthly_volatility=0.2", "scenario.horizon_months=30",
        "scenario.payback_within_months=18"]
    assert summary["scenario"]["path"] == str(SUPPORT_BOT)
    code, printed = _replay(capsys, plain)
    assert code == 0, printed
    assert printed.strip().splitlines()[-1].startswith("replayed: identical in ")
    assert "summary.json: bit for bit equal apart from simulation.seconds" in printed
    assert "monthly.csv: byte for byte equal" in printed
    # every value of the file but the option names and another option's empty inputs
    table = pq.read_table(plain / "paths.parquet")
    values = sum(table.num_rows - table.column(name).null_count
                 for name in table.column_names if name != "option")
    values += table.column("payback_month").null_count  # never paid back: compared as 0
    assert f"paths.parquet: {values:,} values (every input and outcome of every path) bit for " \
           "bit equal" in printed
    code, printed = _replay(capsys, plain, "--json")
    assert code == 0 and json.loads(printed)["identical"] is True


def _copy(folder: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy" / folder.name
    shutil.copytree(folder, target)
    return target


def test_an_edited_summary_number_is_named(capsys, plain, tmp_path):
    folder = _copy(plain, tmp_path)
    data = _summary(folder)
    data["options"]["lora_8b_provider"]["npv"]["mean"] += 1.0
    (folder / "summary.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    code, printed = _replay(capsys, folder)
    assert code == 1
    assert "options.lora_8b_provider.npv.mean: stored" in printed
    assert printed.strip().splitlines()[-1].startswith("replayed: differs (summary.json)")


def test_an_edited_per_path_value_is_named_by_column_and_path(capsys, plain, tmp_path):
    folder = _copy(plain, tmp_path)
    table = pq.read_table(folder / "paths.parquet")
    npv = table.column("npv").to_numpy().copy()
    npv[PATHS + 5] = np.nextafter(npv[PATHS + 5], np.inf)  # the second option's path 5
    table = table.set_column(table.schema.get_field_index("npv"), table.schema.field("npv"),
                             pa.array(npv))
    pq.write_table(table, folder / "paths.parquet")
    code, printed = _replay(capsys, folder)
    assert code == 1
    assert "lora_8b_provider: npv (1 row, first path 5)" in printed


def test_an_edited_scenario_copy_is_an_audit_failure(capsys, plain, tmp_path):
    folder = _copy(plain, tmp_path)
    with open(folder / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    code, printed = _replay(capsys, folder)
    assert code == 1
    assert "does not match summary.json's sha256" in printed


def test_a_changed_original_file_is_reported_and_the_copy_replayed(capsys, tmp_path):
    scenario = tmp_path / "bot.toml"
    shutil.copyfile(SUPPORT_BOT, scenario)
    folder = _run(tmp_path / "out", scenario)
    with open(scenario, "a", encoding="utf-8") as handle:
        handle.write("# a comment added after the run\n")
    now = hashlib.sha256(scenario.read_bytes()).hexdigest()
    code, printed = _replay(capsys, folder)
    assert code == 0, printed
    assert f"original scenario file {scenario}: CHANGED since the run (sha256 {now[:12]}" \
        in printed
    scenario.unlink()
    code, printed = _replay(capsys, folder)
    assert code == 0 and "no longer exists" in printed


def test_data_files_are_hashed_and_a_change_is_reported(capsys, tmp_path):
    scenario = tmp_path / "bot.toml"
    shutil.copyfile(SUPPORT_BOT, scenario)
    data = tmp_path / "tokens.csv"
    data.write_text("n\n" + "\n".join(str(v) for v in range(100, 700, 7)) + "\n")
    folder = _run(tmp_path / "out", scenario, "--set",
                  'traffic.output_tokens={dist = "empirical", file = "tokens.csv", '
                  'column = "n"}')
    (record,) = _summary(folder)["simulation"]["data_files"]
    assert record == {"file": "tokens.csv", "path": str(data.resolve()),
                      "sha256": hashlib.sha256(data.read_bytes()).hexdigest()}
    code, printed = _replay(capsys, folder)
    assert code == 0, printed
    data.write_text("n\n" + "\n".join(str(v) for v in range(100, 900, 7)) + "\n")
    code, printed = _replay(capsys, folder)
    assert code == 1
    assert "data file tokens.csv" in printed and "CHANGED since the run" in printed


@pytest.mark.parametrize("extra", [("--sampler", "sobol"), ("--paths-csv",),
                                   ("--precision", "0.2", "--max-paths", "2000"),
                                   ("--stress", "options.lora_8b_provider.error_rate_gap=0:10")])
def test_other_kinds_of_run_replay_identically(capsys, tmp_path, extra):
    folder = _run(tmp_path, SUPPORT_BOT, *extra)
    code, printed = _replay(capsys, folder)
    assert code == 0, printed
    if extra[0] == "--stress":
        assert _summary(folder)["simulation"]["stress"] == [
            {"input": "options.lora_8b_provider.error_rate_gap", "low": 0.0, "high": 10.0}]
    if extra[0] == "--precision":
        assert _summary(folder)["simulation"]["precision_target"] == 0.2


def test_a_folder_that_is_not_a_run_cannot_be_replayed(capsys, tmp_path):
    code, printed = _replay(capsys, tmp_path)
    assert code == 2 and "not a run folder" in printed
    code, printed = _replay(capsys, tmp_path / "missing")
    assert code == 2 and "no such run folder" in printed


# -- --inputs -------------------------------------------------------------------------------


def test_supplied_inputs_are_used_copied_and_replayed(capsys, tmp_path):
    columns = _joint(PATHS + 300)
    source = _write_csv(tmp_path / "joint.csv", columns)
    plain = _run(tmp_path / "out", SUPPORT_BOT)
    folder = _run(tmp_path / "out", SUPPORT_BOT, "--inputs", str(source))
    copy = folder / "inputs.csv"
    assert copy.read_bytes() == source.read_bytes()
    record = _summary(folder)["simulation"]["inputs_file"]
    assert record == {"file": "inputs.csv", "source": str(source),
                      "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
                      "rows": PATHS + 300, "columns": [REQUESTS, GROWTH]}
    supplied = pq.read_table(folder / "paths.parquet").to_pandas()
    drawn = pq.read_table(plain / "paths.parquet").to_pandas()
    for option in ("lora_8b_provider", "lora_8b_selfhosted"):
        rows = supplied[supplied.option == option].sort_values("path")
        # --paths 1,200 takes the file's first 1,200 rows, as written
        for key in (REQUESTS, GROWTH):
            assert np.array_equal(rows[key].to_numpy(), columns[key][:PATHS])
        other = drawn[drawn.option == option].sort_values("path")
        assert np.array_equal(rows["traffic.input_tokens"].to_numpy(),
                              other["traffic.input_tokens"].to_numpy())
    code, printed = _replay(capsys, folder)
    assert code == 0, printed
    with open(copy, "a", encoding="utf-8") as handle:
        handle.write("1,0\n")
    code, printed = _replay(capsys, folder)
    assert code == 1 and "edited after the run" in printed


def test_a_parquet_file_sets_the_path_count(capsys, tmp_path):
    columns = _joint(700)
    source = tmp_path / "joint.parquet"
    pq.write_table(pa.table(columns), source)
    out = tmp_path / "out"
    assert main([str(SUPPORT_BOT), "--inputs", str(source), "--jobs", "1", "--no-report",
                 "--quiet", "--out", str(out)]) == 0
    (folder,) = out.glob("support_bot/*")
    assert _summary(folder)["simulation"]["paths"] == 700
    assert (folder / "inputs.parquet").read_bytes() == source.read_bytes()
    code, printed = _replay(capsys, folder)
    assert code == 0, printed


def _refused(capsys, tmp_path, *args: str) -> list[str]:
    out = tmp_path / "out"
    capsys.readouterr()
    assert main([str(SUPPORT_BOT), "--jobs", "1", "--no-report", "--out", str(out),
                 *args]) == 2
    assert not out.exists() or not any(out.rglob("summary.json"))  # nothing simulated
    return capsys.readouterr().err.strip().splitlines()


def test_inputs_validation_messages(capsys, tmp_path):
    n = 30
    gap = np.full(n, 0.01)
    gap[16] = 1.5
    source = _write_csv(tmp_path / "bad.csv", {
        "traffic.requests_per_mont": np.full(n, 1e5), "traffic.monthly_volatility": np.full(n, 0.1),
        "options.lora_8b_provider.error_rate_gap": gap})
    assert _refused(capsys, tmp_path, "--inputs", str(source)) == [
        "error: --inputs: column 'traffic.requests_per_mont' is not an input of the scenario; "
        "did you mean 'traffic.requests_per_month'?",
        "error: --inputs: column traffic.monthly_volatility is a fixed input (0.1): give it a "
        "law in the scenario to supply its values",
        "error: --inputs: column options.lora_8b_provider.error_rate_gap, row 17: 1.5 is "
        "outside the key's range: must be in [-1, 1]"]
    text = tmp_path / "text.csv"
    text.write_text(f"{GROWTH}\n0.01\n0.02\nfast\n0.01\n\n", encoding="utf-8")
    assert _refused(capsys, tmp_path, "--inputs", str(text)) == [
        f"error: --inputs: column {GROWTH}, row 3: not a number"]
    empty_cell = tmp_path / "empty.csv"
    empty_cell.write_text(f"{GROWTH},{REQUESTS}\n0.01,1000\n,2000\n", encoding="utf-8")
    assert _refused(capsys, tmp_path, "--inputs", str(empty_cell)) == [
        f"error: --inputs: column {GROWTH}, row 2: empty (every path needs a value; 1 empty "
        "rows)"]
    few = _write_csv(tmp_path / "few.csv", _joint(50))
    assert _refused(capsys, tmp_path, "--inputs", str(few), "--paths", "80") == [
        "error: --inputs: few.csv has 50 rows, fewer than the 80 paths asked for (one row per "
        "path; rows are not reused)"]
    assert _refused(capsys, tmp_path, "--inputs", str(few), "--precision", "0.1") == [
        "error: --precision: not available with --inputs (the paths are the file's rows)"]
    assert _refused(capsys, tmp_path, "--inputs", str(tmp_path / "none.csv"))[0].startswith(
        "error: --inputs: cannot read")
    assert _refused(capsys, tmp_path, "--inputs", str(tmp_path / "x.xlsx")) == [
        "error: --inputs: 'x.xlsx': expected a .parquet, .csv, .csv.gz file"]


def test_catalog_prices_are_checked_against_the_installed_catalog(capsys, tmp_path):
    """A price taken from genai-prices names the catalog's version in its source; replay
    says whether the installed catalog is the same one."""
    from importlib.metadata import version

    scenario = tmp_path / "catalog.toml"
    scenario.write_text(snippet(*RANDOM, ("price_input_per_mtok = 2.0",
                                          'price_input_per_mtok = { catalog = "openai:gpt-4o" }')),
                        encoding="utf-8")
    folder = _run(tmp_path / "out", scenario)
    installed = f"genai-prices {version('genai-prices')}"
    code, printed = _replay(capsys, folder)
    assert code == 0, printed
    assert f"catalog prices: {installed}, as at the run" in printed
    data = _summary(folder)
    for row in data["inputs"]:
        row["source"] = (row["source"] or "").replace(installed, "genai-prices 0.0.1")
    (folder / "summary.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    code, printed = _replay(capsys, folder)
    assert code == 1
    assert (f"catalog prices: genai-prices 0.0.1 at the run, {installed} now (the prices may "
            "differ)") in printed
