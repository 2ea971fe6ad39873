"""Payment mechanisms (``[[payments]]``): fee for service, outcome payments by rate card,
tiered schedules and revenue at risk. Each is chosen by its ``type``; their payments add
up. Improvement is measured in ``change`` units against the evaluation's comparison.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from ._base import MAX_MONEY, _f, _Model


class VolumeBand(_Model):
    """The volume band a fee's annual price is set for (the TR straw man). At each
    contract year end the year's paid volume (units that attract a fee: the entrants unless
    `cohorts.paid_volume_per_period` sets a plan of its own) is compared with the band: each
    unit above `upper` is paid at `price`, each below `lower` is repaid at `price`, in the
    month after the year ends. A part year (the contract's last, or one cut short by
    termination) has its bounds pro rata to its months. `lower` must not exceed `upper`."""

    lower: float = _f("Fewest paid units in a contract year the annual price covers.",
                      "units per year", ge=0, le=1e8)
    upper: float = _f("Most paid units in a contract year the annual price covers.",
                      "units per year", ge=0, le=1e8)
    price: float = _f("Marginal price per paid unit outside the band: paid above `upper`, "
                      "repaid below `lower`.", "currency per unit", ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> "VolumeBand":
        if self.lower > self.upper:
            raise ValueError(f"lower ({self.lower:g}) is above upper ({self.upper:g}); the band "
                             "runs from lower to upper")
        return self


class Payer(_Model):
    """One of the payers (commissioners) sharing a mechanism's payments (NYS CEO: New York
    State and the US Department of Labor), each paying its share of every payment until its
    own maximum is reached: one maximum over the contract, shared by every mechanism that
    names the payer (a fee's payments count against it too)."""

    name: str = _f("Payer shown in reports.", "text", min_length=1, max_length=60)
    share: float = _f("Share of each of the mechanism's payments it pays; the payers' shares "
                      "sum to 1.", "fraction", gt=0, le=1)
    cap: float | None = _f("Most it pays over the contract, in payment order, under every "
                           "mechanism that names it (one cap, the same in each); what its cap "
                           "stops is not paid by anyone. Omit for no cap.",
                           "currency", default=None, ge=0)


def _check_payers(payers: list[Payer]) -> list[Payer]:
    if not payers:
        return payers
    names = [p.name for p in payers]
    if len(set(names)) != len(names):
        raise ValueError(f"payers: each payer once (names given: {', '.join(names)})")
    total = sum(p.share for p in payers)
    if abs(total - 1) > 1e-9:
        raise ValueError(f"payers: the shares must sum to 1 (got {total:.10g}: "
                         f"{' + '.join(f'{p.share:g}' for p in payers)})")
    return payers


def shared_cap_problems(payments) -> list[str]:
    """What is wrong with payers named by several mechanisms: one payer has one maximum
    over the contract, so each must be given the same ``cap`` (or none) wherever named."""
    seen: dict[str, tuple[int, int, float | None]] = {}
    problems = []
    for i, m in enumerate(payments):
        for j, p in enumerate(getattr(m, "payers", ())):
            if p.name not in seen:
                seen[p.name] = (i, j, p.cap)
                continue
            i0, j0, cap = seen[p.name]
            if p.cap != cap:
                problems.append(
                    f"payments.{i}.payers.{j}.cap is {_cap_text(p.cap)} but payments.{i0}."
                    f"payers.{j0}.cap is {_cap_text(cap)}: {p.name!r} is one payer with one "
                    "maximum over the contract, shared by every mechanism that names it; give "
                    "it the same cap in each (or none)")
    return problems


def _cap_text(cap: float | None) -> str:
    return "none" if cap is None else f"{cap:,.2f}"


PAYERS_HELP = ("Payers (commissioners) sharing this mechanism's payments, each with its `share` "
               "and its `cap` (one cap per payer over every mechanism that names it); omit for "
               "one commissioner.")
Payers = Annotated[list[Payer], AfterValidator(_check_payers)]


def _payers():
    return _f(PAYERS_HELP, "list", default_factory=list, max_length=10)


class FeePayment(_Model):
    """Fee for service: paid whatever the outcome. A contract year is 12 months from
    contract start (month 0); the last may be shorter."""

    type: Literal["fee"] = _f("Mechanism: fee for service.", "text")
    name: str = _f("Label in reports.", "text", default="Fee for service", max_length=60)
    per_participant: float = _f(
        "Fee per entrant, paid in the month after entry.", "currency per person", default=0.0, ge=0,
    )
    annual: float = _f(
        "Fixed annual price, paid in 12 monthly instalments in arrears for the contract length.",
        "currency per year", default=0.0, ge=0,
    )
    payers: Payers = _payers()
    learning_discount: float = _f(
        "Learning-curve discount: every price of this fee (annual, per participant, the band's "
        "price, not top-ups) falls by this share each contract year, so year y (from 0) pays "
        "(1 - learning_discount)^y of it. 0 = none.", "fraction per year", default=0.0,
        ge=0, lt=1)
    band: VolumeBand | None = _f(
        "Volume band the annual price is set for, reconciled at each contract year end; omit "
        "for none.", "section", default=None)
    top_ups: list[float] = _f(
        "Annual top-ups (TR straw man): one amount per contract year (first year first), each paid "
        "in the month after that year ends; years beyond the list get none. Empty = none.",
        "currency per year", default_factory=list, max_length=50, le=None)

    @field_validator("top_ups")
    @classmethod
    def _top_ups_in_range(cls, top_ups: list[float]) -> list[float]:
        bad = [x for x in top_ups if not 0 <= x <= MAX_MONEY]
        if bad:
            raise ValueError(f"each top-up must be from 0 to {MAX_MONEY:g} (got {bad[0]:g})")
        return top_ups


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
        "the whole improvement is paid (see `threshold_rule`).", "per change unit", default=0.0,
        ge=0, le=1e6)
    threshold_rule: Literal["cliff", "corridor"] = _f(
        "What a cohort past a threshold is paid for: 'cliff' = its whole improvement once it "
        "reaches `threshold` (and its whole worsening once past `deduction_threshold`); "
        "'corridor' = only the improvement beyond `threshold` (and only the worsening beyond "
        "`deduction_threshold`), so nothing jumps at the threshold. Not for per = 'cohort'.",
        "text", default="cliff")
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
        "worsening, by a z-test at this level (two-sided unless `significance_test` says "
        "otherwise; TR: 0.05). Rate measures only ('binary' and [[outcomes.other]]). "
        "Omit for no test.", "fraction", default=None, gt=0, lt=0.5)
    significance_test: Literal["two_sided", "one_sided"] = _f(
        "The z-test's sides: 'two_sided' = critical value from level/2 in each tail (0.05 -> "
        "1.960); 'one_sided' = the whole level in the tail tested (0.05 -> 1.645): the payment "
        "test asks only 'better?', the deduction test only 'worse?'. Needs "
        "`significance_level`.", "text", default="two_sided")

    @model_validator(mode="after")
    def _rules_fit(self) -> "Rate":
        if self.significance_test != "two_sided" and self.significance_level is None:
            raise ValueError("significance_test is set but there is no test: give "
                             "significance_level (e.g. 0.05) or remove significance_test")
        if self.threshold_rule == "corridor" and self.per == "cohort":
            raise ValueError("threshold_rule = 'corridor' pays the improvement beyond the "
                             "threshold, but per = 'cohort' pays a flat amount: use per = 'unit' "
                             "or 'change', or threshold_rule = 'cliff'")
        return self


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
    cap_total: float | None = _f("Most this mechanism pays over all cohorts, in cohort order, "
                                 "in cash: an indexed or renegotiated price does not lift it "
                                 "(cap_per_cohort is at the spec's prices and moves with them); "
                                 "omit for no cap.", "currency", default=None, ge=0)
    foundation: Foundation | None = _f("Advance payments reconciled against results; omit for "
                                       "none.", "section", default=None)
    payers: Payers = _payers()


