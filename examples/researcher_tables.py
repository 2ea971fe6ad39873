"""Researcher tables: load a run's CSV tables with pandas and reproduce its Summary.

A notebook-style script (cells marked ``# %%``, which VS Code, Spyder, PyCharm and
Jupytext open as a notebook). It runs the bundled default contract with
``pbr simulate --json --csv DIR``, loads the tables and ``metadata.json``, recomputes
the headline figures from the per-simulation table and checks they equal the
``--json`` figures, then does a few analyses the Summary does not: outcome payments
by cohort, and the cumulative-cash fan from the long cash-flow table. See
docs/data.md for every table and column.

Run:  python examples/researcher_tables.py [SIMS] [FOLDER]

SIMS (a whole number, default 2000) is the number of simulations; FOLDER (default: a
temporary folder, removed at the end) is where the tables are written and kept.
"""

# %%
from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 1
STATS = ("mean", "p5", "p50", "p95")


def arguments(argv: list[str]) -> tuple[int, Path | None]:
    """``[SIMS] [FOLDER]``: a whole number is the number of simulations, anything else
    the output folder (write ``./300`` for a folder named 300)."""
    sims, folder = 2000, None
    for arg in argv:
        if arg.isdigit():
            sims = int(arg)
        else:
            folder = Path(arg)
    return sims, folder


# %% [markdown]
# ## 1. Run the contract
#
# The same command a researcher would type, `pbr simulate --sims 2000 --seed 1 --json
# --csv DIR` (as `python -m pbr_model`, so it runs with this Python). `--json` prints the
# Summary figures we will reproduce; `--csv DIR` writes the tables behind them.


# %%
def run_contract(folder: Path, sims: int) -> dict:
    """Run the default contract into ``folder``; return its ``--json`` summary."""
    command = [sys.executable, "-m", "pbr_model", "simulate", "--sims", str(sims),
               "--seed", str(SEED), "--json", "--csv", str(folder), "--force"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"{' '.join(command[2:])} failed:\n{done.stderr}")
    return json.loads(done.stdout)


# %% [markdown]
# ## 2. Load the tables
#
# Named indexes (`sim`, `cohort`, `month`) are ordinary columns in the files; make them
# the index again. Numbers are written at full precision, so they read back exactly.


# %%
def load(folder: Path) -> dict:
    """The four tables and ``metadata.json`` of a ``--csv`` run."""
    def read(name: str, index, **kwargs) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", index_col=index, **kwargs)

    return {
        "meta": json.loads((folder / "metadata.json").read_text()),
        "sims": read("simulations", "sim"),
        "cohorts": read("cohorts", ["sim", "cohort"]),
        "months": read("months", "month", parse_dates=["date"]),
        "cash": read("cashflows", ["sim", "month"]),
    }


def check_metadata(data: dict, summary: dict) -> None:
    """``metadata.json`` names the run the summary came from, and every table whole."""
    meta = data["meta"]
    assert meta["format"] == "csv"
    assert meta["seed"] == summary["seed"] == SEED
    assert meta["spec_sha256"] == summary["spec_sha256"]
    assert meta["version"] == summary["version"]
    rows = {name: t["rows"] for name, t in meta["tables"].items()}
    assert rows["simulations"] == len(data["sims"]) == summary["sims"]
    assert rows["cohorts"] == len(data["cohorts"])
    assert rows["cashflows"] == len(data["cash"]) == len(data["sims"]) * len(data["months"])
    print(f"run: spec {meta['spec_sha256'][:12]}..., seed {meta['seed']}, "
          f"pbr-model {meta['version']}, {rows['simulations']} simulations")
    units = meta["tables"]["simulations"]["columns"]
    print("units: " + ", ".join(f"{c} [{units[c]}]" for c in ("fee", "binary_rate", "peak_month")))


# %% [markdown]
# ## 3. Reproduce the Summary from `simulations.csv`
#
# Each figure is the mean and the 5th, 50th and 95th percentiles across simulations
# (NumPy's default, linear interpolation), leaving out undefined (NaN) values;
# probabilities are means of booleans.


