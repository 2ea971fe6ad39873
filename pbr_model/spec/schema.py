"""The contract spec: typed, validated description of one PbR/SIB contract.

A spec is plain data (TOML in, pydantic objects out); it never executes code.
Every field carries a description and a unit (``json_schema_extra["unit"]``),
which ``docs/contract-spec.md``, ``pbr schema`` and the Excel ``Assumptions``
sheet all read, so the documentation cannot drift from the code.

Conventions: money in the contract currency, time in months, rates as
fractions (0.475, not 47.5), effects as relative reductions (0.05 = 5% fewer).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal, Union

from pydantic import BaseModel, Field, field_validator, model_validator


from ._base import MAX_MONEY, _f, _Model  # noqa: F401  (re-exported)
from .parties import Commissioner, Subcontract, SocialImpactBond


class Contract(_Model):
    """The contract's identity and calendar. Cohorts must start during the contract:
    ``n_cohorts x cohort_months <= length_months``."""

    name: str = _f("Contract name shown in reports.", "text", min_length=1, max_length=200)
    currency: str = _f(
        "ISO 4217 code of the currency all money is in.", "text", default="GBP",
        pattern=r"^[A-Z]{3}$",
    )
    start_date: dt.date = _f("First day of the contract (month 0): a TOML date, e.g. 2015-02-01.",
                             "date", strict=False)
    length_months: int = _f(
        "Length of the service contract; fixed costs and annual fees run for this long.",
        "months", default=84, ge=1, le=600,
    )
    cohort_months: int = _f(
        "Length of one cohort period (3 = quarterly cohorts).", "months", default=3, ge=1, le=24,
    )
    n_cohorts: int | None = _f(
        "Number of cohorts; default: as many whole cohort periods as fit in the contract.",
        "cohorts", default=None, ge=1, le=400,
    )
    followup_months: int = _f(
        "Follow-up period in which reoffences count (MoJ proven reoffending: 12).",
        "months", default=12, ge=1, le=60,
    )
    waiting_months: int = _f(
        "Further wait for offences to be proven by conviction or caution (MoJ: 6).",
        "months", default=6, ge=0, le=36,
    )
    payment_lag_months: int = _f(
        "Months from a cohort's result being known to the outcome payment.",
        "months", default=3, ge=0, le=36,
    )

    @model_validator(mode="after")
    def _cohorts_fit(self) -> "Contract":
        if self.n_cohorts is None:
            if self.length_months < self.cohort_months:
                raise ValueError(
                    f"length_months ({self.length_months}) is shorter than one cohort period "
                    f"({self.cohort_months}); lengthen the contract or set n_cohorts"
                )
        elif self.n_cohorts * self.cohort_months > self.length_months:
            raise ValueError(
                f"n_cohorts x cohort_months = {self.n_cohorts * self.cohort_months} months, "
                f"longer than length_months ({self.length_months}); cohorts must start "
                "during the contract"
            )
        return self

    @property
    def cohorts(self) -> int:
        """Number of cohorts [cohorts]."""
        return self.n_cohorts or self.length_months // self.cohort_months


class Cohorts(_Model):
    """Who enters the service, and how uncertain the volumes are. Entrants per period
    are from 0 to 10,000,000; a list must have one value per cohort. Entrants in
    cohort c of simulation s are Poisson with mean ``E_c x V_s x eps_sc``."""

    entrants_per_period: float | list[float] = _f(
        "Expected entrants per cohort period: one number for every period, or one per cohort.",
        "people per period",
    )
    volume_factor_sd: float = _f(
        "Sd of the log of a volume factor drawn once per simulation (mean 1): "
        "systematic over- or under-referral for the whole contract.",
        "log scale", default=0.0, ge=0, le=2,
    )
    period_noise_sd: float = _f(
        "Sd of the log of independent period-to-period noise in volumes (mean 1).",
        "log scale", default=0.0, ge=0, le=2,
    )

    @model_validator(mode="after")
    def _positive(self) -> "Cohorts":
        values = (
            self.entrants_per_period
            if isinstance(self.entrants_per_period, list)
            else [self.entrants_per_period]
        )
        if not values:
            raise ValueError("entrants_per_period is an empty list; give at least one number")
        bad = [v for v in values if not (0 <= v <= 10_000_000)]
        if bad:
            raise ValueError(
                f"entrants_per_period must be between 0 and 10,000,000 per period (got {bad[0]!r})"
            )
        return self


class RiskBand(_Model):
    """One risk band (e.g. an OGRS band) of the cohort."""

    name: str = _f("Band name.", "text", min_length=1, max_length=60)
    share: float = _f("Share of entrants in this band; shares sum to 1.", "fraction", ge=0, le=1)
    binary_rate: float = _f(
        "Baseline 12-month proven reoffending rate: share with at least one proven reoffence.",
        "fraction", gt=0, lt=1,
    )
    reoffences_per_reoffender: float = _f(
        "Baseline mean proven reoffences per reoffender (at least 1).",
        "reoffences per reoffender", ge=1, le=100,
    )
    dispersion: float = _f(
        "Negative-binomial size k of reoffences beyond the first: smaller is more over-dispersed "
        "(variance of the extra count = mu + mu^2 / k).",
        "dimensionless", default=1.0, gt=0, le=1e6,
    )


class Population(_Model):
    """The cohort's risk mix and its historical (baseline) reoffending. Band shares
    must sum to 1 and band names be unique."""

    bands: list[RiskBand] = _f("Risk bands; at least one.", "list", min_length=1, max_length=50)

    @field_validator("bands")
    @classmethod
    def _shares(cls, bands: list[RiskBand]) -> list[RiskBand]:
        total = sum(b.share for b in bands)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"band shares must sum to 1 (they sum to {total:.6g})")
        names = [b.name for b in bands]
        if len(set(names)) != len(names):
            raise ValueError(f"band names must be unique (got {names})")
        return bands


class EffectDistribution(_Model):
    """An uncertain true effect: drawn once per simulation from a normal with this mean
    and sd, clipped to [min, max]; ``min <= mean <= max``."""

    mean: float = _f(
        "Mean relative reduction (0.05 = 5% fewer); negative values are harm.",
        "fraction", default=0.0, ge=-1, le=1,
    )
    sd: float = _f("Sd of the true effect across simulations (0 = known effect).",
                   "fraction", default=0.0, ge=0, le=1)
    min: float = _f("Lowest true effect allowed (draws are clipped).", "fraction",
                    default=-0.5, ge=-1, le=1)
    max: float = _f("Highest true effect allowed (draws are clipped).", "fraction",
                    default=0.9, ge=-1, lt=1)

    @model_validator(mode="after")
    def _order(self) -> "EffectDistribution":
        if not self.min <= self.mean <= self.max:
            raise ValueError(
                f"mean ({self.mean}) must lie between min ({self.min}) and max ({self.max})"
            )
        return self


class Effect(_Model):
    """The service's true effects, as relative reductions (0.05 = 5% fewer)."""

    binary: EffectDistribution = _f(
        "True relative reduction in the probability of any proven reoffence.", "distribution",
        default_factory=EffectDistribution,
    )
    frequency: EffectDistribution = _f(
        "True relative reduction in reoffences per reoffender.", "distribution",
        default_factory=EffectDistribution,
    )


