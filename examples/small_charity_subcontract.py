"""Can a small charity take this subcontract?

A finance officer is offered 5% of a TR-like contract's work as a Tier 2
subcontractor. This runs the bundled default contract once (the same simulated
contract for every option) and, for the terms on offer and some alternatives,
reports the charity's peak cash need and when it falls, the chance it runs out
of cash with its reserves, the capital that would keep that chance at 5%, what
that money costs, and its expected result after financing. Then it asks how much
social investment would close the gap, and at what cost.

Run:  python examples/small_charity_subcontract.py [SIMS]
"""

from __future__ import annotations

import sys

from pbr_model.analyses.capital import capital
from pbr_model.spec import load_spec
from pbr_model.spec.load import load_profile

sims = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
spec = load_spec("tr-crc-example")
charity = load_profile("small-charity")
print(f"The charity: reserves £{charity.reserves:,.0f}, credit £{charity.credit_limit:,.0f}, "
      f"capital at {charity.cost_of_capital:.0%} a year, overheads {charity.overheads:.0%}\n")

# The options: the prime's terms on its share; half the PbR risk; no PbR risk (paid per
# participant at the plan's value, as a Tier 3 is).
options = {
    "all PbR risk (prime's terms)": charity.model_copy(update={"name": "all PbR risk"}),
    "half the PbR risk": charity.model_copy(update={"name": "half", "pbr_share": 0.5}),
    "no PbR risk (plan price)": charity.model_copy(update={"name": "none", "pbr_share": 0.0}),
    # the same seat if the charity's costs were no higher than the contract's cost base:
    # separates the cash the timing needs from the losses its overheads make
    "all PbR risk, no extra overheads": charity.model_copy(update={"name": "lean",
                                                                   "overheads": 0.0}),
}
result = capital(spec, list(options.values()), sims=sims, seed=1)
month_dates = result.result.timeline.dates()

print(f"{'terms':<34}{'peak need P50':>14}{'P95':>11}{'when':>10}{'P(out of cash)':>16}"
      f"{'capital 5%':>12}{'net':>10}{'after fin.':>12}")
for label, party in zip(options, result.parties):
    s = party.summary
    month = s["peak_month"]["p50"]
    when = month_dates[int(month)].strftime("%b %Y") if month == month else "-"
    print(f"{label:<34}{s['peak_funding']['p50'] / 1e3:>13,.0f}k"
          f"{s['peak_funding']['p95'] / 1e3:>10,.0f}k{when:>10}{s['prob_insolvent']:>16.1%}"
          f"{s['capital_required']['p95'] / 1e3:>11,.0f}k{s['net']['mean'] / 1e3:>9,.0f}k"
          f"{s['net_after_financing'] / 1e3:>11,.0f}k")

# How much social investment closes the gap on the prime's terms, and what it costs.
first = result.parties[0].summary
gap = first["additional_capital"]["p95"]
backed = charity.model_copy(update={"name": "with facility", "credit_limit": gap,
                                    "credit_rate": 0.08})
with_facility = capital(spec, [backed], sims=sims, seed=1).parties[0].summary
print(f"\nOn the prime's terms the charity needs £{gap:,.0f} beyond its reserves to keep the "
      f"chance of running out of cash at 5% or less.")
print(f"A social investment facility of that size at 8% a year: P(out of cash) "
      f"{with_facility['prob_insolvent']:.1%}, expected financing cost "
      f"£{with_facility['financing_cost']:,.0f}, expected result after financing "
      f"£{with_facility['net_after_financing']:,.0f}.")
verdict = ("can" if with_facility["net_after_financing"] > 0
           and with_facility["prob_insolvent"] <= 0.05 else "cannot")
print(f"So on these terms the charity {verdict} take the subcontract with that facility: "
      "the answer turns on the margin the terms leave, not only on the cash.")
