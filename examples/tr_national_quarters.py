"""TR national, quarter by quarter: how many CRCs the toolkit expects to be paid and deducted.

Runs the bundled `tr-national` portfolio (the 21 CRC areas under one national trend, TR's
rules) and counts, for each quarterly cohort the MoJ published, the CRCs whose binary rate was
significantly below the 2011 baseline (paid) and significantly above it (deducted), against
the published counts (docs/validation.md gives the sources: [PM17][RW-crc18][MoJ21a][MoJ21b]
[MoJ22]). Each count is shown as the mean and a 90% interval over simulations, with the
bundled effect and with no effect (the trend and noise alone).

"Paid" applies the contract's own test to each area's cohort: z = (baseline - measured) /
sqrt(baseline x (1 - baseline) / n) >= the rate's critical value (1.96 at 5% two-sided), the
one-sample test against a fixed baseline (methodology.md, Significance). "Deducted" is a
negative outcome payment for the cohort (under TR's rules only the binary rate deducts).

Usage: python examples/tr_national_quarters.py [SIMS] [--json]
"""

from __future__ import annotations

import json
import sys
import tempfile
import tomllib
from pathlib import Path

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
]

NO_EFFECT = ["intervention.effect.binary.mean=0", "intervention.effect.binary.sd=0",
             "intervention.effect.frequency.mean=0", "intervention.effect.frequency.sd=0"]


def with_sets(extra: list[str], folder: Path) -> Path:
    """The bundled tr-national file with ``extra`` overrides added to every area."""
    data = tomllib.loads(bundled_portfolios()["tr-national"].read_text())
    lines = []
    for key in ("portfolio", "owner", "shared"):
        lines.append(f"[{key}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in data[key].items()]
    for area in data["areas"]:
        lines += ["[[areas]]", f"name = {json.dumps(area['name'])}",
                  f"spec = {json.dumps(area['spec'])}",
                  f"set = {json.dumps([*area['set'], *extra])}"]
    path = folder / "tr_national_variant.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def counts(portfolio, sims: int) -> tuple[np.ndarray, np.ndarray]:
    """Per simulation and cohort, how many areas were paid and deducted on the binary
    rate, each ``(sims, n_cohorts)``."""
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
        paid = paid + (z >= z_critical(rate.significance_level))
        deducted = deducted + (c["outcome_payment"].to_numpy().reshape(shape) < 0)
    return np.asarray(paid), np.asarray(deducted)


def table(sims: int) -> list[dict]:
    """One row per published quarter: published counts, and the toolkit's mean and 90%
    interval with the bundled effect and with none."""
    runs = {"bundled": load_portfolio("tr-national")}
    with tempfile.TemporaryDirectory() as tmp:
        runs["no_effect"] = load_portfolio(with_sets(NO_EFFECT, Path(tmp)))
        got = {k: counts(p, sims) for k, p in runs.items()}
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
    rows = table(sims)
    if "--json" in argv:
        print(json.dumps(rows, indent=2))
        return
    fmt = lambda s: f"{s['mean']:.1f} ({s['p5']:.0f}-{s['p95']:.0f})"  # noqa: E731
    print(f"tr-national, {sims:,} simulations: CRCs paid / deducted per quarter, "
          "mean (90% interval)")
    print("| quarter | published paid | bundled effect | no effect | published deducted "
          "| bundled effect | no effect |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['quarter']} [{r['source']}] | {r['published_paid']} | "
              f"{fmt(r['bundled_paid'])} | {fmt(r['no_effect_paid'])} | "
              f"{r['published_deducted']} | {fmt(r['bundled_deducted'])} | "
              f"{fmt(r['no_effect_deducted'])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
