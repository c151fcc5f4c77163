"""Optional differential privacy: integer Laplace noise from OpenDP, never hand-rolled."""

from __future__ import annotations

import opendp.prelude as dp

dp.enable_features("contrib")

# How many codes of one vocabulary a single case may carry. The noise scale assumes this
# bound (L1 sensitivity); docs/statistics.md explains it.
CONTRIBUTION_BOUND = {"act_type": 3, "perpetrator": 3, "target": 2, "region": 1, "period": 1}


def noisy_counts(values: list[int], epsilon: float, sensitivity: int) -> list[int]:
    """Add discrete Laplace noise calibrated to `epsilon` for one histogram; clamp at zero."""
    if epsilon <= 0:
        raise ValueError("epsilon must be positive to add noise")
    if not values:
        return []
    measurement = dp.m.make_laplace(
        dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int),
        scale=sensitivity / epsilon,
    )
    assert measurement.map(sensitivity) <= epsilon + 1e-9
    return [max(0, int(v)) for v in measurement(list(values))]
