"""A per-person reference simulation of a contract, checked against the count-based engine.

The engine (:mod:`pbr_model.outcomes`) never loops over people: it draws each
(simulation, cohort, band) cell's aggregate counts from their exact distributions. This
script simulates the same model the slow, obvious way, one person at a time:

per simulation
    volume factor ``V ~ LogNormal`` (mean 1), period noise ``eps_c ~ LogNormal`` (mean 1),
    true effects (clipped normals), trend random walks in log odds and log frequency;
per cohort
    entrants ``N_c ~ Poisson(E_c V eps_c)``;
per person
    a risk band drawn with the band shares; reoffends with probability ``p`` (the band's
    baseline rate moved by the trend, then reduced by the effect); a reoffender has
    ``1 + NegBin(k, mean m - 1)`` reoffences (numpy's ``negative_binomial`` per person, not
    the engine's gamma-Poisson sum); takes up the personal budget with its probability.

The people of one cohort are drawn in one vectorised call per quantity, but every draw is
one person's. The per-person counts are then put in a :class:`pbr_model.outcomes.Outcomes`
and measured and paid by the package's own :func:`pbr_model.measure.evaluate`
and :func:`pbr_model.payments.pay_all`, so only the counting differs from the engine.

It then runs the engine (:func:`pbr_model.analyses.simulate.simulate`) with a different seed and
compares, per simulation, the total outcome payment, reoffenders, reoffences and entrants:
means with a two-sample z statistic (difference / standard error; "agree" if |z| < 3), and
standard deviations (bootstrap standard error of the difference, for information). Two
scenarios by default:

* ``default``: the bundled contract as it is (effect, trend and volume uncertainty
  dominate the spread; the headline comparison);
* ``counting``: the same contract with every per-simulation uncertainty switched off
  (effect, trend and volume sds = 0), so the spread is only the counting of people,
  reoffenders and reoffences: a much sharper test of the engine's count distributions.

Speed: the per-person time per simulation (the per-simulation counting, timed per
simulation, plus its share of measuring and paying) against the engine's time per
simulation from ``simulate()`` in-process (which also builds its result tables, so the
ratio is conservative), at the comparison size and at 10,000 simulations.

Usage::

    python benchmarks/per_person.py                 # 1000 sims each, both scenarios
    python benchmarks/per_person.py --sims 1000 --scenario default
    python benchmarks/per_person.py --spec contracts/tr_crc_example.toml
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np
from _provenance import describe

from pbr_model.measure import evaluate
from pbr_model.outcomes import Counts, Outcomes
from pbr_model.payments import PaymentInputs, pay_all
from pbr_model.analyses.simulate import DEFAULT_SEED, simulate
from pbr_model.spec import DEFAULT_CONTRACT, load_spec
from pbr_model.spec.schema import ContractSpec
from pbr_model.timeline import Timeline

PER_PERSON_SEED = 1
SCENARIOS = {
    "default": [],
    "counting": [
        "cohorts.volume_factor_sd=0", "cohorts.period_noise_sd=0",
        "intervention.effect.binary.sd=0", "intervention.effect.frequency.sd=0",
        "trend.binary_logit_sd=0", "trend.frequency_log_sd=0",
    ],
}
Z_AGREE = 3.0


# -- the per-person model ------------------------------------------------------------------

def _lognormal_mean_one(rng: np.random.Generator, sigma: float, size) -> np.ndarray:
    return np.exp(sigma * rng.standard_normal(size) - sigma**2 / 2)


def _effect(rng: np.random.Generator, dist) -> float:
    return float(np.clip(dist.mean + dist.sd * rng.standard_normal(), dist.min, dist.max))


def _expit(x):
    return 1 / (1 + np.exp(-x))


def per_person_outcomes(spec: ContractSpec, rng: np.random.Generator,
                        n_sims: int) -> tuple[Outcomes, list[float]]:
    """Simulate ``n_sims`` simulations person by person.

    Returns the counts as an :class:`Outcomes` (arrays ``(n_sims, n_cohorts, n_bands)``)
    and the seconds each simulation took.
    """
    C = spec.contract.cohorts
    bands = spec.population.bands
    B = len(bands)
    shares = np.array([b.share for b in bands], dtype=np.float64)
    shares /= shares.sum()
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    k = np.array([b.dispersion for b in bands])
    expected = np.broadcast_to(np.asarray(spec.cohorts.entrants_per_period, dtype=np.float64),
                               (C,))
    eff, tr = spec.intervention.effect, spec.trend
    take_up = spec.intervention.personal_budget.take_up

    shape = (n_sims, C, B)
    entrants, reoffenders, reoffences = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    cf_k, cf_r = np.zeros(shape), np.zeros(shape)
    e_bin, e_freq = np.zeros(n_sims), np.zeros(n_sims)
    t_logit, t_freq = np.zeros((n_sims, C)), np.zeros((n_sims, C))
    takers = np.zeros((n_sims, C))
    seconds = []

    for s in range(n_sims):
        t0 = time.perf_counter()
        # per-simulation parameters
        volume = _lognormal_mean_one(rng, spec.cohorts.volume_factor_sd, 1)
        noise = _lognormal_mean_one(rng, spec.cohorts.period_noise_sd, C)
        e_bin[s] = _effect(rng, eff.binary)
        e_freq[s] = _effect(rng, eff.frequency)
        t_logit[s] = np.cumsum(tr.binary_logit_drift + tr.binary_logit_sd * rng.standard_normal(C))
        t_freq[s] = np.cumsum(tr.frequency_log_drift
                              + tr.frequency_log_sd * rng.standard_normal(C))
        # band rates this simulation, (C, B)
        p_cf = _expit(np.log(p0 / (1 - p0))[None, :] + t_logit[s][:, None])
        m_cf = np.maximum(m0[None, :] * np.exp(t_freq[s])[:, None], 1.0)
        p_tr = np.clip(p_cf * (1 - e_bin[s]), 0.0, 1.0)
        m_tr = np.maximum(m_cf * (1 - e_freq[s]), 1.0)
        nb_p = k[None, :] / (k[None, :] + (m_tr - 1))   # numpy's NB(n=k, p): mean k(1-p)/p = m-1

        for c in range(C):
            n = rng.poisson(expected[c] * volume[0] * noise[c])
            band = rng.choice(B, size=n, p=shares)                     # each person's band
            reoffends = rng.random(n) < p_tr[c, band]                  # each person: Bernoulli
            rb = band[reoffends]
            count = 1 + rng.negative_binomial(k[rb], nb_p[c, rb])     # each reoffender's count
            takers[s, c] = np.count_nonzero(rng.random(n) < take_up)  # each person: take-up
            entrants[s, c] = np.bincount(band, minlength=B)
            reoffenders[s, c] = np.bincount(rb, minlength=B)
            reoffences[s, c] = np.bincount(rb, weights=count, minlength=B)
        cf_k[s] = entrants[s] * p_cf
        cf_r[s] = entrants[s] * p_cf * m_cf
        seconds.append(time.perf_counter() - t0)

    outcomes = Outcomes(
        treated=Counts(entrants, reoffenders, reoffences), comparison=None, treated_pre=None,
        comparison_pre=None, counterfactual_reoffenders=cf_k, counterfactual_reoffences=cf_r,
        effect_binary=e_bin, effect_frequency=e_freq, effect_other={},
        trend_logit=t_logit, trend_log_frequency=t_freq, budget_takers=takers,
    )
    return outcomes, seconds


def per_person_totals(spec: ContractSpec, outcomes: Outcomes) -> dict[str, np.ndarray]:
    """Measure and pay with the package's own functions; per-simulation totals."""
    evaluation = evaluate(spec, outcomes)
    entrants = evaluation.n
    flows = pay_all(spec, PaymentInputs(Timeline.from_spec(spec), entrants, evaluation))
    outcome = sum((f.by_cohort for f in flows if f.kind == "outcome"), np.zeros(entrants.shape))
    return {
        "outcome payment": outcome.sum(axis=1),
        "reoffenders": outcomes.reoffenders.sum(axis=(1, 2)),
        "reoffences": outcomes.reoffences.sum(axis=(1, 2)),
        "entrants": entrants.sum(axis=1),
    }