class Costs(_Model):
    """What delivering the service costs the provider (money out)."""

    setup: float = _f("One-off set-up cost, incurred in month 0.", "currency", default=0.0, ge=0)
    fixed_per_month: float = _f(
        "Fixed running cost per contract month; does not fall with volumes.", "currency per month",
        default=0.0, ge=0,
    )
    per_participant: float = _f(
        "Variable cost per entrant, incurred in the month of entry.", "currency per person",
        default=0.0, ge=0,
    )


class PersonalBudget(_Model):
    """An 'enabling fund' each participant may draw on (Inside Out, HMP Everthorpe)."""

    amount: float = _f("Budget spent per participant who takes it up, in the month of entry.",
                       "currency per person", default=0.0, ge=0)
    take_up: float = _f("Share of participants who take the budget up.", "fraction",
                        default=0.0, ge=0, le=1)


class Intervention(_Model):
    """The service: its true effect, its costs and any personal budget."""

    effect: Effect = _f("The service's true effect (uncertain).", "section",
                        default_factory=Effect)
    costs: Costs = _f("What the service costs the provider.", "section", default_factory=Costs)
    personal_budget: PersonalBudget = _f("Per-person enabling fund.", "section",
                                         default_factory=PersonalBudget)


class Trend(_Model):
    """National trend: a common shock a historical baseline does not remove.

    Random walks per simulation over cohort periods, starting from the baseline
    level: in the log odds of the binary rate and in the log of reoffences per
    reoffender.
    """

    binary_logit_drift: float = _f("Mean change per cohort period in the log odds of reoffending.",
                                   "log odds per period", default=0.0, ge=-1, le=1)
    binary_logit_sd: float = _f("Sd of the change per cohort period in the log odds.",
                                "log odds per period", default=0.0, ge=0, le=1)
    frequency_log_drift: float = _f("Mean change per period in log reoffences per reoffender.",
                                    "log per period", default=0.0, ge=-1, le=1)
    frequency_log_sd: float = _f("Sd of the change per period in log reoffences per reoffender.",
                                 "log per period", default=0.0, ge=0, le=1)


