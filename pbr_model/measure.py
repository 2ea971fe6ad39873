"""What the evaluator sees: each cohort's measured result against its comparison.

What the treated cohorts are compared with is the evaluation design's
(``spec.evaluation.design``; one module each in :mod:`pbr_model.designs`): a historical
baseline's expected counts, with no sampling noise, or a drawn or observed comparison or
control group, with its own. Any design with a group may blend in a
difference-in-differences estimate (Roca: 80% RCT, 20% DiD): the counterfactual becomes
``C + w (T_pre - C_pre)``, i.e. ``(1 - w) x comparison + w x DiD``.

Every measure is computed the same way for both groups from their counts, and
pooling over cohorts sums the counts first. Arrays are ``(n_sims, n_cohorts)``
(``(n_sims, 1)`` pooled). A cohort with no one to measure has NaN measures and
is paid nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .designs import DESIGNS, Groups
from .outcomes import Counts, Outcomes, ratio, tree_map
from .spec.schema import MEASURES, ContractSpec
from .stats import band_sum

#: Built-in measure -> the (numerator, denominator) counts it is a ratio of. An
#: ``[[outcomes.other]]`` outcome is its successes over ``n``.
RATIOS: dict[str, tuple[str, str]] = {
    "binary": ("reoffenders", "n"), "frequency_per_offender": ("reoffences", "n"),
    "frequency_per_reoffender": ("reoffences", "reoffenders"),
    "reconviction_events": ("events", "n"), "bed_days": ("bed_days", "n"),
}


def counts_read(measure: str) -> tuple[str, str]:
    """The names of the counts a measure is a ratio of (numerator, denominator)."""
    return RATIOS.get(measure, (measure, "n"))


def _count(counts: Counts, name: str) -> np.ndarray:
    return getattr(counts, name) if name in Counts.__dataclass_fields__ else counts.other[name]


def fraction(counts: Counts, measure: str) -> tuple[np.ndarray, np.ndarray]:
    """A group's numerator and denominator of one measure [counts], [people]."""
    num, den = counts_read(measure)
    return _count(counts, num), _count(counts, den)


def value(counts: Counts, measure: str) -> np.ndarray:
    """A group's value of one measure (rates as fractions; counts per offender or per
    reoffender)."""
    return ratio(*fraction(counts, measure))


@dataclass(frozen=True)
class Estimate:
    """One measure as the evaluator estimates it, per (sim, cohort).

    Attributes
    ----------
    treated : the treated group's value
    comparison : the counterfactual value it is compared with
    base : what a unit change is multiplied by to count units avoided: cohort size, or
        for ``frequency_per_reoffender`` the treated reoffenders (TR) [people]
    sign : +1 where lower is better, -1 where higher is better
    se : standard error of ``comparison - treated`` under no difference (rate measures
        only, else NaN) [fraction]
    fractions : ``(treated numerator, treated denominator, comparison numerator, comparison
        denominator)`` when both values are plain ratios of counts (no DiD blend), else None
    """

    treated: np.ndarray
    comparison: np.ndarray
    base: np.ndarray
    sign: float
    se: np.ndarray
    fractions: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def improvement(self) -> np.ndarray:
        """``comparison - treated`` in the good direction [measure units]."""
        return self.change("absolute")

    def change(self, kind: str) -> np.ndarray:
        """Improvement in 'points' (x100), 'percent' (relative, x100) or 'absolute'."""
        if self.fractions is not None:
            # From counts, not as the difference of two rounded rates: 35/100 against
            # 30/100 is 5 points exactly, so a result exactly at a threshold meets it.
            # Each form only ever rounds in step with its counts, so a better count never
            # measures worse.
            tn, td, cn, cd = self.fractions
            if kind == "percent":   # 100 - 100 t / c: exactly 100 when no one reoffends
                return self.sign * (100 - ratio(100 * (tn * cd), cn * td))
            scale = 100 if kind == "points" else 1
            return ratio(scale * self.sign * (cn * td - tn * cd), cd * td)
        improvement = self.sign * (self.comparison - self.treated)
        if kind == "points":
            return 100 * improvement
        if kind == "percent":
            return 100 * ratio(improvement, self.comparison)
        return improvement

    def published_change(self, kind: str) -> np.ndarray:
        """Treated minus comparison, as evaluations publish it (Peterborough's "-8.4%"):
        negative = fewer, whichever direction is better."""
        return -self.sign * self.change(kind) + 0.0  # + 0.0: no "-0.0" for no change

    def units(self) -> np.ndarray:
        """Units avoided (or gained): improvement x base [people, reoffences, days]."""
        return self.improvement * self.base

    def z(self) -> np.ndarray:
        """z statistic of the improvement (positive = better)."""
        return ratio(self.improvement, self.se)


