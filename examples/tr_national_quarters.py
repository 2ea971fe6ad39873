"""TR national, quarter by quarter: how many CRCs the toolkit expects to be paid and deducted.

Runs the bundled `tr-national` portfolio (the 21 CRC areas under one national trend, TR's
rules) and counts, for each quarterly cohort the MoJ published, the CRCs whose binary rate was
significantly below the 2011 baseline (paid) and significantly above it (deducted), against
the published counts (docs/validation.md gives the sources: [PM17][RW-crc18][MoJ21a][MoJ21b]
[MoJ22]). Each count is shown as the mean and a 90% interval over simulations, with the
bundled effect and with no effect (the trend and noise alone), in two modes:

- prior: the portfolio as a bidder would run it, the national trend uncertain (its random walk
  over the 16 quarters from 2011 and the contract's);
- given the national path: the trend's sds set to 0, so every simulation follows the calibrated
  drifts (the path as it happened, known after the event: all CRCs 45.6% against 47.5% in
  Oct-Dec 2015 [GTD17]). This is the comparison that tests the areas' spread: in the prior
  mode the trend's uncertainty moves all 21 areas together.
  Given the path, read the no-effect columns: the path was fitted to the all-CRC change read
  as trend alone, so the bundled effect counts any average effect a second time (an all-CRC
  cut of about 4.2 points against the published 1.9); those columns are an upper reference.

The areas' own deviations ([area], tr_national.toml) are CALIBRATED, given the path, to the
per-CRC spread of the first contract year (-7 to +3 points [GTD18]) and Oct-Dec 2015's best
two areas [GTD17]; that they reproduce that spread is a check of arithmetic, not a validation.
The counts of CRCs paid and deducted were not calibrated to: they are the validation.

"Paid" applies the contract's own test to each area's cohort: z = (baseline - measured) /
sqrt(baseline x (1 - baseline) / n) >= the rate's critical value (1.96 at 5% two-sided), the
one-sample test against a fixed baseline (methodology.md, Significance). "Deducted" is a
negative outcome payment for the cohort (under TR's rules only the binary rate deducts).

Usage: python examples/tr_national_quarters.py [SIMS] [--json] [--set KEY=VALUE ...]

``--set`` adds an override to every area (as an area's ``set`` list), e.g.
``--set area.binary_logit_sd=0.2`` or ``--set trend.binary_logit_drift=-0.004`` (the
portfolio's trend is the first area's).
"""

from __future__ import annotations

import json
import sys
import tomllib

import numpy as np

from pbr_model.analyses.portfolio import run_portfolio
from pbr_model.payments.rules import z_critical
from pbr_model.spec.portfolio import bundled_portfolios, load_portfolio

#: Published counts of the 21 CRCs: (cohort index from Oct-Dec 2015, quarter, paid, deducted,
#: source key). Quarters not listed were not found.
PUBLISHED = [
    (0, "Oct-Dec 2015", 13, 2, "PM17"),
    (2, "Apr-Jun 2016", 11, 1, "RW-crc18"),
    (14, "Apr-Jun 2019", 20, 0, "MoJ21a"),
    (15, "Jul-Sep 2019", 17, 0, "MoJ21a"),
    (16, "Oct-Dec 2019", 18, 0, "MoJ21b"),
    (17, "Jan-Mar 2020", 20, 0, "MoJ22"),
    (-1, "2019/20 annual", 21, 0, "MoJ22"),
]

#: The first quarterly cohort of the 2019/20 annual cohort (Apr-Jun 2019); cohort index -1
#: above is that year pooled.
ANNUAL_2019_20 = 14

#: The national path as it happened: the trend's sds 0, its calibrated drifts kept.
GIVEN_PATH = ["trend.binary_logit_sd=0", "trend.frequency_log_sd=0",
              "trend.before.0.binary_logit_sd=0", "trend.before.0.frequency_log_sd=0"]

NO_EFFECT = ["intervention.effect.binary.mean=0", "intervention.effect.binary.sd=0",
             "intervention.effect.frequency.mean=0", "intervention.effect.frequency.sd=0"]


def with_sets(extra: list[str]):
    """The bundled tr-national portfolio with ``extra`` overrides added to every area's own
    ``set`` list (through the portfolio's ``areas.N.set`` overrides)."""
    areas = tomllib.loads(bundled_portfolios()["tr-national"].read_text())["areas"]
    return load_portfolio("tr-national", [
        f"areas.{i}.set={json.dumps([*area.get('set', []), *extra])}"
        for i, area in enumerate(areas)])