class Custody(_Model):
    """Custody bed days derived from proven reoffences (the ABLE and Roca measures): each
    reoffence leads to a custody episode with this probability, and episodes last a
    gamma-distributed number of days."""

    probability: float = _f("Share of proven reoffences that lead to a custody episode.",
                            "fraction", default=0.0, ge=0, le=1)
    days_mean: float = _f("Mean bed days per custody episode.", "days", default=0.0, ge=0,
                          le=3650)
    days_sd: float = _f("Sd of bed days per episode (gamma distributed; 0 = always the mean).",
                        "days", default=0.0, ge=0, le=3650)


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


class Evaluation(_Model):
    """What the evaluator compares the treated cohorts with."""

    design: Literal["historical_baseline", "matched_comparison", "rct"] = _f(
        "'historical_baseline': fixed past rates (TR vs 2011, Doncaster vs 2009), so national "
        "trends move the result; 'matched_comparison': a matched group living through the same "
        "trend (Peterborough, Justice Data Lab); 'rct': a randomised control group (NYS CEO, "
        "Roca).", "text", default="historical_baseline")
    case_mix_adjusted: bool = _f(
        "Historical baseline only: weight the baseline rates by each cohort's own risk mix "
        "(true, TR's OGRS adjustment) or by the spec's band shares (false).", "bool",
        default=True)
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

    @model_validator(mode="after")
    def _fits_design(self) -> "Evaluation":
        baseline = self.design == "historical_baseline"
        if baseline and (self.comparison_ratio is not None or self.did_weight > 0
                         or self.matching_bias_sd > 0 or self.comparison_period != "concurrent"):
            raise ValueError("comparison_ratio, comparison_period, matching_bias_sd and "
                             "did_weight need a comparison group: set design to "
                             "'matched_comparison' or 'rct'")
        if self.design == "rct" and (self.matching_bias_sd > 0
                                     or self.comparison_period != "concurrent"):
            raise ValueError("an RCT's control group is concurrent and unbiased: "
                             "matching_bias_sd and comparison_period are for 'matched_comparison'")
        return self

    @property
    def has_comparison_group(self) -> bool:
        return self.design != "historical_baseline"

    @property
    def ratio(self) -> float:
        """Comparison people per treated person [people per person]."""
        if self.comparison_ratio is not None:
            return self.comparison_ratio
        return 10.0 if self.design == "matched_comparison" else 1.0


class FeePayment(_Model):
    """Fee for service: paid whatever the outcome."""

    type: Literal["fee"] = _f("Mechanism: fee for service.", "text")
    name: str = _f("Label in reports.", "text", default="Fee for service", max_length=60)
    per_participant: float = _f(
        "Fee per entrant, paid in the month after entry.", "currency per person", default=0.0, ge=0,
    )
    annual: float = _f(
        "Fixed annual price, paid in 12 monthly instalments in arrears for the contract length.",
        "currency per year", default=0.0, ge=0,
    )


Change = Literal["points", "percent", "absolute"]
CHANGE_HELP = ("How improvement is measured: 'points' = 100 x (comparison - treated) for rate "
               "measures; 'percent' = 100 x (comparison - treated) / comparison; 'absolute' = "
               "comparison - treated in the measure's own unit. Positive is better (for an outcome "
               "where higher is better, treated - comparison).")


