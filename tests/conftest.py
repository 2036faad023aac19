"""Shared test configuration: the hypothesis profiles of the property tests.

``ci`` (the default) is derandomized, so a CI run is reproducible and a failure found there
is found again on any machine, and bounded so tests/test_properties.py stays within about
three minutes on two cores. ``long`` is the local fuzz run (benchmarks/README.md): random,
40 times the ci example counts. ``quick`` (a tenth of them, no shrinking) checks the tests
themselves.
Each test sets its example count through ``test_properties.examples()``, which reads the
profile name; select one with ``HYPOTHESIS_PROFILE=long python -m pytest
tests/test_properties.py``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

# too_slow / data_too_large: a generated scenario is a large composite (dozens of keys, each
# a distribution); generating one is legitimately slower than hypothesis's benchmarks.
# deadline=None: a run through the CLI with the report takes seconds, and its duration
# depends on the machine's load, not on the input.
_SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large]

settings.register_profile(
    "ci", derandomize=True, deadline=None, database=None, print_blob=True,
    suppress_health_check=_SLOW_OK,
)
# quick: no shrinking either, so a failure is reported at once (unshrunk)
settings.register_profile("quick", parent=settings.get_profile("ci"),
                          phases=[Phase.explicit, Phase.reuse, Phase.generate])
settings.register_profile(
    "long", derandomize=False, deadline=None, print_blob=True,
    suppress_health_check=_SLOW_OK,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
