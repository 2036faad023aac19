"""Load-time probes evaluate laws exactly, without building the tabulated laws' tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from ftsim.distributions import Beta, Gamma, Truncated
from ftsim.rng import U_MIN

U = np.array([U_MIN, 0.05, 0.5, 0.95, 1 - U_MIN])


def test_probes_match_scipy_and_build_no_table():
    # independent values: scipy.stats' own inverses of the same laws
    beta, gamma = Beta(2.0, 5.0, 10.0, 30.0), Gamma(shape=3.0, scale=2.0)
    expected_beta = stats.beta(2.0, 5.0, loc=10.0, scale=20.0).ppf(U)
    expected_gamma = stats.gamma(3.0, scale=2.0).ppf(U)
    np.testing.assert_allclose(beta.ppf_exact(U), expected_beta, rtol=1e-9)
    np.testing.assert_allclose(gamma.ppf_exact(U), expected_gamma, rtol=1e-9)
    assert beta._tab is None and gamma._tab is None  # no 65k-point table for 5 quantiles
    # truncated: the base law restricted to [lo, hi], mapped through its CDF
    truncated = Truncated(Gamma(shape=3.0, scale=2.0), 2.0, 9.0)
    law = stats.gamma(3.0, scale=2.0)
    lo, hi = law.cdf(2.0), law.cdf(9.0)
    np.testing.assert_allclose(truncated.ppf_exact(U), law.ppf(lo + U * (hi - lo)), rtol=1e-9)
    assert truncated.base._tab is None
    # the sampling path (table) agrees with the probes to its stated tolerance
    np.testing.assert_allclose(beta.ppf(U), expected_beta, atol=1e-6 * 20.0)


def test_loading_a_scenario_leaves_tables_for_the_run():
    from ftsim import load_scenario

    scenario = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "support_bot.toml")
    tabulated = [i.dist for i in scenario.all_inputs().values()
                 if isinstance(getattr(i.dist, "base", i.dist), (Beta, Gamma))]
    assert tabulated, "support_bot has PERT inputs"
    assert all(getattr(d, "base", d)._tab is None for d in tabulated)