class Hurdle(_Model):
    """A condition on another measure that must hold before a rate pays (TR: frequency is
    paid only if the binary rate did not rise)."""

    measure: str = _f("Measure the hurdle is on (see `measure`).", "text", default="binary")
    change: Change = _f(CHANGE_HELP, "text", default="points")
    min: float = _f("Improvement (in `change` units) the measure must reach.", "per change unit",
                    default=0.0, ge=-1e6, le=1e6)


class Rate(_Model):
    """One line of a rate card: a price per unit of improvement on one measure."""

    measure: str = _f(
        "What is measured: 'binary' (share who reoffend), 'frequency_per_offender', "
        "'frequency_per_reoffender' (TR), 'reconviction_events' (per offender, Peterborough), "
        "'bed_days' (custody days per offender, ABLE/Roca), or the name of an "
        "[[outcomes.other]] outcome.", "text", default="binary")
    change: Change = _f(CHANGE_HELP, "text", default="points")
    per: Literal["unit", "change", "cohort"] = _f(
        "What the price is per: 'unit' = per unit avoided (reoffender, reoffence, event or bed day; "
        "for frequency_per_reoffender per reoffence avoided among the treated reoffenders, as TR; "
        "for a higher-is-better outcome per extra person); 'change' = per unit of `change` "
        "(point or percent); 'cohort' = a flat amount when the threshold is met.", "text",
        default="unit")
    price: float = _f("Price per `per`.", "currency", default=0.0, ge=0)
    threshold: float = _f(
        "Improvement (in `change` units) a cohort must reach before this rate pays; once reached "
        "the whole improvement is paid.", "per change unit", default=0.0, ge=0, le=1e6)
    pooled_threshold: float | None = _f(
        "Pooled trigger: if the improvement over all cohorts together reaches this, the rate pays "
        "the pooled amount less what the cohorts were paid, with the last cohort's payment "
        "(Peterborough: 10% a cohort or 7.5% pooled). Omit for no pooled trigger.",
        "per change unit", default=None, ge=0, le=1e6)
    hurdle: Hurdle | None = _f("Condition on another measure; omit for none.", "section",
                               default=None)
    deduction_price: float = _f(
        "Deducted per `per` of worsening beyond `deduction_threshold` (0 = no deductions).",
        "currency", default=0.0, ge=0)
    deduction_threshold: float = _f("Worsening (in `change` units) tolerated before deductions.",
                                    "per change unit", default=0.0, ge=0, le=1e6)
    significance_level: float | None = _f(
        "Pay only for statistically significant improvements, and deduct only for significant "
        "worsening, by a two-sided z-test at this level (late TR: 0.05). Rate measures only "
        "('binary' and [[outcomes.other]]). Omit for no test.", "fraction",
        default=None, gt=0, lt=0.5)


class Foundation(_Model):
    """Advance ('foundation') payments against a mechanism's outcome payments, reconciled
    when each cohort's result is known (TR payment mechanism straw man)."""

    per_participant: float = _f(
        "Advance per entrant, paid in the month after entry.", "currency per person", ge=0)
    clawback: bool = _f(
        "Recover advances above what the cohort earned (true), or let the provider keep them.",
        "bool", default=True)


class OutcomePayment(_Model):
    """Outcome payments by rate card: each rate prices improvement on one measure against
    the evaluation's comparison (baseline, matched group or control). Rates add up per
    cohort; then the caps apply, per cohort and over the contract in cohort order."""

    type: Literal["outcome"] = _f("Mechanism: outcome payments by rate card.", "text")
    name: str = _f("Label in reports.", "text", default="Outcome payment", max_length=60)
    rates: list[Rate] = _f("The rate card: one or more rates.", "list", min_length=1,
                           max_length=20)
    cap_per_cohort: float | None = _f("Most this mechanism pays for one cohort; omit for no cap.",
                                      "currency", default=None, ge=0)
    cap_total: float | None = _f("Most this mechanism pays over all cohorts, in cohort order; "
                                 "omit for no cap.", "currency", default=None, ge=0)
    foundation: Foundation | None = _f("Advance payments reconciled against results; omit for "
                                       "none.", "section", default=None)


class Tier(_Model):
    """One step of a tiered schedule."""

    at: float = _f("Improvement (in `change` units) from which this tier pays.",
                   "per change unit", ge=-1e6, le=1e6)
    amount: float = _f("Payment at this tier (per cohort, or once if pooled).", "currency", ge=0)


