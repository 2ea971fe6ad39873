"""SMF 2013 in its own units: how many percentage points must a TR-like provider cut the
binary reoffending rate by to be moderately certain of making money?

The Social Market Foundation's simulation of the Ministry of Justice's 2013 proposals
("Paying for results?" [SMF13], its commentary "Rough justice and topsy-turvy incentives"
[SMF13c] and the press release of 9 Aug 2013 [SMF13p]) found that providers had to aim
for "around a four percentage point reduction in reoffending to be moderately certain of
making any money at all" ("more likely than not" in the commentary), worse in small contract
areas, because the straw man paid nothing unless reoffending moved more than three percentage
points either way (a flat no-payment zone). Its "four" is percentage points of the binary rate, not a relative 4%.

This script asks that question of the bundled TR-like area (``tr-crc-example``) in points:

* Effects: true cuts of 0 to 8 points in the binary rate, each converted exactly to the
  spec's relative effect at the contract's baseline binary rate (the risk mix's 47.5%
  [GTD17]): relative = points / (100 x 0.475). Reoffences per reoffender are cut by the
  same relative amount (``pbr power``'s convention); the straw man does not read them.
* The bet: fees cover the core service exactly, so the provider's result is its outcome
  payments less what it spends to earn them (ASSUMPTION: GBP 80 per entrant); volumes are
  known, there is no national trend or area deviation, and the baseline is fixed (SMF
  modelled the sampling noise of the measured cohorts; a trend, an area's own drift and a
  baseline year's sampling error are further risks the bundled file models).
* Rules, every field set here (not read from the bundled file, whose rules may change):
  - SMF straw man [SMF13c]: binary rate in points against the baseline, nothing paid or
    deducted unless it moves more than 3 points either way; beyond the zone GBP 3,000 per reoffender
    avoided and the same deducted per extra reoffender (price and deductions NOT FOUND in
    the SMF sources: ASSUMPTION, the bundled TR-like binary price). Whether a cohort past
    the zone is paid for its whole move (a cliff) or only the part beyond 3 points (a
    corridor) is not stated either: "flat payment zone" reads as a corridor, the main
    line; the cliff is shown beside it.
  - TR as paid: binary paid per reoffender avoided, and deducted per extra reoffender, only
    where significant by a two-sided z-test at 5% [PM18][MoJ21a]; frequency per reoffender
    paid per reoffence avoided if the binary rate did not rise, with no deductions
    (ASSUMPTION); prices as the bundled TR-like area (NOT FOUND).
* Areas: 5,000 entrants a quarter (the bundled large area), 1,300 (the CRC average:
  108,000 a year over 21 CRCs [GTD18]) and 600 (ASSUMPTION: a small area; the SMF does not
  say which areas were small).

"Moderately certain of making money" is read two ways: more likely than not (a 50% chance,
the commentary's words) and at least 80%; and "money" two ways: the whole contract makes no
loss, or one quarter's cohort is paid at least what was spent on it (where one cohort's
noise, larger in a small area, is not averaged away over 28 cohorts).

Run:  python examples/smf_power.py [SIMS]      (default 2000 simulations per effect)
"""

from __future__ import annotations

import sys

import numpy as np

from pbr_model import load_spec, simulate
from pbr_model.analyses.power import crossing
from pbr_model.scenarios import with_effect
from pbr_model.spec import validate

POINTS = [round(x, 2) for x in np.arange(0, 8.01, 0.5)]   # true cut, percentage points
AREAS = {"large (5,000 a quarter)": 5000, "average (1,300)": 1300, "small (600)": 600}
PRICE = 3000          # per reoffender avoided (and deducted), the TR-like binary price
ZONE = 3.0            # the SMF straw man's flat zone, points either way
LEVELS = (0.5, 0.8)   # "moderately certain": more likely than not, and 80%

BINARY = {"measure": "binary", "change": "points", "per": "unit", "price": PRICE,
          "deduction_price": PRICE, "pooled_threshold": None, "hurdle": None}
FREQUENCY = {"measure": "frequency_per_reoffender", "change": "absolute", "per": "unit",
             "price": 700, "threshold": 0.0, "threshold_rule": "cliff", "deduction_price": 0.0,
             "deduction_threshold": 0.0, "significance_level": None,
             "significance_test": "two_sided", "pooled_threshold": None,
             "hurdle": {"measure": "binary", "change": "points", "min": 0.0}}
RULES = {
    "SMF straw man, corridor": [dict(BINARY, threshold=ZONE, deduction_threshold=ZONE,
                                     threshold_rule="corridor", significance_level=None,
                                     significance_test="two_sided")],
    "SMF straw man, cliff": [dict(BINARY, threshold=ZONE, deduction_threshold=ZONE,
                                  threshold_rule="cliff", significance_level=None,
                                  significance_test="two_sided")],
    "TR as paid: significant at 5%": [
        dict(BINARY, threshold=0.0, deduction_threshold=0.0, threshold_rule="cliff",
             significance_level=0.05, significance_test="two_sided"), FREQUENCY],
}


def baseline_rate(spec) -> float:
    """The contract's baseline binary rate: its risk mix [fraction]."""
    return sum(b.share * b.binary_rate for b in spec.population.bands)


