"""The service: its uncertain true effect on reoffending, what it costs the provider and any
personal budget (``[intervention]``). Effects are relative reductions (0.05 = 5% fewer).
"""

from __future__ import annotations

from pydantic import model_validator

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