class TieredPayment(_Model):
    """A tiered schedule on one measure (ABLE, Roca): stepped, or interpolated between tiers.
    Tiers must rise strictly in `at`."""

    type: Literal["tiered"] = _f("Mechanism: tiered schedule.", "text")
    name: str = _f("Label in reports.", "text", default="Tiered outcome payment", max_length=60)
    measure: str = _f("Measure the schedule is on (as for rates).", "text", default="binary")
    change: Change = _f(CHANGE_HELP, "text", default="percent")
    tiers: list[Tier] = _f("The tiers, lowest first.", "list", min_length=1, max_length=50)
    interpolate: bool = _f("Interpolate linearly between tiers (true) or pay the tier reached "
                           "(false). Below the first tier nothing is paid; above the last, the "
                           "last amount.", "bool", default=False)
    basis: Literal["cohort", "pooled"] = _f(
        "'cohort': each cohort is paid on its own result; 'pooled': one payment on the result of "
        "all cohorts together, with the last cohort's payment.", "text", default="cohort")
    cap_total: float | None = _f("Most this mechanism pays in all; omit for no cap.", "currency",
                                 default=None, ge=0)

    @field_validator("tiers")
    @classmethod
    def _rising(cls, tiers: list[Tier]) -> list[Tier]:
        at = [t.at for t in tiers]
        if any(b <= a for a, b in zip(at, at[1:])):
            raise ValueError(f"tiers must rise strictly in `at` (got {at})")
        return tiers


class RevenueAtRiskPayment(_Model):
    """Revenue at risk (HMP Doncaster): a sum per cohort that depends on meeting a target."""

    type: Literal["revenue_at_risk"] = _f("Mechanism: revenue at risk.", "text")
    name: str = _f("Label in reports.", "text", default="Revenue at risk", max_length=60)
    measure: str = _f("Measure the target is on (as for rates).", "text", default="binary")
    change: Change = _f(CHANGE_HELP, "text", default="points")
    target: float = _f("Improvement (in `change` units) the cohort must reach.",
                       "per change unit", ge=-1e6, le=1e6)
    amount: float = _f("Sum at risk per cohort (Doncaster: 10% of annual core contract value).",
                       "currency", ge=0)
    settle: Literal["repay", "earn"] = _f(
        "'repay': the sum was paid up front (put it in the fee) and is repaid when the target is "
        "missed; 'earn': it is paid only when the target is met.", "text", default="repay")


Payment = Annotated[Union[FeePayment, OutcomePayment, TieredPayment, RevenueAtRiskPayment],
                    Field(discriminator="type")]
PAYMENT_TYPES: dict[str, type[BaseModel]] = {
    "fee": FeePayment, "outcome": OutcomePayment, "tiered": TieredPayment,
    "revenue_at_risk": RevenueAtRiskPayment,
}


class Provider(_Model):
    """The provider's finances."""

    reserves: float = _f("Unrestricted cash reserves available to fund the contract.", "currency",
                         default=0.0, ge=0)
    credit_line: float = _f("Committed overdraft or revolving credit available.", "currency",
                            default=0.0, ge=0)
    discount_rate: float = _f("Annual discount rate for NPV (cost of capital): what its own "
                              "money costs, and the price of capital beyond reserves and credit.",
                              "fraction per year", default=0.08, ge=0, le=1)
    credit_rate: float | None = _f("Interest on credit drawn; omit for the discount rate.",
                                   "fraction per year", default=None, ge=0, le=1)
    overheads: float = _f("Central overheads on top of the contract's direct costs, as a share "
                          "of them (in `pbr capital`).", "fraction", default=0.0, ge=0, le=2)


