"""The Dask backend gives the same per-path results as a local run (same seed, same chunks)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support import RANDOM_WORLD

import ftsim

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_local_cluster_matches_local_run():
    scenario = ftsim.parse_scenario(RANDOM_WORLD)
    kwargs = dict(paths=6000, seed=21, chunk_size=1024)
    local = ftsim.simulate(scenario, jobs=1, **kwargs)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        remote = ftsim.simulate(scenario, backend="dask", scheduler=cluster.scheduler_address,
                                jobs=2, **kwargs)
    for option_id, option in local.options.items():
        other = remote.options[option_id]
        for name in ("payback_month", "npv", "upfront", "cumulative", "retrains"):
            np.testing.assert_array_equal(getattr(option, name), getattr(other, name), err_msg=name)
    for key, values in local.inputs.items():
        np.testing.assert_array_equal(values, remote.inputs[key], err_msg=key)
    assert ftsim.summarize(local) == ftsim.summarize(remote)


def test_unreachable_scheduler_is_a_bad_option_not_an_internal_error(tmp_path, capsys):
    # Before: exit 1, "internal error: OSError: Timed out trying to connect ...".
    import dask

    from ftsim.cli import main

    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "support_bot.toml"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        code = main([str(scenario), "--paths", "300", "--backend", "dask", "--scheduler",
                     "tcp://127.0.0.1:1", "--quiet", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --scheduler: cannot connect to the Dask "
                                        "scheduler at tcp://127.0.0.1:1")
    assert err.count("\n") == 1
    assert not (tmp_path / "out").exists()  # the claimed run folder was removed again