class Tier(_Model):
    """One step of a tiered schedule."""

    at: float = _f("Improvement (in `change` units) from which this tier pays.",
                   "per change unit", ge=-1e6, le=1e6)
    amount: float = _f("Payment at this tier (per cohort, or once if pooled).", "currency", ge=0)


class TieredPayment(_Model):
    """A tiered schedule on one measure (ABLE, Roca): stepped, or interpolated between tiers.
    Tiers must rise strictly in `at`; interpolated, no two may be so close that the line
    between them is steeper than a number can hold."""

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
    cap_total: float | None = _f("Most this mechanism pays in all, in cash: an indexed or "
                                 "renegotiated price does not lift it; omit for no cap.",
                                 "currency", default=None, ge=0)
    payers: Payers = _payers()

    @field_validator("tiers")
    @classmethod
    def _rising(cls, tiers: list[Tier]) -> list[Tier]:
        at = [t.at for t in tiers]
        if any(b <= a for a, b in zip(at, at[1:])):
            raise ValueError(f"tiers must rise strictly in `at` (got {at})")
        return tiers

    @model_validator(mode="after")
    def _interpolable(self) -> "TieredPayment":
        """Interpolated, each step's line (amount over `at`) must be a finite slope: tiers a
        few hundred orders of magnitude apart in amount per unit of `at` would pay infinity."""
        if self.interpolate:
            for i, (a, b) in enumerate(zip(self.tiers, self.tiers[1:])):
                if not math.isfinite((b.amount - a.amount) / (b.at - a.at)):
                    raise ValueError(
                        f"tiers {i} and {i + 1} (at {a.at!r} and {b.at!r}) are too close to "
                        f"interpolate between: {b.amount - a.amount:g} over {b.at - a.at!r} is "
                        "steeper than a number can hold; move them apart or set "
                        "interpolate = false")
        return self


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
    payers: Payers = _payers()


Payment = Annotated[Union[FeePayment, OutcomePayment, TieredPayment, RevenueAtRiskPayment],
                    Field(discriminator="type")]
PAYMENT_TYPES: dict[str, type[BaseModel]] = {
    "fee": FeePayment, "outcome": OutcomePayment, "tiered": TieredPayment,
    "revenue_at_risk": RevenueAtRiskPayment,
}



def rules(mech: BaseModel) -> list:
    """The parts of a mechanism that name a measure (rates, hurdles, schedules)."""
    if isinstance(mech, OutcomePayment):
        return [*mech.rates, *(r.hurdle for r in mech.rates if r.hurdle is not None)]
    if isinstance(mech, (TieredPayment, RevenueAtRiskPayment)):
        return [mech]
    return []
