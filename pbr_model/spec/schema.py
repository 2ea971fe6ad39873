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

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


MAX_MONEY = 1e12  # a trillion in any currency: far above any contract, far below overflow


def _f(description: str, unit: str, **kw):
    """A field with its description and unit recorded for docs and workbooks. Money
    fields (unit "currency...") are bounded by ``MAX_MONEY``."""
    if unit.startswith("currency") and "le" not in kw:
        kw["le"] = MAX_MONEY
    return Field(description=description, json_schema_extra={"unit": unit}, **kw)


class _Model(BaseModel):
    # Unknown keys are errors: a typo must never pass silently.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True,
                              allow_inf_nan=False)


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


class BaselineOutcomePayment(_Model):
    """TR-style outcome payment against a historical baseline.

    Each cohort's measured binary rate and reoffences per reoffender are
    compared with the baseline rates of ``population.bands``, weighted by the
    cohort's own risk mix (case-mix adjustment).
    """

    type: Literal["baseline_outcome"] = _f("Mechanism: outcome payment vs historical baseline.",
                                           "text")
    name: str = _f("Label in reports.", "text", default="Outcome payment", max_length=60)
    binary_price: float = _f("Price per unit of binary reduction (see binary_unit).", "currency",
                             default=0.0, ge=0)
    binary_unit: Literal["person", "point"] = _f(
        "'person': price per reoffender avoided (reduction in points x cohort size / 100); "
        "'point': price per percentage point of reduction per cohort.", "text", default="person",
    )
    binary_threshold_points: float = _f(
        "Binary reduction (percentage points) a cohort must reach before the binary payment is "
        "made; once reached, the whole reduction is paid.", "percentage points",
        default=0.0, ge=0, le=100,
    )
    frequency_price: float = _f("Price per reoffence avoided (baseline minus measured reoffences "
                                "per reoffender, times the cohort's reoffenders). As in TR, "
                                "fewer reoffenders also shrink this payment: see "
                                "docs/methodology.md.", "currency",
                                default=0.0, ge=0)
    frequency_hurdle_points: float | None = _f(
        "Binary reduction (percentage points) the cohort must reach before any frequency payment; "
        "omit for no hurdle.", "percentage points", default=None, ge=0, le=100,
    )
    cap_per_cohort: float | None = _f("Most this mechanism pays for one cohort; omit for no cap.",
                                      "currency", default=None, ge=0)
    cap_total: float | None = _f("Most this mechanism pays over all cohorts, in cohort order; "
                                 "omit for no cap.", "currency", default=None, ge=0)


Payment = Annotated[Union[FeePayment, BaselineOutcomePayment], Field(discriminator="type")]
PAYMENT_TYPES: dict[str, type[BaseModel]] = {"fee": FeePayment, "baseline_outcome": BaselineOutcomePayment}


class Provider(_Model):
    """The provider's finances."""

    reserves: float = _f("Unrestricted cash reserves available to fund the contract.", "currency",
                         default=0.0, ge=0)
    credit_line: float = _f("Committed overdraft or revolving credit available.", "currency",
                            default=0.0, ge=0)
    discount_rate: float = _f("Annual discount rate for NPV (cost of capital).", "fraction per year",
                              default=0.08, ge=0, le=1)


class ContractSpec(_Model):
    """A complete contract spec: one TOML file. With a list of entrants, its length
    must equal the number of cohorts."""

    contract: Contract = _f("The contract's identity and calendar.", "section")
    cohorts: Cohorts = _f("Cohort volumes and their uncertainty.", "section")
    population: Population = _f("Risk bands and baseline reoffending.", "section")
    intervention: Intervention = _f("The service: true effect and costs.", "section",
                                    default_factory=Intervention)
    trend: Trend = _f("National trend in reoffending.", "section", default_factory=Trend)
    payments: list[Payment] = _f("Payment mechanisms; they add up.", "list", default_factory=list)
    provider: Provider = _f("The provider's reserves, credit and cost of capital.", "section",
                            default_factory=Provider)

    @model_validator(mode="after")
    def _volumes_match(self) -> "ContractSpec":
        e = self.cohorts.entrants_per_period
        n = self.contract.cohorts
        if isinstance(e, list) and len(e) != n:
            raise ValueError(
                f"cohorts.entrants_per_period has {len(e)} values but the contract has {n} "
                "cohorts; give one number per cohort or a single number"
            )
        return self