# %%
def stats(values: pd.Series) -> dict[str, float]:
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return dict.fromkeys(STATS, math.nan)
    p5, p50, p95 = np.percentile(v, [5, 50, 95])
    return {"mean": v.mean(), "p5": p5, "p50": p50, "p95": p95}


def summary_from_table(s: pd.DataFrame) -> dict:
    """The Summary's figures, recomputed from the per-simulation table."""
    total = s["fee"] + s["outcome"]
    return {
        "entrants": stats(s["entrants"]),
        "outcomes": {
            **{c: stats(s[c]) for c in ("binary_rate", "comparison_binary_rate",
                                        "binary_reduction_points", "frequency",
                                        "reoffences_avoided")},
            "measured_change": {c: stats(s[c]) for c in s.columns if "_change_" in c},
        },
        "payments": {
            "total": stats(total),
            "fee": stats(s["fee"]),
            "outcome": stats(s["outcome"]),
            "outcome_share": stats((s["outcome"] / total).where(total > 0)),
            "prob_triggered": s["triggered"].mean(),
            "prob_any_outcome_payment": (s["outcome"] > 0).mean(),
            "prob_repayment": (s["outcome"] < 0).mean(),
            "renegotiation": stats(s["renegotiation"]),
            "prob_renegotiated": s["renegotiated"].mean(),
        },
        "provider": {
            **{c: stats(s[c]) for c in ("revenue", "cost", "net", "npv", "peak_funding",
                                        "peak_funding_before_financing", "financing_cost")},
            **{c: stats(s[c].where(s[c] >= 0))
               for c in ("peak_month", "peak_month_before_financing")},
            "first_shortfall_month": stats(s["first_shortfall_month"].where(
                s["first_shortfall_month"] >= 0)),
            "prob_loss": (s["net"] < 0).mean(),
            "prob_insolvent": s["insolvent"].mean(),
        },
    }


def compare(mine, theirs, path: str = "") -> int:
    """Assert every recomputed figure equals the ``--json`` one; return how many."""
    if isinstance(mine, dict):
        assert set(mine) == set(theirs), (path, sorted(mine), sorted(theirs))
        return sum(compare(mine[k], theirs[k], f"{path}.{k}".lstrip(".")) for k in mine)
    if theirs is None:  # JSON null: undefined
        assert math.isnan(mine), (path, mine)
    else:
        assert math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=1e-12), (path, mine, theirs)
    return 1


def reproduce_summary(data: dict, summary: dict) -> None:
    mine = summary_from_table(data["sims"])
    # which payment probabilities the Summary shows follows what the contract's mechanisms
    # can do (docs/data.md): any outcome payment where results pay, repayment where they
    # can take money back
    for key in ("prob_any_outcome_payment", "prob_repayment"):
        if key not in summary["payments"]:
            del mine["payments"][key]
    # the *_date figures are the calendar months of the month medians: not recomputed here
    theirs = {k: summary[k] for k in mine}
    # with_bond says what the figures include (a [sib]'s cash), not a figure of the tables
    theirs["provider"] = {k: v for k, v in theirs["provider"].items()
                          if "_date" not in k and k != "with_bond"}
    n = compare(mine, theirs)
    print(f"\n{n} Summary figures recomputed from simulations.csv: all equal the --json ones")
    rows = [("payments.total", mine["payments"]["total"]),
            ("provider.net", mine["provider"]["net"]),
            ("provider.peak_funding", mine["provider"]["peak_funding"])]
    print(f"{'figure':<24}" + "".join(f"{k:>14}" for k in STATS))
    for label, figure in rows:
        print(f"{label:<24}" + "".join(f"{figure[k] / 1e6:>13.2f}m" for k in STATS))
    for label, value in [("provider.prob_loss", mine["provider"]["prob_loss"]),
                         ("provider.prob_insolvent", mine["provider"]["prob_insolvent"]),
                         *((f"payments.{k}", mine["payments"][k])
                           for k in ("prob_any_outcome_payment", "prob_repayment")
                           if k in mine["payments"])]:
        print(f"{label:<36}{value:>8.1%}")