def engine_totals(result) -> dict[str, np.ndarray]:
    s = result.simulations
    return {
        "outcome payment": result.cohorts.groupby(level="sim")["outcome_payment"].sum().to_numpy(),
        "reoffenders": s["reoffenders"].to_numpy(),
        "reoffences": s["reoffences"].to_numpy(),
        "entrants": s["entrants"].to_numpy(),
    }


# -- statistics ----------------------------------------------------------------------------

def z_mean(a: np.ndarray, b: np.ndarray) -> float:
    se = np.sqrt(a.var(ddof=1) / a.size + b.var(ddof=1) / b.size)
    d = a.mean() - b.mean()
    return 0.0 if se == 0 and d == 0 else float(d / se)


def z_sd(a: np.ndarray, b: np.ndarray, rng: np.random.Generator, reps: int = 2000) -> float:
    """Difference of sds over its bootstrap standard error (resampling each sample)."""
    ia = rng.integers(0, a.size, (reps, a.size))
    ib = rng.integers(0, b.size, (reps, b.size))
    se = (a[ia].std(axis=1, ddof=1) - b[ib].std(axis=1, ddof=1)).std(ddof=1)
    d = a.std(ddof=1) - b.std(ddof=1)
    return 0.0 if se == 0 and d == 0 else float(d / se)


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


# -- the run ---------------------------------------------------------------------------------

