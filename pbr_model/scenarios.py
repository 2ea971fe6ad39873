"""What-if transforms of a spec: each returns a new spec, re-validated by the schema.

A scenario never edits a spec in place and never skips validation: the changed spec
is validated afresh (:func:`revalidated`), so a what-if that the schema would refuse
in a file is refused here too, with the scenario named in the message.

- :func:`shock_volumes`: planned paid volume and caseload cut by shares
  (``--paid-volume-shock``, ``--caseload-shock``, ``--volume-shock`` for both);
- :func:`with_effect`: one known true effect on every outcome (``pbr power``,
  ``pbr breakeven --solve effect``);
- :func:`with_budget`: a personal budget per taker (``--solve personal_budget``);
- :func:`scale_prices`: every outcome price, tier amount, cap and foundation times a
  factor (``--solve price``);
- :func:`scale_fees`: every fee mechanism's annual and/or per-participant fee times a
  factor (``--solve fee``);
- :func:`with_terms`: a provider profile's seat terms (``pbr capital --share``,
  ``--fee-share``, ``--pbr-share``).
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import SpecError
from .spec.parties import ProviderProfile
from .payments import price_fields
from .payments import prices as price_paths
from .payments import scale_prices as scale_mechanism
from .spec.schema import ContractSpec, EffectDistribution

M = TypeVar("M", bound=BaseModel)


def revalidated(model: M, scenario: str) -> M:
    """``model`` validated afresh by its schema; ``SpecError`` naming ``scenario`` and each
    field the schema refuses."""
    try:
        return type(model).model_validate(model.model_dump())
    except ValidationError as exc:
        raise SpecError([f"{scenario}: {'.'.join(str(p) for p in e['loc']) or '(spec)'}: "
                         f"{e['msg']}" for e in exc.errors()]) from None


def shock_volumes(spec: ContractSpec, paid_shock: float,
                  caseload_shock: float | None = None) -> ContractSpec:
    """The spec with its planned paid volume cut by ``paid_shock`` and its planned caseload
    (``entrants_per_period``) by ``caseload_shock`` (shares: 0.3 = 30% fewer, -0.2 = 20%
    more; ``caseload_shock`` omitted: the same as ``paid_shock``). Nothing else changes, so
    fixed costs and the annual fee stay as planned while per-participant fees follow the
    paid volume and per-participant costs the caseload. A spec without a paid-volume plan
    of its own gets one (its caseload plan) when the two shocks differ."""
    caseload_shock = paid_shock if caseload_shock is None else caseload_shock
    if paid_shock == 0 and caseload_shock == 0:
        return spec

    def cut(e, shock):
        return [x * (1 - shock) for x in e] if isinstance(e, list) else e * (1 - shock)

    c = spec.cohorts
    update = {"entrants_per_period": cut(c.entrants_per_period, caseload_shock)}
    if c.paid_volume_per_period is not None or paid_shock != caseload_shock:
        paid = c.entrants_per_period if c.paid_volume_per_period is None \
            else c.paid_volume_per_period
        update["paid_volume_per_period"] = cut(paid, paid_shock)
    label = (f"volume shock {paid_shock:g}" if paid_shock == caseload_shock else
             f"paid-volume shock {paid_shock:g}, caseload shock {caseload_shock:g}")
    return revalidated(spec.model_copy(update={"cohorts": c.model_copy(update=update)}), label)


def with_effect(spec: ContractSpec, effect: float) -> ContractSpec:
    """The spec with one known true effect on every outcome: the binary rate, reoffences
    per reoffender and each ``[[outcomes.other]]`` outcome (its relative improvement); where
    the spec states its effect as a cut in the offending rate, that cut instead of the
    binary and frequency effects (``by_band`` still scales it)."""
    # built unvalidated, then validated with the whole spec, so a bad effect is a SpecError
    known = EffectDistribution.model_construct(mean=effect, sd=0.0, min=min(effect, -0.5),
                                               max=max(effect, 0.9))
    inter = spec.intervention
    field = ({"offending_rate": known} if inter.effect.states_rate
             else {"binary": known, "frequency": known})
    new_effect = inter.effect.model_copy(update=field)
    others = [o.model_copy(update={"effect": known}) for o in spec.outcomes.other]
    return revalidated(spec.model_copy(update={
        "intervention": inter.model_copy(update={"effect": new_effect}),
        "outcomes": spec.outcomes.model_copy(update={"other": others}),
    }), f"true effect {effect:g}")


def with_budget(spec: ContractSpec, amount: float) -> ContractSpec:
    """The spec with a personal budget of ``amount`` [currency per taker]."""
    inter = spec.intervention
    budget = inter.personal_budget.model_copy(update={"amount": float(amount)})
    return revalidated(spec.model_copy(update={"intervention": inter.model_copy(
        update={"personal_budget": budget})}), f"personal budget {amount:g}")


def scale_prices(spec: ContractSpec, factor: float) -> tuple[ContractSpec, list[tuple[str, float]]]:
    """The spec with every outcome price scaled by ``factor``, and each scaled field as
    ``(--set path, value at factor 1)``.

    Each mechanism declares the fields a price factor scales (its ``price_fields`` facet
    in :mod:`pbr_model.payments`): in every ``type = "outcome"`` mechanism, each rate's
    ``price`` and ``deduction_price``, ``cap_per_cohort``, ``cap_total`` and
    ``foundation.per_participant``; in every ``type = "tiered"`` mechanism, each tier's
    ``amount`` and ``cap_total``. Fees, revenue at risk, thresholds, tier ``at`` values
    and costs stay as they are, so every outcome payment is exactly ``factor`` times its
    value at 1, simulation by simulation.
    """
    fields: list[tuple[str, float]] = []
    payments = []
    for i, mech in enumerate(spec.payments):
        fields += [(f"payments.{i}.{path}", value) for path, value in price_fields(mech)]
        payments.append(scale_mechanism(mech, factor))
    # each mechanism was validated as it was scaled, and prices enter no check across
    # sections, so the spec needs no second pass
    return spec.model_copy(update={"payments": payments}), fields


#: The fee levels ``scale_fees`` can scale, by the name ``--fees`` gives them.
FEE_PARTS = {"both": ("annual", "per_participant"), "annual": ("annual",),
             "per_participant": ("per_participant",)}


def scale_fees(spec: ContractSpec, factor: float, parts: str = "both"
               ) -> tuple[ContractSpec, list[tuple[str, float]]]:
    """The spec with the fee levels ``parts`` names (``"both"``, ``"annual"`` or
    ``"per_participant"``) of every ``type = "fee"`` mechanism multiplied by ``factor``,
    and each such field as ``(--set path, value at factor 1)``.

    Nothing else moves (outcome prices, revenue at risk, costs), and fees are paid whatever
    the outcome, so given the simulated volumes every fee flow is exactly ``factor`` times
    its value at 1: the contract's net is linear in the factor, simulation by simulation.
    """
    paths = FEE_PARTS[parts]
    fields: list[tuple[str, float]] = []
    payments = []
    for i, mech in enumerate(spec.payments):
        if mech.type != "fee":
            payments.append(mech)
            continue
        fields += [(f"payments.{i}.{path}", value)
                   for path, value in price_paths.expand(mech, paths)]
        payments.append(mech if factor == 1 else price_paths.scale(mech, paths, factor,
                                                                          "fee factor"))
    return spec.model_copy(update={"payments": payments}), fields


def with_terms(profile: ProviderProfile, share: float | None = None,
               pbr_share: float | None = None, fee_share: float | None = None
               ) -> ProviderProfile:
    """A profile with its seat terms overridden (``None`` keeps the profile's)."""
    update = {k: v for k, v in (("share", share), ("pbr_share", pbr_share),
                                ("fee_share", fee_share)) if v is not None}
    if not update:
        return profile
    return revalidated(profile.model_copy(update=update), f"{profile.name} seat terms")
