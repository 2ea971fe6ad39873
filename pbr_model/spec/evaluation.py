"""What the evaluator measures and what against: the outcome measures beyond reoffending
(``[outcomes]``: custody bed days, reconviction events, other binary outcomes) and the
evaluation design (``[evaluation]``: a historical baseline, a matched comparison group or a
randomised control group).
"""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from ._base import _f, _Model
from .intervention import EffectDistribution


#: The largest coefficient of variation (sd / mean) of bed days per custody episode.
MAX_DAYS_CV = 100


class Custody(_Model):
    """Custody bed days derived from proven reoffences (the ABLE and Roca measures): each
    reoffence leads to a custody episode with this probability, and episodes last a
    gamma-distributed number of days."""

    probability: float = _f("Share of proven reoffences that lead to a custody episode.",
                            "fraction", default=0.0, ge=0, le=1)
    days_mean: float = _f("Mean bed days per custody episode.", "days", default=0.0, ge=0,
                          le=3650)
    days_sd: float = _f("Sd of bed days per episode (gamma distributed; 0 = always the mean; "
                        "an sd below 1e-8 of the mean is read as 0). At most 100 x days_mean: "
                        "beyond that almost every episode lasts no time and the mean rests on "
                        "a few astronomically long ones.",
                        "days", default=0.0, ge=0, le=3650)

    @model_validator(mode="after")
    def _spread(self) -> "Custody":
        if self.days_mean > 0 and self.days_sd > MAX_DAYS_CV * self.days_mean:
            raise ValueError(f"days_sd ({self.days_sd:g}) is more than {MAX_DAYS_CV:g} x "
                             f"days_mean ({self.days_mean:g}): give a days_sd of at most "
                             f"{MAX_DAYS_CV * self.days_mean:g} days")
        return self


class Events(_Model):
    """Reconviction events: court appearances ending in a conviction (Peterborough's measure).
    A reoffender's first proven reoffence is always an event; each further one is a separate
    event with this probability (the rest are dealt with at the same appearance)."""

    extra_reoffence_share: float = _f(
        "Share of a reoffender's proven reoffences beyond the first that are separate events.",
        "fraction", default=1.0, ge=0, le=1)


class OtherOutcome(_Model):
    """A generic binary outcome with its own base rate (e.g. employment, NYS CEO)."""

    name: str = _f("Name used as a rate's `measure`: lower case letters, digits and _.", "text",
                   pattern=r"^[a-z][a-z0-9_]{0,39}$")
    base_rate: float = _f("Rate without the service (baseline and comparison group).", "fraction",
                          ge=0, le=1)
    higher_is_better: bool = _f("True for a good outcome (employment), false for a bad one.",
                                "bool", default=True)
    effect: EffectDistribution = _f(
        "True relative improvement of the rate (0.05 = 5% more if higher is better, 5% less if "
        "not).", "distribution", default_factory=EffectDistribution)


class OutcomeMeasures(_Model):
    """How the measures beyond binary and frequency are derived."""

    custody: Custody = _f("Custody bed days from reoffences.", "section", default_factory=Custody)
    events: Events = _f("Reconviction events from reoffences.", "section",
                        default_factory=Events)
    other: list[OtherOutcome] = _f("Generic binary outcomes.", "list", default_factory=list,
                                   max_length=10)

    @field_validator("other")
    @classmethod
    def _unique(cls, other: list[OtherOutcome]) -> list[OtherOutcome]:
        names = [o.name for o in other]
        clash = sorted(set(names) & set(MEASURES)) or sorted(n for n in names if names.count(n) > 1)
        if clash:
            raise ValueError(f"outcome names must be unique and not a built-in measure "
                             f"({', '.join(MEASURES)}); got {clash[0]!r}")
        return other


#: Built-in measures -> whether they are rates (a share of people).
MEASURES: dict[str, bool] = {
    "binary": True, "frequency_per_offender": False, "frequency_per_reoffender": False,
    "reconviction_events": False, "bed_days": False,
}