@dataclass(frozen=True)
class Measurement:
    """What the evaluator measures: group totals per (sim, cohort) and how to compare them.

    Attributes
    ----------
    treated, comparison : counts summed over risk bands, ``(n_sims, n_cohorts)``; for a
        historical baseline ``comparison`` holds the baseline's expected counts
    treated_pre, comparison_pre : pre-period counts for a DiD blend, or None
    did_weight : weight of the DiD estimate [fraction]
    comparison_known : the comparison is a fixed baseline (no sampling variance)
    higher_is_better : for each other outcome
    design_effect : variance inflation of the comparison group (and its pre-period): its
        effective size in the standard error is its people over this [factor]
    pre_post_correlation : person-level correlation of reoffending between a group's
        pre-period and post-period (a DiD blend; the binary measure only) [fraction]
    """

    treated: Counts
    comparison: Counts
    treated_pre: Counts | None = None
    comparison_pre: Counts | None = None
    did_weight: float = 0.0
    comparison_known: bool = True
    higher_is_better: dict[str, bool] = field(default_factory=dict)
    design_effect: float = 1.0
    pre_post_correlation: float = 0.0

    @property
    def n(self) -> np.ndarray:
        return self.treated.n

    def pooled(self) -> "Measurement":
        """All cohorts as one: counts summed over cohorts, ``(n_sims, 1)``."""
        pool = lambda c: tree_map(lambda a: a.sum(axis=1, keepdims=True), c)  # noqa: E731
        return Measurement(pool(self.treated), pool(self.comparison), pool(self.treated_pre),
                           pool(self.comparison_pre), self.did_weight, self.comparison_known,
                           self.higher_is_better, self.design_effect,
                           self.pre_post_correlation)

    def estimate(self, measure: str) -> Estimate:
        t = value(self.treated, measure)
        c = value(self.comparison, measure)
        w = self.did_weight
        groups = [(self.treated, 1.0), (self.comparison, 0.0 if self.comparison_known else 1.0)]
        if w > 0:
            c = c + w * (value(self.treated_pre, measure) - value(self.comparison_pre, measure))
            groups += [(self.treated_pre, w), (self.comparison_pre, w)]
        base = self.treated.reoffenders if measure == "frequency_per_reoffender" else self.n
        sign = -1.0 if self.higher_is_better.get(measure, False) else 1.0
        fractions = None if w > 0 else (*fraction(self.treated, measure),
                                        *fraction(self.comparison, measure))
        return Estimate(t, c, base, sign, self._se(measure, groups), fractions)

    def _se(self, measure: str, groups: list[tuple[Counts, float]]) -> np.ndarray:
        """Standard error of a difference in rates under no difference: each pair of
        groups compared shares its pooled rate; a fixed baseline has no variance and its
        rate is the null for the treated. A comparison group's variance is inflated by the
        design effect (its effective size is ``n / design_effect``)."""
        if not MEASURES.get(measure, True):
            return np.full(self.n.shape, np.nan)
        var = np.zeros(self.n.shape)
        for (a, wa), (b, wb) in zip(groups[::2], groups[1::2]):
            if wb == 0:   # treated vs a known baseline: the baseline rate is the null
                p = value(b, measure)
            else:
                p = ratio(fraction(a, measure)[0] + fraction(b, measure)[0], a.n + b.n)
            inv_b = ratio(1, b.n) if self.design_effect == 1 else self.design_effect * ratio(1, b.n)
            var = var + p * (1 - p) * (wa**2 * ratio(1, a.n) + wb**2 * inv_b)
        rho = self.pre_post_correlation
        if rho != 0 and len(groups) == 4 and measure == "binary":
            # each group's pre- and post-period rates are of the same people, so they covary:
            # the estimate (t - c) - w (t_pre - c_pre) loses 2 w cov(t, t_pre) + 2 w cov(c,
            # c_pre), each rho s_post s_pre / n at the pairs' pooled rates under no difference
            (a, _), (b, _), (a_pre, w), (b_pre, _) = groups
            p1 = ratio(fraction(a, measure)[0] + fraction(b, measure)[0], a.n + b.n)
            p2 = ratio(fraction(a_pre, measure)[0] + fraction(b_pre, measure)[0],
                       a_pre.n + b_pre.n)
            s12 = np.sqrt(p1 * (1 - p1) * p2 * (1 - p2))
            var = var - 2 * w * rho * s12 * (ratio(1, a.n) + ratio(1, b.n))
        return np.sqrt(np.maximum(var, 0.0))


def compare(spec: ContractSpec, groups: Groups) -> Measurement:
    """What the evaluator measures of ``groups`` (drawn or observed), compared as the spec's
    evaluation design compares them."""
    c = DESIGNS[spec.evaluation.design].evaluation(spec, groups)
    higher = {o.name: o.higher_is_better for o in spec.outcomes.other}
    return Measurement(groups.treated, c.counts, c.treated_pre, c.comparison_pre, c.did_weight,
                       comparison_known=c.known, higher_is_better=higher,
                       design_effect=c.design_effect,
                       pre_post_correlation=(spec.evaluation.pre_post_correlation
                                             if c.did_weight > 0 else 0.0))


def evaluate(spec: ContractSpec, outcomes: Outcomes) -> Measurement:
    """What the evaluator measures for every (sim, cohort), under the spec's design: the
    treated people it can measure (all of them unless some are lost to data matching)."""
    total = lambda c: tree_map(band_sum, c)  # noqa: E731
    seen = outcomes.treated if outcomes.measured is None else outcomes.measured
    return compare(spec, Groups(total(seen), seen.n,
                                total(outcomes.comparison), total(outcomes.treated_pre),
                                total(outcomes.comparison_pre), baseline=outcomes.baseline))
