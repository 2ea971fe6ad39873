"""The contract spec: typed, validated description of one PbR/SIB contract.

A spec is plain data (TOML in, pydantic objects out); it never executes code.
Every field carries a description and a unit (``json_schema_extra["unit"]``),
which ``docs/contract-spec.md``, ``pbr schema`` and the Excel ``Assumptions``
sheet all read (through :mod:`.fields`), so the documentation cannot drift from the code.

Conventions: money in the contract currency, time in months, rates as
fractions (0.475, not 47.5), effects as relative reductions (0.05 = 5% fewer).

This module holds the whole spec (:class:`ContractSpec`) and the checks between its
sections; each section is defined in its own module and re-exported here, so
``from pbr_model.spec.schema import X`` works for every section class:

- :mod:`.contract`: ``[contract]``, ``[cohorts]``, ``[population]``
- :mod:`.trend`: ``[trend]`` (and its ``[[trend.before]]`` segments)
- :mod:`.area`: ``[area]`` (the area's own deviation from the national trend)
- :mod:`.intervention`: ``[intervention]`` (effects, costs, personal budget)
- :mod:`.evaluation`: ``[outcomes]`` (the measures) and ``[evaluation]`` (the design)
- :mod:`.payments`: ``[[payments]]`` (the mechanisms)
- :mod:`.parties`: ``[provider]``, ``[[supply_chain]]``, ``[sib]``, ``[commissioner]``
- :mod:`.changes`: ``[indexation]`` (cost inflation, price indexation), ``[[renegotiation]]``
- :mod:`.termination`: ``[termination]`` (a break, a stopping rule, compensation)
"""

from __future__ import annotations

import datetime as dt

from pydantic import model_validator

from ._base import MAX_MONEY, _f, _Model
from .area import Area
from .changes import Indexation, PriceIndex, Renegotiation
from .contract import Cohorts, Contract, Population, RiskBand, add_months
from .evaluation import MEASURES, Custody, EvaluationDesign, Events, OtherOutcome, OutcomeMeasures
from .intervention import Costs, Effect, EffectDistribution, Intervention, PersonalBudget
from .parties import Commissioner, Provider, SocialImpactBond, Subcontract
from .payments import (CHANGE_HELP, PAYMENT_TYPES, Change, FeePayment, Foundation, Hurdle,
                       OutcomePayment, Payment, Rate, RevenueAtRiskPayment, Tier, TieredPayment,
                       VolumeBand, rules, shared_cap_problems)
from .termination import StoppingRule, Termination
from .trend import Trend, TrendSegment


__all__ = [
    "CHANGE_HELP", "MAX_MONEY", "MEASURES", "PAYMENT_TYPES", "Area", "Change", "Cohorts",
    "Commissioner",
    "Contract", "ContractSpec", "Costs", "Custody", "Effect", "EffectDistribution",
    "EvaluationDesign", "Events", "FeePayment", "Foundation", "Hurdle", "Indexation",
    "Intervention", "PriceIndex", "Renegotiation",
    "OtherOutcome", "OutcomeMeasures", "OutcomePayment", "Payment", "PersonalBudget",
    "Population", "Provider", "Rate", "RevenueAtRiskPayment", "RiskBand", "SocialImpactBond",
    "StoppingRule", "Subcontract", "Termination", "Tier", "TieredPayment", "Trend", "TrendSegment",
    "VolumeBand",
    "cross_check",
]


