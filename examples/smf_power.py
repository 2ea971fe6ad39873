"""How large a true reduction does a TR-like provider need to be fairly sure of making money?

The Social Market Foundation's 2013 simulation of the Transforming Rehabilitation
proposals ("Paying for results?") found that providers needed about a 4% reduction in
reoffending to be moderately certain of making money, and more in small contract
areas, because sampling noise and national trends swamp a small true effect.

This script asks the same question of the bundled TR-like contract with `pbr_model.analyses.power`,
for a large area (5,000 entrants a quarter) and a small one (600 a quarter). It isolates
the payment-by-results bet: fees are taken to cover the core service exactly, so the
provider's result is its outcome payments less what it spends to earn them (an
ASSUMPTION: GBP 80 per entrant of extra rehabilitation work), and volumes are known.
"Moderately certain" is read as at least an 80% chance of not losing money.

Run:  python examples/smf_power.py [SIMS]      (default 1000 simulations per effect)
"""

from __future__ import annotations

import sys

import numpy as np

from pbr_model import load_spec
from pbr_model.analyses.power import crossing, power

PBR_BET = [
    "payments.0.annual=0", "payments.0.per_participant=0",          # fees cover the core...
    "intervention.costs.setup=0", "intervention.costs.fixed_per_month=0",  # ...service costs
    "intervention.costs.per_participant=80",       # ASSUMPTION: extra spend to earn results
    "intervention.personal_budget.amount=0",
    "cohorts.volume_factor_sd=0", "cohorts.period_noise_sd=0",      # volumes known
]
AREAS = {"large area (5,000 a quarter)": 5000, "small area (600 a quarter)": 600}
RULES = {
    # payments floored at zero per cohort: noise can only help the provider
    "TR rules as bundled": [],
    # late TR [MoJ21a]: binary paid only if significantly better, and deductions for
    # (significantly) worse results at the same prices
    "late TR: significance + deductions": [
        "payments.1.rates.0.significance_level=0.05", "payments.1.rates.0.deduction_price=3000",
        "payments.1.rates.1.deduction_price=700"],
}
CERTAINTY = 0.8


def effect_needed(rules: str, name: str, entrants: int, sims: int) -> dict:
    spec = load_spec("tr-crc-example",
                     PBR_BET + RULES[rules] + [f"cohorts.entrants_per_period={entrants}"])
    result = power(spec, list(np.round(np.arange(0, 0.1001, 0.005), 4)), sims=sims)
    t = result.table
    _, certain = crossing(t.index.to_numpy(), 1 - t["prob_loss"].to_numpy(), CERTAINTY)
    return {"rules": rules, "area": name, "break_even": result.break_even_effect, "certain": certain,
            "noise": result.paid_for_noise, "table": t}


def main(sims: int = 1000) -> list[dict]:
    rows = [effect_needed(rules, name, n, sims) for rules in RULES for name, n in AREAS.items()]
    print(f"True reduction needed (both binary and frequency), {sims:,} simulations per effect")
    for r in rows:
        if r["area"] == next(iter(AREAS)):
            print(f"\n{r['rules']:32} {'break-even':>11} {'80% sure of no loss':>20} "
                  f"{'paid for noise':>15}")
        fmt = lambda v: "not reached" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        print(f"{r['area']:32} {fmt(r['break_even']):>11} {fmt(r['certain']):>20} "
              f"{100 * r['noise']:>14.0f}%")
    print("SMF 2013: about 4% to be moderately certain of making money; worse in small areas.")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