def time_engine(spec, sims: int, repeats: int) -> list[float]:
    """Seconds per simulation of in-process ``simulate()``, one value per repeat."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        simulate(spec, sims=sims, seed=DEFAULT_SEED)
        out.append((time.perf_counter() - t0) / sims)
    return out


def run_scenario(name: str, spec_name: str, sims: int, engine_sims: int, repeats: int,
                 rng_boot: np.random.Generator) -> tuple[list[str], dict]:
    loaded = load_spec(spec_name, SCENARIOS[name])
    spec = loaded.spec

    t0 = time.perf_counter()
    outcomes, per_sim = per_person_outcomes(spec, np.random.default_rng(PER_PERSON_SEED), sims)
    t1 = time.perf_counter()
    pp = per_person_totals(spec, outcomes)
    measure_pay = (time.perf_counter() - t1) / sims
    pp_total = time.perf_counter() - t0
    pp_per_sim = [x + measure_pay for x in per_sim]

    eng = engine_totals(simulate(loaded, sims=engine_sims, seed=DEFAULT_SEED))

    rows = []
    all_agree = True
    for key in pp:
        a, b = pp[key], eng[key]
        zm = z_mean(a, b)
        zs = z_sd(a, b, rng_boot)
        agree = abs(zm) < Z_AGREE
        all_agree &= agree
        rows.append(f"| {name} | {key} | {_fmt(a.mean())} | {_fmt(b.mean())} | {zm:+.2f} | "
                    f"{_fmt(a.std(ddof=1))} | {_fmt(b.std(ddof=1))} | {zs:+.2f} | "
                    f"{'agree' if agree else 'DISAGREE'} |")
    timing = {"pp_per_sim": pp_per_sim, "pp_total": pp_total, "loaded": loaded,
              "agree": all_agree}
    return rows, timing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--spec", default=DEFAULT_CONTRACT, help="contract (default: bundled default)")
    ap.add_argument("--sims", type=int, default=1000, help="per-person simulations (default 1000)")
    ap.add_argument("--engine-sims", type=int, default=None,
                    help="engine simulations for the comparison (default: same as --sims)")
    ap.add_argument("--scenario", choices=[*SCENARIOS, "both"], default="both")
    ap.add_argument("--repeats", type=int, default=5, help="engine timing repeats (default 5)")
    args = ap.parse_args(argv)
    engine_sims = args.engine_sims or args.sims
    names = list(SCENARIOS) if args.scenario == "both" else [args.scenario]

    print(f"spec {args.spec}; per-person {args.sims} sims (seed {PER_PERSON_SEED}); engine "
          f"{engine_sims} sims (seed {DEFAULT_SEED}); {os.cpu_count()} CPUs; load average "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}", file=sys.stderr)

    rng_boot = np.random.default_rng(12345)
    table, timings = [], {}
    for name in names:
        rows, timing = run_scenario(name, args.spec, args.sims, engine_sims, args.repeats,
                                    rng_boot)
        table += rows
        timings[name] = timing
        print(f"  {name}: per-person {timing['pp_total']:.1f} s for {args.sims} sims",
              file=sys.stderr)

    print(f"Measured: {describe()}; {os.cpu_count()} CPUs.\n")
    print("### Agreement (per-simulation totals over the contract)\n")
    print(f"per-person: {args.sims} sims, seed {PER_PERSON_SEED}; engine: {engine_sims} sims, "
          f"seed {DEFAULT_SEED}. z = difference / standard error; agree if |z| < {Z_AGREE:g} "
          "(means). sd z uses a bootstrap standard error (information only).\n")
    print("| scenario | quantity | per-person mean | engine mean | z (mean) | per-person sd | "
          "engine sd | z (sd) | |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    print("\n".join(table))

    # speed: the default scenario's per-person time against the engine on the same spec
    name = names[0]
    loaded = timings[name]["loaded"]
    pp = timings[name]["pp_per_sim"]
    pp_med, pp_min = statistics.median(pp), min(pp)
    print(f"\n### Speed (scenario `{name}`; seconds per simulation)\n")
    print("| engine run size | engine median | engine min | per-person median | "
          "per-person min | ratio (medians) | ratio (mins) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in dict.fromkeys([engine_sims, 10_000]):
        eng = time_engine(loaded, n, args.repeats)
        e_med, e_min = statistics.median(eng), min(eng)
        print(f"| {n:,} | {e_med * 1e3:.3f} ms | {e_min * 1e3:.3f} ms | {pp_med * 1e3:.1f} ms | "
              f"{pp_min * 1e3:.1f} ms | {pp_med / e_med:,.0f}x | {pp_min / e_min:,.0f}x |")
    print(f"\nper-person: median and min over its {len(pp)} simulations (each timed); engine: "
          f"median and min over {args.repeats} runs of `simulate()` in-process (includes "
          "building the result tables).")
    ok = all(t["agree"] for t in timings.values())
    print(f"\nAll means agree (|z| < {Z_AGREE:g}): {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