class ContractSpec(_Model):
    """A complete contract spec: one TOML file. With a list of entrants, its length
    must equal the number of cohorts."""

    contract: Contract = _f("The contract's identity and calendar.", "section")
    cohorts: Cohorts = _f("Cohort volumes and their uncertainty.", "section")
    population: Population = _f("Risk bands and baseline reoffending.", "section")
    intervention: Intervention = _f("The service: true effect and costs.", "section",
                                    default_factory=Intervention)
    trend: Trend = _f("National trend in reoffending.", "section", default_factory=Trend)
    area: Area = _f("How this area departs from the national trend; default none.", "section",
                    default_factory=Area)
    outcomes: OutcomeMeasures = _f("Bed days, reconviction events and other outcomes.",
                                   "section", default_factory=OutcomeMeasures)
    evaluation: EvaluationDesign = _f("How results are measured.", "section",
                                      default_factory=EvaluationDesign)
    payments: list[Payment] = _f("Payment mechanisms; they add up.", "list", default_factory=list)
    termination: Termination | None = _f("Early termination: a break or a stopping rule; omit "
                                         "for none (the contract runs its length).", "section",
                                         default=None)
    provider: Provider = _f("The provider's (prime's) reserves, credit and cost of capital.",
                            "section", default_factory=Provider)
    supply_chain: list[Subcontract] = _f(
        "Subcontractors the prime passes work and risk to; the prime keeps the rest.", "list",
        default_factory=list, max_length=50)
    sib: SocialImpactBond | None = _f("Social investment funding the service; omit if none.",
                                      "section", default=None)
    commissioner: Commissioner = _f("The commissioner's cost of reoffending and discount rate.",
                                    "section", default_factory=Commissioner)
    indexation: Indexation = _f("Cost inflation and price indexation; default none.", "section",
                                default_factory=Indexation)
    renegotiation: list[Renegotiation] = _f(
        "One-off changes of price or lump sums, scheduled or triggered, applied in list order; "
        "default none.", "list", default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _volumes_match(self) -> "ContractSpec":
        n = self.contract.cohorts
        for name in ("entrants_per_period", "paid_volume_per_period"):
            e = getattr(self.cohorts, name)
            if isinstance(e, list) and len(e) != n:
                raise ValueError(
                    f"cohorts.{name} has {len(e)} values but the contract has {n} "
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
        problems = self._named_payment_problems(
            "indexation.prices", [p.payment for p in self.indexation.prices])
        problems += self._named_payment_problems(
            "renegotiation", [r.payment for r in self.renegotiation], once=False)
        problems += self._renegotiation_month_problems()
        # the payers' caps apply to what a mechanism pays before a renegotiation scales it
        split = {m.name for m in self.payments if getattr(m, "payers", None)}
        problems += [f"renegotiation.{i}.payment is {r.payment!r}, a mechanism with payers: "
                     "renegotiating a mechanism split between payers is not modelled; remove "
                     "its payers or the renegotiation's payment"
                     for i, r in enumerate(self.renegotiation)
                     if r.payment is not None and r.payment in split]
        # a cap over cash raised by indexation or a new price (payments.adjust.cap_cash)
        # cannot say which of a foundation's advances and reconciliations it cuts
        advanced = {m.name for m in self.payments
                    if isinstance(m, OutcomePayment) and m.foundation is not None
                    and m.cap_total is not None}
        raised = [(f"indexation.prices.{i}", p.payment, "indexing it", "the indexation")
                  for i, p in enumerate(self.indexation.prices)]
        raised += [(f"renegotiation.{i}", r.payment, "changing its price", "the price_factor")
                   for i, r in enumerate(self.renegotiation) if r.price_factor != 1]
        problems += [f"{where}.payment is {name!r}, a mechanism with a foundation and a "
                     f"cap_total: {what} is not modelled (the cap is a cash maximum, and which "
                     "advance or reconciliation a raise over it cuts is not known); remove "
                     f"the foundation, the cap or {which}"
                     for where, name, what, which in raised if name in advanced]
        problems += shared_cap_problems(self.payments)
        if problems:
            raise ValueError("; ".join(problems))
        self._termination_fits()
        return self

    @model_validator(mode="after")
    def _effect_fits_bands(self) -> "ContractSpec":
        """``by_band`` has one multiplier per band; an offending-rate effect needs a
        Poisson-gamma offending model in every band (see :mod:`pbr_model.effects`)."""
        effect, bands = self.intervention.effect, self.population.bands
        problems = []
        if effect.by_band is not None and len(effect.by_band) != len(bands):
            problems.append(f"intervention.effect.by_band has {len(effect.by_band)} "
                            f"multiplier{'s' * (len(effect.by_band) != 1)} but population has "
                            f"{len(bands)} band{'s' * (len(bands) != 1)} ("
                            + ", ".join(repr(b.name) for b in bands)
                            + "); give one per band, in order")
        if effect.states_rate:
            problems += [p for b in bands for p in [b.poisson_gamma_problem()] if p]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def _renegotiation_month_problems(self) -> list[str]:
        """Each renegotiation's month (given, or its date's) must be on the timeline."""
        c = self.contract
        last = max(c.length_months, *c.payment_months())
        out = []
        for i, r in enumerate(self.renegotiation):
            month = r.month_index(c.start_date)
            if r.month is not None and month > last:
                out.append(f"renegotiation.{i}.month is {month}, after the timeline's last month "
                           f"({last}); give a month from 0 to {last}")
            elif r.date is not None and not 0 <= month <= last:
                out.append(f"renegotiation.{i}.date is {r.date.isoformat()} (month {month}), "
                           + ("before the contract's start_date" if month < 0 else
                              "after the timeline's last month") + f"; give a date from "
                           f"{add_months(c.start_date, 0).isoformat()} to "
                           f"{add_months(c.start_date, last + 1) - dt.timedelta(days=1)} "
                           f"(months 0 to {last})")
        return out

    def _named_payment_problems(self, where: str, names: list[str | None],
                                once: bool = True) -> list[str]:
        """Each name must be the `name` of exactly one [[payments]] mechanism (None: no name
        given), and with ``once`` name it only once."""
        given = [m.name for m in self.payments]
        out = []
        for i, name in enumerate(names):
            if name is None:
                continue
            count = given.count(name)
            if count != 1:
                why = ("no [[payments]] mechanism has that name" if not count else
                       f"{count} [[payments]] mechanisms have that name; give them different names")
                out.append(f"{where}.{i}.payment is {name!r}: {why} (names: "
                           + ", ".join(repr(g) for g in given) + ")")
            elif once and name in names[:i]:
                out.append(f"{where}.{i}.payment is {name!r}, already indexed by {where}."
                           f"{names.index(name)}; index each mechanism once")
        return out

    def price_index(self, mechanism: int) -> PriceIndex | None:
        """The indexation of ``payments[mechanism]``, or None if its prices are not indexed."""
        name = self.payments[mechanism].name
        return next((p for p in self.indexation.prices if p.payment == name), None)

    def _termination_fits(self) -> None:
        t, c = self.termination, self.contract
        if t is None:
            return
        if t.break_month is not None and t.break_month > c.length_months:
            raise ValueError(f"termination.break_month ({t.break_month}) must fall inside the "
                             f"contract (at most length_months, {c.length_months}; at "
                             "length_months it runs its length)")
        if t.in_flight == "unpaid" and any(getattr(m, "payers", None) for m in self.payments):
            raise ValueError("termination.in_flight = 'unpaid' with several outcome payers is "
                             "not modelled (their caps are applied before the lapse); use "
                             "'paid' or one payer")
        if t.in_flight == "unpaid" and any(isinstance(m, OutcomePayment) and m.foundation
                                           for m in self.payments):
            raise ValueError("termination.in_flight = 'unpaid' with a foundation's advances is "
                             "not modelled (what happens to advances on lapsed cohorts is not "
                             "known); use 'paid' or remove the foundation")
        if t.rule is not None:
            d = t.rule.decision_month
            if d > c.length_months:
                raise ValueError(f"termination.rule.decision_month ({d}) must fall inside the "
                                 f"contract (at most length_months, {c.length_months}; at "
                                 "length_months it runs its length)")
            first = min(c.result_months())
            if d < first:
                raise ValueError(f"termination.rule.decision_month ({d}): no cohort's result is "
                                 f"published before month {first} (the first cohort's result "
                                 "month); decide then or later")

    def rule_measures(self) -> list[tuple[str, str]]:
        """The (measure, change) pairs the payment rules read, in spec order, once each."""
        pairs: list[tuple[str, str]] = []
        for mech in self.payments:
            for rule in rules(mech):
                if (rule.measure, rule.change) not in pairs:
                    pairs.append((rule.measure, rule.change))
        return pairs

    def measures_used(self) -> set[str]:
        """Every measure a payment rule or the stopping rule reads."""
        used = {m for m, _ in self.rule_measures()}
        if self.termination is not None and self.termination.rule is not None:
            used.add(self.termination.rule.measure)
        return used


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
    if spec.contract.calibrated:
        from .fields import flatten   # here: fields reads the schema this module defines
        paths = {row.path for row in flatten(spec)}
        for i, c in enumerate(spec.contract.calibrated):
            if c.field not in paths:
                leaf = c.field.rsplit(".", 1)[-1]
                near = sorted(p for p in paths if p.rsplit(".", 1)[-1] == leaf)
                problems.append((f"contract.calibrated.{i}.field", "no such field in this spec"
                                 + (f" (fields of that name: {', '.join(near[:6])})" if near
                                    else "; give a path as --set names it, e.g. "
                                    "payments.0.rates.0.price"), c.field))
    rule = spec.termination.rule if spec.termination is not None else None
    if rule is not None:
        path = "termination.rule"
        if rule.measure not in known:
            problems.append((f"{path}.measure", "unknown measure; allowed: " + ", ".join(known),
                             rule.measure))
        elif rule.change == "points" and not MEASURES.get(rule.measure, True):
            problems.append((f"{path}.change", f"'points' is for rate measures (binary and "
                             f"[[outcomes.other]]), not {rule.measure!r}; use 'percent' or "
                             "'absolute'", rule.change))
        elif rule.measure == "bed_days" and spec.outcomes.custody.probability == 0:
            problems.append((f"{path}.measure", "bed_days needs outcomes.custody.probability "
                             "and days_mean above 0", rule.measure))
    problems += _case_mix_problems(spec)
    return problems


def _case_mix_problems(spec: ContractSpec) -> list[tuple[str, str, object]]:
    """The two frequency measures share one count of reoffences, so when rules read both a
    `case_mix_adjusted` list adjusts both or neither. (A listed measure no rule reads is
    allowed and changes nothing: a spec may list what it adjusts before its rules read it.)"""
    listed = spec.evaluation.case_mix_adjusted
    if not isinstance(listed, list) or spec.evaluation.design != "historical_baseline":
        return []
    both = {"frequency_per_offender", "frequency_per_reoffender"}
    if both <= spec.measures_used() and len(both & set(listed)) == 1:
        return [("evaluation.case_mix_adjusted", "rules read both frequency measures, which "
                 "share one count of reoffences: list both or neither", listed)]
    return []