def bet(rates: list[dict], entrants: int):
    """The TR-like area as a payment-by-results bet, with these rates and no other rule."""
    data = load_spec("tr-crc-example").spec.model_dump()
    data["payments"] = [
        {"type": "fee", "name": "Fee for service"},     # fees cover the core service...
        {"type": "outcome", "name": "Outcome payment", "rates": rates}]
    costs = data["intervention"]["costs"]
    costs.update(setup=0, fixed_per_month=0, per_participant=80)   # ...ASSUMPTION: GBP 80 to
    data["intervention"]["personal_budget"].update(amount=0, take_up=0)   # earn results
    data["cohorts"].update(entrants_per_period=entrants, volume_factor_sd=0,
                           paid_volume_factor_sd=0, period_noise_sd=0)
    data["trend"] = {"binary_logit_drift": 0, "binary_logit_sd": 0, "frequency_log_drift": 0,
                     "frequency_log_sd": 0}
    data.pop("area", None)          # no area-level deviations from the (absent) trend
    # against a fixed, case-mix-adjusted baseline (generous: the baseline year's own sampling
    # error, evaluation.baseline_size, would add noise, more in a small area)
    data["evaluation"] = {"design": "historical_baseline", "case_mix_adjusted": True}
    data["termination"] = None
    data["renegotiation"] = []
    return validate(data, "tr-crc-example as a PbR bet")


def points_needed(rules: str, area: str, sims: int) -> dict:
    """For each true cut on the grid: the chance the contract makes no loss, and the chance
    one quarter's cohort is paid at least what was spent on it; and the cuts where each
    first reaches each of LEVELS (interpolated) [points]."""
    spec = bet(RULES[rules], AREAS[area])
    p0 = baseline_rate(spec)
    spend = spec.intervention.costs.per_participant
    no_loss, cohort_covers, triggered = [], [], []
    for pt in POINTS:
        run = simulate(with_effect(spec, pt / (100 * p0)), sims=sims)   # the same seed each
        no_loss.append(float((run.simulations["net"] >= 0).mean()))
        c = run.cohorts
        cohort_covers.append(float((c["outcome_payment"] >= spend * c["entrants"]).mean()))
        triggered.append(float(run.simulations["triggered"].mean()))
    x = np.asarray(POINTS)
    need = {(what, level): crossing(x, np.asarray(y), level)[1] for level in LEVELS
            for what, y in (("contract", no_loss), ("cohort", cohort_covers))}
    return {"rules": rules, "area": area, "p0": p0, "need": need, "no_loss": no_loss,
            "cohort_covers": cohort_covers, "at_zero": no_loss[0],
            "paid_at_zero": triggered[0], "sims": sims}


def main(sims: int = 2000) -> list[dict]:
    rows = [points_needed(r, a, sims) for r in RULES for a in AREAS]
    p0 = rows[0]["p0"]
    print(f"True cut in the binary rate needed to make money (PbR bet), {sims:,} simulations "
          f"per effect")
    print(f"Baseline binary rate {100 * p0:.1f}%: 1 point = a relative cut of "
          f"{1 / p0:.3f}% (4 points = {4 / p0:.2f}%)")
    fmt = lambda v: "-" if v is None else f"{v:.1f}"  # noqa: E731
    for r in rows:
        if r["area"] == next(iter(AREAS)):
            print(f"\n{r['rules']:32} {'whole contract: no loss':>24}   "
                  f"{'one cohort: paid >= spent':>26}")
            print(f"{'points needed for a chance of':32} {'50%':>8} {'80%':>7} {'at 4 pts':>8}   "
                  f"{'50%':>8} {'80%':>7} {'at 4 pts':>9}")
        i4 = POINTS.index(4.0)
        n = r["need"]
        print(f"{r['area']:32} {fmt(n['contract', 0.5]):>8} {fmt(n['contract', 0.8]):>7} "
              f"{100 * r['no_loss'][i4]:>7.1f}%   {fmt(n['cohort', 0.5]):>8} "
              f"{fmt(n['cohort', 0.8]):>7} {100 * r['cohort_covers'][i4]:>8.1f}%")
    spend = bet(RULES[next(iter(RULES))], 1).intervention.costs.per_participant
    print(f"\nArithmetic check, corridor: without noise it breaks even at the zone plus the spend "
          f"per entrant over the price of a point per entrant: {ZONE:g} + {spend:g} / "
          f"({PRICE:g} / 100) = {ZONE + spend / (PRICE / 100):.2f} points.")
    se = lambda p: 100 * np.sqrt(p * (1 - p) / sims)  # noqa: E731
    print(f"Monte Carlo s.e. of a contract probability: {se(0.5):.1f} points at 50%, "
          f"{se(0.8):.1f} at 80% (a cohort's about sqrt(28) times smaller: 28 independent "
          f"cohorts a simulation, with no trend and known volumes); crossings in points of "
          f"true cut, interpolated on a {POINTS[1] - POINTS[0]:g}-point grid; '-' = not reached by {POINTS[-1]:g} points.")
    print("SMF 2013: about 4 percentage points to be moderately certain of making any money; "
          "worse in small areas.")
    return rows


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
