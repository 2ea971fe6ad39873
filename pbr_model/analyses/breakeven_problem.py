"""The parameter a break-even search solves for: what it is, where it is looked for and
how a trial value becomes a spec (used by :mod:`pbr_model.analyses.breakeven`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import InputError
from ..scenarios import FEE_PARTS, scale_fees, scale_prices, with_budget, with_effect
from ..spec.schema import ContractSpec

SOLVES = ("effect", "personal_budget", "price", "fee")
#: Bracket width at which the search stops, per parameter, in its units.
TOLERANCE = {"effect": 1e-4, "personal_budget": 1.0, "price": 1e-4, "fee": 1e-4}
#: Where the answer is looked for (the personal budget's upper end depends on the contract).
EFFECT_RANGE = (-0.5, 0.9)       # [fraction]
PRICE_RANGE = (0.0, 100.0)       # [factor]
FEE_RANGE = (0.0, 100.0)         # [factor]


def check_solve(solve: str, flag: str = "solve") -> str:
    """The parameter to solve for, by name (``personal-budget`` is read as ``personal_budget``)."""
    name = str(solve).strip().lower().replace("-", "_")
    if name not in SOLVES:
        raise InputError(f"{flag}: one of {', '.join(SOLVES)} (got {solve!r})")
    return name


# -- the parameter being solved for ---------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One solve: how to set the parameter, where to look, and the direction that helps."""

    name: str
    label: str
    unit: str
    current: float
    lo: float
    hi: float
    rising: bool            # does the result improve as the parameter rises?
    at: Callable[[float], ContractSpec]


def check_fees(fees: str, flag: str = "fees") -> str:
    """Which fees ``--solve fee`` scales: ``both``, ``annual`` or ``per_participant``
    (``per-participant`` is read as ``per_participant``)."""
    name = str(fees).strip().lower().replace("-", "_")
    if name not in FEE_PARTS:
        raise InputError(f"{flag}: one of {', '.join(FEE_PARTS)} (got {fees!r})")
    return name


def problem_for(solve: str, spec: ContractSpec, budget_hi: Callable[[], float],
             fees: str = "both") -> Problem:
    if solve == "effect":
        return Problem(solve, "true effect (known, on every outcome)", "fraction",
                        spec.intervention.effect.binary.mean, *EFFECT_RANGE, True,
                        lambda x: with_effect(spec, x))
    if solve == "personal_budget":
        pb = spec.intervention.personal_budget
        if pb.take_up <= 0:
            raise InputError(
                "--solve personal_budget: intervention.personal_budget.take_up is 0, so no one "
                "takes the budget up and its size changes nothing; give a take-up share, e.g. "
                "--set intervention.personal_budget.take_up=0.3")
        return Problem(solve, "personal budget per participant who takes it up",
                        "currency per taker", pb.amount, 0.0, budget_hi(), False,
                        lambda x: spec if x == pb.amount else with_budget(spec, x))
    if solve == "fee":
        _, fields = scale_fees(spec, 1.0, fees)
        if not any(v for _, v in fields):
            which = {"both": "an annual or per-participant fee",
                     "annual": "an annual fee", "per_participant": "a per-participant fee"}
            raise InputError(f"--solve fee: the spec has no fee mechanism with {which[fees]} "
                             f"above 0 to scale (--fees {fees}); give one, e.g. --set "
                             f"payments.0.annual=..., or choose --fees")
        label = {"both": "factor on every fee (annual and per participant)",
                 "annual": "factor on every annual fee",
                 "per_participant": "factor on every per-participant fee"}[fees]
        return Problem(solve, label, "factor", 1.0, *FEE_RANGE, True,
                        lambda k: spec if k == 1.0 else scale_fees(spec, k, fees)[0])
    _, fields = scale_prices(spec, 1.0)
    if not fields:
        raise InputError("--solve price: the spec has no outcome or tiered payment mechanism "
                         "whose prices could be scaled (fees and revenue at risk are not prices)")
    return Problem(solve, "factor on every outcome price, tier amount, cap and foundation",
                    "factor", 1.0, *PRICE_RANGE, True,
                    lambda k: spec if k == 1.0 else scale_prices(spec, k)[0])
