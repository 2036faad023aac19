"""The Dask backend gives the same per-path results as a local run (same seed, same chunks)."""

from __future__ import annotations

import numpy as np
import pytest
from test_simulation import RANDOM_WORLD

import ftsim
from ftsim.scenario import parse_scenario

distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_local_cluster_matches_local_run():
    scenario = parse_scenario(RANDOM_WORLD)
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
    assert local.summary() == remote.summary()
