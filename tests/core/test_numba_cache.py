"""numba's cached kernels loaded without its lowering registries (core/numba_cache.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, cwd: Path = ROOT) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=300, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_run_s_kernels_load_without_the_registries_and_give_the_same_paths():
    """In a fresh process, as a run loads them: numba's linalg registry (and scipy.linalg,
    which it imports) is never loaded, and the per-path NPVs are those of a process that
    loaded the kernels the normal way (bit for bit)."""
    code = """
        import hashlib, sys
        {load}
        from ftsim import load_scenario, simulate
        result = simulate(load_scenario("scenarios/drift_heavy.toml"), paths=3000, seed=11,
                          jobs=1)
        digest = hashlib.sha256()
        for option in result.options.values():
            digest.update(option.npv.tobytes())
            digest.update(option.payback_month.tobytes())
        print(digest.hexdigest(), "numba.np.linalg" in sys.modules)
    """
    # kernels edited since their cache was written compile first (with the registries, as
    # any compile does): cache them, so the process below only loads
    _python("from ftsim.core.plan import _load_kernel; _load_kernel()")
    deferred = _python(code.format(load="""
        from ftsim.core.plan import _load_kernel
        _load_kernel()
        assert "numba.np.linalg" not in sys.modules and "scipy.linalg" not in sys.modules
    """)).split()
    normal = _python(code.format(load="""
        from ftsim.core.kernel import load_option_kernel
        load_option_kernel()  # numba's own load: every registry
        assert "numba.np.linalg" in sys.modules
    """)).split()
    assert deferred[0] == normal[0]
    assert (deferred[1], normal[1]) == ("False", "True")


def test_a_kernel_compiled_inside_the_block_gets_the_registries_it_needs(tmp_path):
    """A cache miss inside the block compiles as usual: numba refreshes its registries
    where it compiles (np.linalg.solve and np.sort need the linalg and array ones). The
    normal load is back after the block; a second process then loads it from the cache."""
    (tmp_path / "kernels.py").write_text(textwrap.dedent("""
        import numba
        import numpy as np

        @numba.njit(cache=True)
        def solve_sorted(a, b):
            return np.sort(np.linalg.solve(a, b))
    """))
    code = """
        import numpy as np
        from numba.core import caching
        from ftsim.core.numba_cache import registries_deferred
        normal = caching.Cache.__dict__["load_overload"]
        with registries_deferred() as deferred:
            from kernels import solve_sorted
            x = solve_sorted(np.array([[2.0, 0.0], [0.0, 4.0]]), np.array([8.0, 2.0]))
        assert caching.Cache.__dict__["load_overload"] is normal
        print(deferred, x.tolist(), solve_sorted.stats.cache_hits.get(
            next(iter(solve_sorted.signatures)), 0))
    """
    env_path = f"import sys; sys.path.insert(0, {str(tmp_path)!r})\n"
    first = _python(env_path + textwrap.dedent(code))
    second = _python(env_path + textwrap.dedent(code))
    assert first.split() == ["True", "[0.5,", "4.0]", "0"]  # compiled (a miss)
    assert second.split() == ["True", "[0.5,", "4.0]", "1"]  # loaded from the cache


def test_a_run_calls_the_kernels_in_the_signatures_loaded_ahead():
    """Every kernel a run calls was loaded by plan._load_kernel in the signature the run
    calls it with: a second signature would be loaded mid-run (and, outside the warm-up,
    with all of numba's registries: 0.2 s). Scenarios and sizes that take the different
    paths: broadcast and full-shape month inputs, one and several months per tally call,
    a streamed run's short last chunk."""
    out = _python("""
        from ftsim.core.plan import _load_kernel
        _load_kernel()
        from ftsim.core import kernel, radix
        from ftsim import load_scenario, simulate, summarize
        kernels = {**{n: getattr(kernel, n) for n in ("option_months", "tally_months",
                                                       "index_rows", "event_counts")},
                   **{n: getattr(radix, n) for n in ("_keys", "_radix_order", "_decode",
                                                      "_average_ranks")}}
        loaded = {name: list(k.signatures) for name, k in kernels.items()}
        for name, paths in (("support_bot", 3000), ("drift_heavy", 20000),
                            ("seed_article", 12345)):
            summarize(simulate(load_scenario(f"scenarios/{name}.toml"), paths=paths, seed=5))
        print({name: list(k.signatures) == loaded[name] and len(loaded[name]) == 1
               for name, k in kernels.items()})
    """)
    assert "False" not in out and out.count("True") == 8, out
