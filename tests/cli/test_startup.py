"""What the command line does to its process before a run: numpy's unused submodules are
lazy, the program freezes its imported objects, and a report process keeps them frozen."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_numpy_f2py_and_testing_load_only_when_used():
    out = _python("""
        import sys
        import ftsim.cli  # the command line's set-up
        import numpy
        from scipy import special  # its array-API layer touches every numpy submodule
        kinds = [type(sys.modules[n]).__name__ for n in ("numpy.f2py", "numpy.testing")]
        assert "charset_normalizer" not in sys.modules  # f2py's import, not made
        numpy.testing.assert_allclose(special.ndtr(0.0), 0.5)  # loads on first use
        assert type(sys.modules["numpy.testing"]).__name__ == "module"
        assert hasattr(numpy.f2py, "run_main")
        print(kinds)
    """)
    assert out.strip() == "['_LazyModule', '_LazyModule']"


def test_numpy_submodules_loaded_before_the_command_line_stay_as_they_are():
    out = _python("""
        import sys
        import numpy.testing
        import ftsim.cli
        print(type(sys.modules["numpy.testing"]).__name__)
    """)
    assert out.strip() == "module"


def test_drawing_figures_keeps_a_process_s_frozen_objects_frozen():
    """render forks its drawing children with the parent's objects frozen; a process that
    froze its own before (the command line) keeps them so, one that did not is restored."""
    from report_runs import SUPPORT_BOT

    out = _python(f"""
        import gc
        from ftsim import simulate, summarize
        from ftsim.figures.registry import figure_specs
        from ftsim.figures.render import render_figures
        from ftsim.scenario import load_scenario
        summary = summarize(simulate(load_scenario({str(SUPPORT_BOT)!r}), paths=2000))
        specs = list(figure_specs(summary))[:4]
        render_figures(summary, workers=2, specs=specs)
        before = gc.get_freeze_count()
        gc.freeze()
        frozen = gc.get_freeze_count()
        render_figures(summary, workers=2, specs=specs)
        # unfrozen, the count would be 0 (it may shrink: frozen objects freed by refcount)
        print(before, frozen > 0, gc.get_freeze_count() > 0)
    """)
    assert out.split() == ["0", "True", "True"]

