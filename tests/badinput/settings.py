"""Hypothesis settings shared by the bad-input suite.

Under CI the examples are derandomized (the same inputs every run, so a red build is
reproducible) and bounded so the whole suite stays well under two minutes; no deadline,
because the machine is shared and a slow example is not a failure. Locally the inputs
are random, and BADINPUT_EXAMPLES raises the count when hunting for bugs.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCALE = float(os.environ.get("BADINPUT_EXAMPLES", "1"))


def examples(n: int) -> settings:
    """Settings for one property: `n` examples (scaled), deterministic under CI."""
    return settings(
        max_examples=max(1, int(n * SCALE)),
        deadline=None,
        derandomize=CI,
        database=None,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )
