"""What happens to a TR-like contract if volumes come in 30% low?

Transforming Rehabilitation's volumes came in 16-48% below expectation while
fixed costs stayed put (DOMAIN.md s4-5). This runs the bundled default contract
at its expected volumes and with every cohort 30% smaller, on the same seed, and
compares what the provider gets paid, its net result and its cash risk.

Run:  python examples/volume_shortfall.py [SIMS]
"""

from __future__ import annotations

import sys

from pbr_model import load_spec, simulate

sims = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
base = load_spec("tr-crc-example")
entrants = base.spec.cohorts.entrants_per_period
low = load_spec("tr-crc-example", [f"cohorts.entrants_per_period={entrants * 0.7}"])

print(f"{'scenario':<22}{'revenue':>14}{'net (mean)':>14}{'P(loss)':>10}{'peak P95':>14}")
for label, spec in [("expected volumes", base), ("volumes 30% low", low)]:
    p = simulate(spec, sims=sims, seed=1).summary()["provider"]
    print(f"{label:<22}{p['revenue']['mean'] / 1e6:>13.1f}m{p['net']['mean'] / 1e6:>13.1f}m"
          f"{p['prob_loss']:>10.1%}{p['peak_funding']['p95'] / 1e6:>13.1f}m")