class EvaluationDesign(_Model):
    """What the evaluator compares the treated cohorts with."""

    design: Literal["historical_baseline", "matched_comparison", "rct"] = _f(
        "'historical_baseline': fixed past rates (TR vs 2011, Doncaster vs 2009), so national "
        "trends move the result; 'matched_comparison': a matched group living through the same "
        "trend (Peterborough, Justice Data Lab); 'rct': a randomised control group (NYS CEO, "
        "Roca).", "text", default="historical_baseline")
    case_mix_adjusted: bool | list[str] = _f(
        "Historical baseline only: weight the baseline rates by each cohort's own risk mix "
        "(true: every measure, TR's OGRS adjustment), by the spec's band shares (false), or "
        "adjust only the measures listed, e.g. [\"binary\"] (TR adjusted only the binary "
        "rate); a measure not listed is compared with its value at the spec's shares. A listed "
        "measure no rule reads changes nothing; when rules read both frequency measures, list "
        "both or neither.",
        "bool or measures", default=True)
    baseline_size: int | None = _f(
        "Historical baseline only: people in the baseline year (TR: one year of a CRC's 2011 "
        "cohorts). Set, the baseline year's counts are drawn once per simulation (its sampling "
        "error, so regression to the mean); omitted, the baseline rates are known exactly.",
        "people", default=None, ge=1, le=10_000_000)
    comparison_ratio: float | None = _f(
        "Comparison people per treated person (matched: default 10, as Peterborough; rct: "
        "controls per treated, default 1).", "people per person", default=None, gt=0, le=100)
    comparison_period: Literal["concurrent", "historical"] = _f(
        "Matched comparison only: 'concurrent' (same trend, so common shocks cancel) or "
        "'historical' (a matched past group, as ABLE: the trend is not removed).", "text",
        default="concurrent")
    matching_bias_sd: float = _f(
        "Matched comparison only: sd across simulations of a residual selection bias in the "
        "comparison group's log odds of reoffending (0 = perfect matching).", "log odds",
        default=0.0, ge=0, le=1)
    did_weight: float = _f(
        "Weight on a difference-in-differences estimate blended with the comparison estimate "
        "(Roca: 0.2 DiD, 0.8 RCT); the DiD adds both groups' pre-period results.", "fraction",
        default=0.0, ge=0, le=1)
    pre_post_correlation: float = _f(
        "DiD blend only (no effect without one): person-level correlation between reoffending "
        "(at least one proven reoffence) in the pre-period and in the post-period, for the "
        "same people (0: independent). Where the rates make it infeasible, each cell takes "
        "the nearest feasible correlation.", "correlation", default=0.0, ge=-1, le=1)
    pre_period_logit_shift: float = _f(
        "DiD blend only (no effect without one): shift of the treated cohorts' pre-period log "
        "odds of reoffending (an Ashenfelter dip: people enter a service after a bad spell); "
        "an RCT's control group shares it (randomised from the same referrals), a matched "
        "comparison group does not.", "log odds", default=0.0, ge=-3, le=3)
    did_comparison: Literal["control", "nonrandomised"] = _f(
        "RCT with a DiD blend only: who the DiD leg's comparison pre-period stands for. "
        "'control': the randomised control group, sharing the treated's pre-period shift; "
        "'nonrandomised': a quasi-experimental comparison (Roca's DiD estimated the effect "
        "of enrolment), so a dip only the enrolled had stays in the DiD estimate.", "text",
        default="control")
    attrition: float = _f(
        "Share of each treated cohort lost to data matching, so not measured (e.g. 142 of 203 "
        "records analysed: 0.30); each person independently. Fees and costs still follow "
        "everyone; the evaluator measures the matched people only, and a comparison or "
        "control group is sized from them.", "fraction", default=0.0, ge=0, lt=1)
    design_effect: float = _f(
        "Matched comparison only: variance inflation of a group matched with replacement (one "
        "comparison person can match several treated people): its counts vary as a group of "
        "its people / design_effect, in the simulation and in the significance test's standard "
        "error. Kish's design effect of the matching weights, n x sum(w^2) / sum(w)^2; 1 = every "
        "match used once.", "factor", default=1.0, ge=1, le=100)

    @field_validator("case_mix_adjusted")
    @classmethod
    def _known_measures(cls, given: bool | list[str]) -> bool | list[str]:
        if isinstance(given, bool):
            return given
        unknown = [m for m in given if m not in MEASURES]
        if unknown:
            raise ValueError(f"case_mix_adjusted lists {unknown[0]!r}, not a measure a baseline "
                             f"is adjusted for; give true, false or a list of: "
                             f"{', '.join(MEASURES)}")
        if len(set(given)) != len(given):
            raise ValueError("case_mix_adjusted lists a measure twice; list each once")
        return given

    @model_validator(mode="after")
    def _fits_design(self) -> "EvaluationDesign":
        baseline = self.design == "historical_baseline"
        if baseline and (self.comparison_ratio is not None or self.did_weight > 0
                         or self.matching_bias_sd > 0 or self.comparison_period != "concurrent"):
            raise ValueError("comparison_ratio, comparison_period, matching_bias_sd and "
                             "did_weight need a comparison group: set design to "
                             "'matched_comparison' or 'rct'")
        if not baseline and self.baseline_size is not None:
            raise ValueError("baseline_size is the historical baseline year's size: set design "
                             "to 'historical_baseline' or remove it")
        if self.design != "matched_comparison" and self.design_effect != 1:
            raise ValueError(f"design_effect ({self.design_effect:g}) is for a matched comparison "
                             "group drawn with replacement: set design to 'matched_comparison' "
                             "or remove design_effect")
        if self.design_effect != 1 and self.pre_post_correlation != 0:
            raise ValueError("design_effect with pre_post_correlation is not modelled yet (the "
                             "correlated pre-period is drawn person by person from the group's "
                             "own counts): set one of them to its default")
        if self.design == "rct" and (self.matching_bias_sd > 0
                                     or self.comparison_period != "concurrent"):
            raise ValueError("an RCT's control group is concurrent and unbiased: "
                             "matching_bias_sd and comparison_period are for 'matched_comparison'")
        if self.did_comparison != "control" and (self.design != "rct" or self.did_weight == 0):
            raise ValueError("did_comparison says who an RCT's DiD leg compares with: set "
                             "design = 'rct' and did_weight > 0, or remove it")
        return self

    def adjusts(self, measure: str) -> bool:
        """Whether the baseline of ``measure`` is case-mix adjusted (weighted by the
        cohort's own risk mix)."""
        given = self.case_mix_adjusted
        return given if isinstance(given, bool) else measure in given

    @property
    def ratio(self) -> float:
        """Comparison people per treated person [people per person]."""
        if self.comparison_ratio is not None:
            return self.comparison_ratio
        return 10.0 if self.design == "matched_comparison" else 1.0
