"""The service: its uncertain true effect on reoffending, what it costs the provider and any
personal budget (``[intervention]``). Effects are relative reductions (0.05 = 5% fewer).
"""

from __future__ import annotations

from pydantic import field_validator, model_validator

from ._base import _f, _Model


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

    @property
    def stated(self) -> bool:
        """Whether an effect is stated: its mean or sd is not 0."""
        return self.mean != 0 or self.sd != 0

    @model_validator(mode="after")
    def _order(self) -> "EffectDistribution":
        if not self.min <= self.mean <= self.max:
            raise ValueError(
                f"mean ({self.mean}) must lie between min ({self.min}) and max ({self.max})"
            )
        return self


class Effect(_Model):
    """The service's true effects, as relative reductions (0.05 = 5% fewer): per measure
    (``binary``, ``frequency``) or as one cut in the underlying rate of offending
    (``offending_rate``, from which both follow), not both; ``by_band`` scales the stated
    effect in each risk band."""

    binary: EffectDistribution = _f(
        "True relative reduction in the probability of any proven reoffence.", "distribution",
        default_factory=EffectDistribution,
    )
    frequency: EffectDistribution = _f(
        "True relative reduction in reoffences per reoffender.", "distribution",
        default_factory=EffectDistribution,
    )
    offending_rate: EffectDistribution = _f(
        "True relative reduction in each person's underlying rate of offending; the cuts in "
        "the binary rate and in reoffences per reoffender follow, band by band, from a "
        "Poisson-gamma offending model fitted to the band's baseline (docs/methodology.md, "
        "'Stating the effect'). Stated (mean or sd not 0): leave binary and frequency out (or their mean and sd at 0).",
        "distribution", default_factory=EffectDistribution,
    )
    by_band: list[float] | None = _f(
        "Multiplier of the stated effect in each risk band, one per population band in "
        "order (1 = the stated effect, 0 = none: [1, 0, 0, 0] works for the first band "
        "only); each scaled effect is clipped to its distribution's [min, max]. Omitted: 1 "
        "in every band.", "multipliers", default=None, min_length=1, max_length=50,
    )

    @field_validator("by_band")
    @classmethod
    def _multipliers(cls, given: list[float] | None) -> list[float] | None:
        if given is not None:
            bad = [(i, v) for i, v in enumerate(given) if not 0 <= v <= 10]
            if bad:
                raise ValueError(f"by_band[{bad[0][0]}] is {bad[0][1]!r}: each multiplier must "
                                 "be from 0 (no effect in that band) to 10 (1 = the stated "
                                 "effect)")
        return given

    @model_validator(mode="after")
    def _one_way(self) -> "Effect":
        if self.states_rate and (self.binary.stated or self.frequency.stated):
            raise ValueError("offending_rate is stated, so binary and frequency follow from "
                             "it: remove [intervention.effect.binary] and "
                             "[intervention.effect.frequency] (or set their mean and sd to 0), "
                             "or state the effect per measure and remove offending_rate")
        return self

    @property
    def states_rate(self) -> bool:
        """Whether the effect is stated as a cut in the offending rate (its mean or sd is
        not 0)."""
        return self.offending_rate.stated


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

