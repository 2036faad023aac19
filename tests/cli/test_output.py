"""The files of a run: paths.parquet (default), paths.csv.gz (--paths-csv), monthly.csv and
summary.json, what the terminal says about them, and the background paths writer."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import ftsim
from ftsim.cli import main
from ftsim.core.result import PATH_OUTCOMES

ROOT = Path(__file__).resolve().parents[2]
SUPPORT_BOT = ROOT / "scenarios" / "support_bot.toml"
MONEY = ("npv", "upfront", "tco_baseline", "tco_option")


@pytest.fixture(scope="module")
def small_result():
    return ftsim.simulate(ftsim.load_scenario(SUPPORT_BOT), paths=300, seed=3, jobs=1)


def _bits(values) -> np.ndarray:
    """A float64 column's bit patterns: equal bits, the same double (NaN and -0.0 too)."""
    return np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)


# -- paths.parquet ---------------------------------------------------------------------------


def test_parquet_reads_back_the_result_bit_for_bit(tmp_path, small_result):
    import pyarrow.parquet as pq

    from ftsim.output import write_paths_parquet

    result = small_result
    provider = result.options["lora_8b_provider"]
    saved = {name: getattr(provider, name).copy() for name in MONEY}
    extreme = np.resize([1e39, -3.4e300, 123_456_789.123_456_7, 5e-324, -0.0, 0.1 + 0.2], 300)
    try:
        for name in MONEY:  # beyond float32, a subnormal, -0.0: all kept exactly
            getattr(provider, name)[:] = extreme
        # row groups of 128 rows: 3 per option, the last one short
        path = write_paths_parquet(tmp_path, result, rows_per_group=128)
        table = pq.read_table(path)
        metadata = pq.ParquetFile(path).metadata
    finally:
        for name, values in saved.items():
            getattr(provider, name)[:] = values
    assert path.name == "paths.parquet" and metadata.num_row_groups == 6
    assert table.column("option").to_pylist() == (["lora_8b_selfhosted"] * 300
                                                  + ["lora_8b_provider"] * 300)
    for number, (option_id, option) in enumerate(result.options.items()):
        rows = table.slice(300 * number, 300)
        assert rows.column("path").to_numpy().tolist() == list(range(300))
        for key, values in result.inputs.items():
            own = f"options.{option_id}."
            if key.startswith("options.") and not key.startswith(own):
                continue  # another option's input: tested below
            name = "option." + key[len(own):] if key.startswith(own) else key
            assert np.array_equal(_bits(rows.column(name).to_numpy()), _bits(values)), name
        for name in MONEY:
            expected = extreme if option_id == "lora_8b_provider" else getattr(option, name)
            assert np.array_equal(_bits(rows.column(name).to_numpy()), _bits(expected)), name
        payback = rows.column("payback_month").to_pylist()
        assert payback == [None if m == 0 else int(m) for m in option.payback_month]
        assert rows.column("retrains").to_pylist() == option.retrains.tolist()
        assert rows.column("abandoned").to_pylist() == option.abandoned.tolist()
    # an input of one option only is null on the other option's rows
    gpu_hours = table.column("option.build.gpu_hours")
    assert gpu_hours.slice(0, 300).null_count == 0 and gpu_hours.slice(300).null_count == 300
    assert table.column_names[-len(PATH_OUTCOMES):] == list(PATH_OUTCOMES)


def test_parquet_columns_are_typed_and_the_file_names_its_run(tmp_path, small_result):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ftsim.output import write_paths_parquet

    schema = pq.read_schema(write_paths_parquet(tmp_path, small_result))
    types = {field.name: field.type for field in schema}
    assert types["option"] == pa.string() and types["path"] == pa.int32()
    assert types["payback_month"] == pa.int16() and types["retrains"] == pa.int16()
    assert types["abandoned"] == pa.bool_()
    assert all(types[name] == pa.float64() for name in MONEY)
    assert schema.field("npv").metadata == {b"unit": b"USD"}
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["ftsim_version"] == ftsim.__version__
    assert meta["scenario_sha256"] == hashlib.sha256(SUPPORT_BOT.read_bytes()).hexdigest()
    assert meta["seed"] == "3" and meta["paths"] == "300" and meta["sampler"] == "random"
    assert meta["currency"] == "USD" and meta["horizon_months"] == "36"


