"""Load-time probes evaluate laws exactly, without building the tabulated laws' tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import stats

from ftsim.distributions import TABLE_TOLERANCE, Beta, Gamma, Truncated
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


def test_laws_of_one_shape_share_one_table_and_each_places_it_on_its_own_range():
    """Two PERT-like Betas of the same (a, b) on different ranges: one standardised table,
    read-only, equal to a table built for that shape alone; each law's quantiles are that
    table placed on its own range (checked against scipy's exact inverse)."""
    a, b = 2.7, 4.1
    left, right = Beta(a, b, 10.0, 20.0), Beta(a, b, -3.0, 5.0)
    u = np.array([1e-9, 0.01, 0.3, 0.5, 0.77, 0.999])
    x_left, x_right = left.ppf(u), right.ppf(u)
    assert left._tab is right._tab
    t, dt = left._tab
    assert not t.flags.writeable and not dt.flags.writeable
    fresh_t, fresh_dt = Beta(a, b)._build_table()  # built here, not taken from the cache
    np.testing.assert_array_equal(t, fresh_t)
    np.testing.assert_array_equal(dt, fresh_dt)
    for law, x in ((left, x_left), (right, x_right)):
        exact = stats.beta(a, b, loc=law.lo, scale=law.hi - law.lo).ppf(u)
        assert np.max(np.abs(x - exact)) <= TABLE_TOLERANCE * (law.hi - law.lo)
    # another shape gets its own table; Gamma's depends on the shape alone too
    assert Beta(a, b + 0.5)._table() is not left._tab
    assert Gamma(3.0, 2.0)._table() is Gamma(3.0, 50.0)._table()


def test_the_shared_tables_are_bounded(monkeypatch):
    import ftsim.distributions.tabulated as tabulated

    table_bytes = tabulated._nbytes(Beta(2.0, 3.0)._build_table())  # 4,097 points here
    monkeypatch.setattr(tabulated, "_TABLE_BYTES_KEPT", 3 * table_bytes)
    monkeypatch.setattr(tabulated, "_tables", type(tabulated._tables)())
    laws = [Beta(2.0 + i / 10, 3.0) for i in range(5)]
    for law in laws:
        law.ppf(np.array([0.5]))
    assert all(tabulated._nbytes(t) == table_bytes for t in tabulated._tables.values())
    assert len(tabulated._tables) == 3
    # the most recently used stay: the last three shapes
    assert [key[1:] for key in tabulated._tables] == [(law.a, law.b) for law in laws[2:]]