# %% [markdown]
# ## 4. Outcome payments by cohort (`cohorts.csv`)
#
# The Summary gives totals; the cohort table shows how payment builds up. Each cohort's
# outcome payments plus any pooled payment add up to the simulation's `outcome`.


# %%
def by_cohort(data: dict) -> None:
    cohorts, sims = data["cohorts"], data["sims"]
    per_sim = cohorts.groupby("sim")["outcome_payment"].sum() + sims["pooled_payment"]
    assert np.allclose(per_sim, sims["outcome"], rtol=1e-9, atol=1e-6)

    table = cohorts.groupby("cohort").agg(
        p50=("outcome_payment", "median"),
        p95=("outcome_payment", lambda v: np.percentile(v, 95)),
        prob_triggered=("triggered", "mean"),
        payment_month=("payment_month", "first"),
    )
    print("\nOutcome payment by cohort (first and last three cohorts):")
    shown = pd.concat([table.head(3), table.tail(3)])
    print(shown.to_string(formatters={"p50": "{:,.0f}".format, "p95": "{:,.0f}".format,
                                      "prob_triggered": "{:.1%}".format}))


# %% [markdown]
# ## 5. The cumulative-cash fan from the long cash-flow table (`cashflows.csv`)
#
# Per simulation, the running sum of `cash_in - cash_out` is the cash position; its
# percentiles month by month are the workbook's fan and the `cumulative_*` columns of
# `months.csv`. The same table also gives each simulation's revenue and its funding need
# before financing (the interest on it is carried in `min_cash` and `peak_funding`).


# %%
def cash_fan(data: dict) -> None:
    cash, months, sims = data["cash"], data["months"], data["sims"]
    net = (cash["cash_in"] - cash["cash_out"]).unstack("month")  # sims x months
    cumulative = net.cumsum(axis=1).to_numpy()
    scale = np.abs(cumulative).max()
    for label, q in (("p5", 5), ("p50", 50), ("p95", 95)):
        fan = np.percentile(cumulative, q, axis=0)
        assert np.allclose(fan, months[f"cumulative_{label}"], rtol=1e-9, atol=1e-12 * scale)
    assert np.allclose(cumulative.mean(axis=0), months["cumulative_mean"], rtol=1e-9,
                       atol=1e-12 * scale)
    assert np.allclose(cash.groupby("sim")["cash_in"].sum(), sims["revenue"], rtol=1e-9)
    # before financing: the lowest cumulative cash is the need before financing (min_cash
    # and peak_funding are read after financing, which only deepens the deficit)
    assert np.allclose(np.maximum(-cumulative.min(axis=1), 0),
                       sims["peak_funding_before_financing"], rtol=1e-9, atol=1e-12 * scale)
    assert (sims["min_cash"] <= cumulative.min(axis=1) + 1e-9 * scale).all()

    p50 = months["cumulative_p50"]
    low = months.loc[p50.idxmin()]
    print(f"\nCumulative cash fan from cashflows.csv equals months.csv. The median position is "
          f"lowest in {low['date']:%b %Y} ({low['cumulative_p50'] / 1e6:,.1f}m; "
          f"P5 {low['cumulative_p5'] / 1e6:,.1f}m)")
    positive = months.index[p50 >= 0]
    if len(positive):
        first = months.loc[positive[0], "date"]
        print(f"and first back at or above zero in {first:%b %Y}.")
    else:
        print("and never gets back to zero.")


# %% [markdown]
# ## Run it all


# %%
def main(argv: list[str]) -> None:
    sims, folder = arguments(argv)
    with tempfile.TemporaryDirectory() as tmp:
        out = folder or Path(tmp) / "run"
        summary = run_contract(out, sims)
        data = load(out)
        check_metadata(data, summary)
        reproduce_summary(data, summary)
        by_cohort(data)
        cash_fan(data)
        if folder:
            print(f"\nTables kept in {folder}")


if __name__ == "__main__":
    main(sys.argv[1:])