class ContractSpec(_Model):
    """A complete contract spec: one TOML file. With a list of entrants, its length
    must equal the number of cohorts."""

    contract: Contract = _f("The contract's identity and calendar.", "section")
    cohorts: Cohorts = _f("Cohort volumes and their uncertainty.", "section")
    population: Population = _f("Risk bands and baseline reoffending.", "section")
    intervention: Intervention = _f("The service: true effect and costs.", "section",
                                    default_factory=Intervention)
    trend: Trend = _f("National trend in reoffending.", "section", default_factory=Trend)
    outcomes: OutcomeMeasures = _f("Bed days, reconviction events and other outcomes.",
                                   "section", default_factory=OutcomeMeasures)
    evaluation: Evaluation = _f("How results are measured.", "section",
                                default_factory=Evaluation)
    payments: list[Payment] = _f("Payment mechanisms; they add up.", "list", default_factory=list)
    provider: Provider = _f("The provider's (prime's) reserves, credit and cost of capital.",
                            "section", default_factory=Provider)
    supply_chain: list[Subcontract] = _f(
        "Subcontractors the prime passes work and risk to; the prime keeps the rest.", "list",
        default_factory=list, max_length=50)
    sib: SocialImpactBond | None = _f("Social investment funding the service; omit if none.",
                                      "section", default=None)
    commissioner: Commissioner = _f("The commissioner's cost of reoffending and discount rate.",
                                    "section", default_factory=Commissioner)

    @model_validator(mode="after")
    def _volumes_match(self) -> "ContractSpec":
        e = self.cohorts.entrants_per_period
        n = self.contract.cohorts
        if isinstance(e, list) and len(e) != n:
            raise ValueError(
                f"cohorts.entrants_per_period has {len(e)} values but the contract has {n} "
                "cohorts; give one number per cohort or a single number"
            )
        shares = sum(s.share for s in self.supply_chain)
        if shares >= 1:
            raise ValueError(f"supply_chain: subcontractors' shares sum to {shares:g}; they must "
                             "leave the prime some of the work (below 1)")
        names = [s.name for s in self.supply_chain]
        if len(set(names)) != len(names):
            raise ValueError("supply_chain: names must differ")
        if self.sib is not None and self.supply_chain:
            raise ValueError("sib and supply_chain: a social impact bond with a supply chain is "
                             "not modelled (the bond funds one delivery vehicle); remove one")
        return self

    def rule_measures(self) -> list[tuple[str, str]]:
        """The (measure, change) pairs the payment rules read, in spec order, once each."""
        pairs: list[tuple[str, str]] = []
        for mech in self.payments:
            for rule in _rules(mech):
                if (rule.measure, rule.change) not in pairs:
                    pairs.append((rule.measure, rule.change))
        return pairs

    def measures_used(self) -> set[str]:
        """Every measure a payment rule reads."""
        return {m for m, _ in self.rule_measures()}


def _rules(mech) -> list:
    """The parts of a mechanism that name a measure (rates, hurdles, schedules)."""
    if isinstance(mech, OutcomePayment):
        return [*mech.rates, *(r.hurdle for r in mech.rates if r.hurdle is not None)]
    if isinstance(mech, (TieredPayment, RevenueAtRiskPayment)):
        return [mech]
    return []


def cross_check(spec: ContractSpec) -> list[tuple[str, str, object]]:
    """Problems between fields (a rate naming an undeclared measure, points on a
    non-rate measure, significance on a count): ``(path, message, value)`` each."""
    others = {o.name for o in spec.outcomes.other}
    known = [*MEASURES, *others]
    problems = []
    for i, mech in enumerate(spec.payments):
        items: list[tuple[str, object]] = []
        if isinstance(mech, OutcomePayment):
            for j, rate in enumerate(mech.rates):
                items.append((f"payments.{i}.rates.{j}", rate))
                if rate.hurdle is not None:
                    items.append((f"payments.{i}.rates.{j}.hurdle", rate.hurdle))
        elif isinstance(mech, (TieredPayment, RevenueAtRiskPayment)):
            items.append((f"payments.{i}", mech))
        for path, rule in items:
            if rule.measure not in known:
                problems.append((f"{path}.measure", "unknown measure; allowed: "
                                 + ", ".join(known), rule.measure))
                continue
            is_rate = MEASURES.get(rule.measure, True)
            if rule.change == "points" and not is_rate:
                problems.append((f"{path}.change", f"'points' is for rate measures (binary and "
                                 f"[[outcomes.other]]), not {rule.measure!r}; use 'percent' or "
                                 "'absolute'", rule.change))
            if getattr(rule, "significance_level", None) is not None and not is_rate:
                problems.append((f"{path}.significance_level", "the significance test is for rate "
                                 f"measures (binary and [[outcomes.other]]), not {rule.measure!r}",
                                 rule.significance_level))
            if rule.measure == "bed_days" and spec.outcomes.custody.probability == 0:
                problems.append((f"{path}.measure", "bed_days needs outcomes.custody.probability "
                                 "and days_mean above 0", rule.measure))
    return problems