def test_an_integer_that_does_not_fit_its_column_is_refused(tmp_path, small_result):
    from ftsim.output import write_paths_parquet

    option = small_result.options["lora_8b_provider"]
    saved = option.retrains.copy()
    option.retrains[5] = 40_000  # beyond int16
    try:
        with pytest.raises(ValueError, match="retrains: values outside int16"):
            write_paths_parquet(tmp_path, small_result)
    finally:
        option.retrains[:] = saved
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone too


def test_a_cancelled_writer_stops_and_leaves_no_file(tmp_path, small_result):
    from ftsim.output import WriteCancelled, write_paths_csv, write_paths_parquet

    cancel = threading.Event()
    cancel.set()
    with pytest.raises(WriteCancelled):
        write_paths_parquet(tmp_path, small_result, cancel=cancel)
    with pytest.raises(WriteCancelled):
        write_paths_csv(tmp_path, small_result, cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_the_background_writer_is_stopped_when_the_run_fails(tmp_path, small_result,
                                                              monkeypatch):
    # The writer blocks in its first row group until told to stop; the block's own error
    # is what the caller sees, and the half-written file is removed before the block ends.
    from ftsim.output import PathsWriter, paths

    started = threading.Event()
    original = paths._parquet_batch
    seen_cancel: list[bool] = []

    def slow_batch(*args, **kwargs):
        started.set()
        seen_cancel.append(writer.cancel.wait(timeout=60))
        return original(*args, **kwargs)

    monkeypatch.setattr(paths, "_parquet_batch", slow_batch)
    with pytest.raises(RuntimeError, match="report failed"):
        with PathsWriter(tmp_path, small_result, "parquet") as writer:
            assert started.wait(timeout=60)
            assert any(p.name.startswith(".paths.parquet.") for p in tmp_path.iterdir())
            raise RuntimeError("report failed")
    assert seen_cancel == [True]  # stopped at the next row group, not after 60 s
    assert list(tmp_path.iterdir()) == []


def test_the_background_writer_returns_its_file_and_writes_nothing_without_a_format(
        tmp_path, small_result):
    from ftsim.output import PathsWriter

    with PathsWriter(tmp_path, small_result, "csv", threads=2) as writer:
        pass  # leaving the block waits for the file
    assert writer.wait() == tmp_path / "paths.csv.gz"
    with PathsWriter(tmp_path / "none", small_result, None) as writer:
        assert writer.wait() is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["paths.csv.gz"]


# -- paths.csv.gz (--paths-csv) --------------------------------------------------------------


def test_csv_keeps_row_order_when_batches_are_encoded_in_parallel(tmp_path):
    # Batches of 7 rows on 3 threads: 2 x 50 rows = 16 gzip members, written in order.
    import pandas as pd

    from ftsim.output import write_paths_csv

    result = ftsim.simulate(ftsim.load_scenario(SUPPORT_BOT), paths=50, seed=2, jobs=1)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    serial.mkdir()
    parallel.mkdir()
    write_paths_csv(serial, result, rows_per_batch=7, threads=1)
    write_paths_csv(parallel, result, rows_per_batch=7, threads=3)
    text = gzip.open(parallel / "paths.csv.gz").read()
    assert text == gzip.open(serial / "paths.csv.gz").read()
    assert text.count(b'"option"') == 1  # one header
    rows = pd.read_csv(parallel / "paths.csv.gz")
    assert rows.option.tolist() == ["lora_8b_selfhosted"] * 50 + ["lora_8b_provider"] * 50
    npv = result.options["lora_8b_provider"].npv
    assert rows.npv[50:].to_numpy() == pytest.approx(npv, rel=1e-6)  # float32 text


def test_csv_keeps_money_beyond_float32_exactly(tmp_path):
    # Before: money was cast to float32, so 1e39 became inf and 123456789.123 lost digits.
    from ftsim.output import write_paths_csv

    result = ftsim.simulate(ftsim.load_scenario(SUPPORT_BOT), paths=4, seed=2, jobs=1)
    money = np.array([1e39, -3.4e300, 123_456_789.123_456_7, 5e-324])
    option = result.options["lora_8b_provider"]
    for name in MONEY:
        getattr(option, name)[:] = money
    tiny = next(k for k in result.inputs if k.startswith("traffic."))
    result.inputs[tiny][:] = [1e-50, 1.0, 2.0, 3.0]  # below float32's smallest normal
    write_paths_csv(tmp_path, result)
    with gzip.open(tmp_path / "paths.csv.gz", "rt") as text:  # Python's float(): exact
        rows = list(csv.DictReader(text))
    provider = [row for row in rows if row["option"] == "lora_8b_provider"]
    for name in MONEY:
        assert [float(row[name]) for row in provider] == money.tolist()
    assert float(rows[0][tiny]) == 1e-50


# -- monthly.csv and summary.json ------------------------------------------------------------


def _pandas_monthly_csv(summary) -> str:
    """monthly.csv as it was written before: pandas' to_csv of the summary's monthly frame."""
    return summary.monthly_frame().to_csv(index=False, float_format="%.6g")


def test_monthly_csv_is_byte_for_byte_what_pandas_wrote(small_result):
    from ftsim.output import monthly_csv_text

    summary = ftsim.summarize(small_result)
    text = monthly_csv_text(summary)
    assert text == _pandas_monthly_csv(summary)
    assert text.count("\n") == 1 + 2 * 36


def test_monthly_csv_matches_pandas_on_integer_missing_and_huge_cells(small_result):
    # A summary read back from JSON can hold whole numbers as ints; a missing value is an
    # empty cell; a value past 1e6 takes an exponent under %.6g; a comma in an option id
    # is quoted.
    from ftsim.output import monthly_csv_text

    summary = ftsim.summarize(small_result)
    option = summary.options["lora_8b_provider"]
    cost = option.monthly_mean_cost
    horizon = len(cost.baseline)
    bands = option.cumulative_net_savings
    odd = replace(option, cumulative_net_savings=replace(bands, p5=(None,) + bands.p5[1:]),
                  monthly_mean_cost=replace(cost, rag=(0,) * horizon,  # ints: as integers
                                            errors=(123_456_789.0,) * horizon))
    edited = replace(summary, options={"a,b": odd, **{
        k: v for k, v in summary.options.items() if k != "lora_8b_provider"}})
    text = monthly_csv_text(edited)
    assert text == _pandas_monthly_csv(edited)
    assert '\n"a,b",1,' in text and "1.23457e+08" in text and ",," in text


def test_run_folder_holds_summary_monthly_and_parquet_by_default(tmp_path, capsys):
    import pyarrow.parquet as pq

    code = main([str(SUPPORT_BOT), "--paths", "2000", "--seed", "5", "--out", str(tmp_path),
                 "--no-report", "--jobs", "1", "--within", "18"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "P(payback within 18 months)" in printed
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    assert sorted(p.name for p in run_dir.iterdir()) == ["monthly.csv", "paths.parquet",
                                                         "scenario.toml", "summary.json"]
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["simulation"]["payback_within_months"] == 18
    assert summary["simulation"]["seed"] == 5
    paths = pq.read_table(run_dir / "paths.parquet").to_pandas()
    assert len(paths) == 2 * 2000
    for option_id, option in summary["options"].items():
        rows = paths[paths.option == option_id]
        # the per-path file agrees with the summary: P(payback <= 18) from the rows
        within = (rows.payback_month <= 18).mean()  # NaN (never) compares False
        assert within == pytest.approx(option["p_payback_within"], abs=1e-12)
        assert rows.npv.mean() == pytest.approx(option["npv"]["mean"], rel=1e-12)
    with open(run_dir / "monthly.csv", newline="") as text:
        monthly = list(csv.DictReader(text))
    assert len(monthly) == 2 * 36
    assert {"cumulative_net_savings_p50", "mean_baseline_cost", "mean_option_cost"} <= set(
        monthly[0])


@pytest.mark.parametrize(("flags", "files"), [
    (["--paths-csv"], ["monthly.csv", "paths.csv.gz", "scenario.toml", "summary.json"]),
    (["--no-paths"], ["monthly.csv", "scenario.toml", "summary.json"]),
], ids=["paths-csv", "no-paths"])
def test_paths_csv_and_no_paths_choose_the_per_path_file(tmp_path, capsys, flags, files):
    assert main([str(SUPPORT_BOT), "--paths", "300", "--out", str(tmp_path), "--no-report",
                 "--jobs", "1", "--quiet", *flags]) == 0
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    assert sorted(p.name for p in run_dir.iterdir()) == files


def test_paths_csv_with_no_paths_is_refused(tmp_path, capsys):
    assert main([str(SUPPORT_BOT), "--paths-csv", "--no-paths", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--no-paths" in err and "--paths-csv" in err
    assert list(tmp_path.iterdir()) == []


def test_json_prints_summary_json_and_names_the_folder_on_stderr(tmp_path, capsys):
    assert main([str(SUPPORT_BOT), "--paths", "300", "--out", str(tmp_path), "--no-report",
                 "--jobs", "1", "--json"]) == 0
    captured = capsys.readouterr()
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    assert captured.out == (run_dir / "summary.json").read_text(encoding="utf-8")
    assert captured.err == f"Wrote {run_dir}\n"
    assert main([str(SUPPORT_BOT), "--paths", "300", "--out", str(tmp_path), "--no-report",
                 "--jobs", "1", "--json", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


# -- failures and interrupts while the per-path file is written --------------------------------


def test_an_interrupt_in_the_paths_writer_returns_130_and_leaves_no_run_folder(
        tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("ftsim.output.paths.write_paths_parquet", interrupted)
    assert main([str(SUPPORT_BOT), "--paths", "500", "--jobs", "1", "--no-report",
                 "--out", str(tmp_path)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_failing_report_stops_the_paths_writer_and_leaves_no_run_folder(
        tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ftsim.report.write_report", broken)
    assert main([str(SUPPORT_BOT), "--paths", "500", "--jobs", "1", "--out",
                 str(tmp_path / "out")]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# -- the terminal ----------------------------------------------------------------------------


def test_table_gives_each_verdict_its_reason_and_the_money_at_risk(tmp_path, capsys):
    from ftsim.format import format_money, format_probability

    assert main([str(SUPPORT_BOT), "--paths", "2000", "--seed", "8", "--out", str(tmp_path),
                 "--no-report", "--jobs", "1"]) == 0
    printed = capsys.readouterr().out
    (run_dir,) = (tmp_path / "support_bot").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    blocks = printed.split("\n\n")
    for option_id, option in summary["options"].items():
        (block,) = [b for b in blocks if f"[{option_id}]: " in b]
        head, why = block.splitlines()[:2]
        assert head.endswith(option["verdict"].upper())
        # the why sentence opens with the share of futures that miss the deadline
        miss = format_probability(1 - option["p_payback_within"])
        assert why.startswith(f"  {miss} of the simulated futures do not pay back within 12")
        npv = option["npv"]
        assert (f"{format_money(npv['mean'], 'USD')} / {format_money(npv['p5'], 'USD')}"
                in block.split("NPV mean / P5")[1].splitlines()[0])
        assert all(len(line) <= 96 for line in block.splitlines()[1:])  # wrapped
    assert printed.rstrip().splitlines()[-1].startswith(f"Wrote {run_dir} in ")
    assert "report.pdf" not in printed


def test_files_text_names_the_report_files_in_the_final_folder(tmp_path):
    from ftsim.cli.table import files_text

    written = {name: Path("/elsewhere") / name
               for name in ("figures/npv.png", "report.md", "report.html", "report.pdf")}
    lines = files_text(tmp_path, written, seconds=2.5, simulation_seconds=1.0).splitlines()
    assert lines == [f"Report {tmp_path / 'report.pdf'}", f"       {tmp_path / 'report.html'}",
                     f"Wrote {tmp_path} in 2.5 s (simulation 1.0 s)"]


def test_a_run_with_a_report_prints_where_the_report_is(tmp_path, capsys):
    assert main([str(SUPPORT_BOT), "--paths", "300", "--out", str(tmp_path), "--jobs", "1"]) == 0
    last = capsys.readouterr().out.rstrip().splitlines()[-3:]
    pdf, html = Path(last[0].split()[-1]), Path(last[1].split()[-1])
    assert pdf.name == "report.pdf" and pdf.read_bytes()[:5] == b"%PDF-"
    assert html.name == "report.html" and html.parent == pdf.parent
    assert (pdf.parent / "paths.parquet").is_file()  # written while the report was made