def counts(portfolio, sims: int) -> tuple[np.ndarray, np.ndarray]:
    """Per simulation and cohort, how many areas were paid and deducted on the binary
    rate, each ``(sims, n_cohorts + 1)``: the last column is the 2019/20 annual cohort (Apr
    2019-Mar 2020 pooled; "deducted" there is a significant rise by the same test, as the
    quarterly deductions are cohort payments)."""
    result = run_portfolio(portfolio, sims=sims)
    paid = deducted = 0
    for area in result.areas:
        rate = next(r for r in next(p for p in area.result.spec.payments
                                    if p.type == "outcome").rates if r.measure == "binary")
        c = area.result.cohorts
        shape = (sims, area.result.timeline.n_cohorts)
        base = c["comparison_binary_rate"].to_numpy().reshape(shape)
        measured = c["binary_rate"].to_numpy().reshape(shape)
        n = c["entrants"].to_numpy().reshape(shape)
        z = (base - measured) / np.sqrt(base * (1 - base) / n)
        crit = z_critical(rate.significance_level)
        # the 2019/20 annual cohort: its four quarters pooled, the same test both ways
        q = slice(ANNUAL_2019_20, ANNUAL_2019_20 + 4)
        n_y = n[:, q].sum(axis=1)
        base_y = (base * n)[:, q].sum(axis=1) / n_y
        z_y = (base_y - (measured * n)[:, q].sum(axis=1) / n_y) / np.sqrt(
            base_y * (1 - base_y) / n_y)
        paid = paid + np.column_stack([z >= crit, z_y >= crit])
        deducted = deducted + np.column_stack(
            [c["outcome_payment"].to_numpy().reshape(shape) < 0, z_y <= -crit])
    return np.asarray(paid), np.asarray(deducted)


RUNS = {"bundled": [], "no_effect": NO_EFFECT, "path_bundled": GIVEN_PATH,
        "path_no_effect": [*GIVEN_PATH, *NO_EFFECT]}


def table(sims: int, extra: list[str] | None = None) -> list[dict]:
    """One row per published quarter: published counts, and the toolkit's mean and 90%
    interval with the bundled effect and with none, prior and given the national path
    (``path_`` keys), each with ``extra`` overrides added to every area."""
    got = {k: counts(with_sets([*sets, *(extra or [])]), sims) for k, sets in RUNS.items()}
    rows = []
    for k, quarter, paid, deducted, key in PUBLISHED:
        row = {"quarter": quarter, "cohort": k, "source": key,
               "published_paid": paid, "published_deducted": deducted}
        for run, (p, d) in got.items():
            for name, x in (("paid", p[:, k]), ("deducted", d[:, k])):
                row[f"{run}_{name}"] = {"mean": float(x.mean()),
                                        "p5": float(np.percentile(x, 5)),
                                        "p95": float(np.percentile(x, 95))}
        rows.append(row)
    return rows


def main(argv: list[str]) -> None:
    sims = int(next((a for a in argv if a.isdigit()), 1000))
    extra = [argv[i + 1] for i, a in enumerate(argv) if a == "--set" and i + 1 < len(argv)]
    rows = table(sims, extra)
    if "--json" in argv:
        print(json.dumps(rows, indent=2))
        return
    fmt = lambda s: f"{s['mean']:.1f} ({s['p5']:.0f}-{s['p95']:.0f})"  # noqa: E731
    print(f"tr-national, {sims:,} simulations{' with ' + ', '.join(extra) if extra else ''}: "
          "CRCs paid / deducted per quarter, mean (90% interval).")
    print("[area] is CALIBRATED (given the path) to the first year's per-CRC spread [GTD18]"
          "[GTD17]: reproducing that spread is a check of arithmetic. These counts were not "
          "calibrated to: they validate it.")
    for title, pre in (("Prior (the national trend uncertain, as a bidder runs it)", ""),
                       ("Given the national path (trend sds 0, the calibrated drifts)",
                        "path_")):
        print(f"\n{title}\n")
        print("| quarter | published paid | bundled effect | no effect | published deducted "
              "| bundled effect | no effect |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['quarter']} [{r['source']}] | {r['published_paid']} | "
                  f"{fmt(r[pre + 'bundled_paid'])} | {fmt(r[pre + 'no_effect_paid'])} | "
                  f"{r['published_deducted']} | {fmt(r[pre + 'bundled_deducted'])} | "
                  f"{fmt(r[pre + 'no_effect_deducted'])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
