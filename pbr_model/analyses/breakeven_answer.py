"""Break-even answers as a reader can trust them: the provider's target, and each answer's
Monte Carlo standard error and the precision it is shown to (used by
:mod:`pbr_model.analyses.breakeven`)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Literal

from typing import TYPE_CHECKING

import numpy as np

from ..errors import InputError

if TYPE_CHECKING:
    from .breakeven_problem import Problem

#: Half the distance between the two trials that give the slope at the answer: for the
#: effect 0.5 percentage points; for the others 5% of the answer (at least 10 tolerances).
PROBE = {"effect": 0.005, "personal_budget": 0.05, "price": 0.05, "fee": 0.05}
TARGET_FORMS = "'expected-net' or 'prob-loss=P' with P a probability strictly between 0 and 1"


@dataclass(frozen=True)
class Target:
    """What the provider needs: ``kind`` ``"expected-net"`` (mean result >= 0) or
    ``"prob-loss"`` (P(result < 0) <= ``prob``)."""

    kind: Literal["expected-net", "prob-loss"] = "expected-net"
    prob: float | None = None

    def __str__(self) -> str:
        return self.kind if self.prob is None else f"{self.kind}={self.prob:g}"

    @property
    def label(self) -> str:
        return "expected net >= 0" if self.prob is None else f"P(loss) <= {self.prob:.4g}"


def parse_target(text: str | Target, flag: str = "target") -> Target:
    """``expected-net`` or ``prob-loss=P`` (0 < P < 1) -> :class:`Target`."""
    if isinstance(text, Target):
        return text
    raw = str(text).strip().lower().replace("_", "-")
    if raw == "expected-net":
        return Target()
    name, sep, value = raw.partition("=")
    if name.strip() == "prob-loss" and sep:
        try:
            p = float(value)
        except ValueError:
            p = math.nan
        if 0 < p < 1:
            return Target("prob-loss", p)
    raise InputError(f"{flag}: expected {TARGET_FORMS}, e.g. prob-loss=0.2 (got {text!r})")


@dataclass(frozen=True)
class Trial:
    """The objective at one parameter value ``x``: mean result [currency], P(result < 0),
    their Monte Carlo standard errors, and the number of simulations ``n``."""

    x: float
    expected_net: float
    prob_loss: float
    se_net: float
    se_prob: float
    n: int

    @classmethod
    def of(cls, x: float, result: np.ndarray) -> Trial:
        r = np.asarray(result, dtype=np.float64)
        n = r.size
        p = float((r < 0).mean())
        sd = float(r.std(ddof=1)) if n > 1 else math.nan
        return cls(float(x), float(r.mean()), p, sd / math.sqrt(n), math.sqrt(p * (1 - p) / n), n)

    def margin(self, target: Target) -> float:
        """How far inside the target (>= 0: met) [currency, or probability]."""
        return self.expected_net if target.prob is None else target.prob - self.prob_loss

    def metric(self, target: Target) -> float:
        return self.expected_net if target.prob is None else self.prob_loss

    def se(self, target: Target) -> float:
        return self.se_net if target.prob is None else self.se_prob

    def to_dict(self, target: Target) -> dict:
        return {"value": self.x, "expected_net": self.expected_net, "prob_loss": self.prob_loss,
                "metric": self.metric(target), "se": self.se(target),
                "meets_target": self.margin(target) >= 0}


def precision(se: float | None, tol: float) -> float:
    """The step an answer is shown to: two significant figures of its standard error
    ``se``, never finer than the power of ten at or below the tolerance ``tol``
    [parameter units]; the tolerance's power of ten when ``se`` is not known."""
    floor = 10.0 ** math.floor(math.log10(tol))
    if se is None or not math.isfinite(se) or se <= 0:
        return floor
    return max(10.0 ** (math.floor(math.log10(se)) - 1), floor)


def rounded(x: float, step: float, how: str = "nearest") -> float:
    """``x`` to a multiple of ``step`` (a power of ten): ``nearest``, ``down`` or ``up``."""
    digits = -round(math.log10(step))
    q = x / step
    n = {"nearest": round(q), "down": math.floor(q + 1e-9), "up": math.ceil(q - 1e-9)}[how]
    return round(n * step, max(digits, 0))


def round_up(x: float) -> float:
    """``x`` rounded up to two significant figures (a readable bracket end)."""
    if x <= 0:
        return 1.0
    unit = 10.0 ** (math.floor(math.log10(x)) - 1)
    return math.ceil(x / unit - 1e-9) * unit


def answer_error(evaluate: Callable[[float], Trial], answer: Trial, solve: str, goal: Target,
                  problem: Problem, tol: float) -> tuple[float | None, float | None]:
    """The objective's slope at the answer and the answer's Monte Carlo standard error.

    The slope is the secant through two trials at the answer plus and minus
    :data:`PROBE` (clipped into the search range; the same seed, so the secant measures
    the parameter's effect, not noise). The standard error is the objective's at the
    answer over the slope's size; None when the slope is nil or runs the wrong way (a
    flat stretch of a step function: no local error can be read)."""
    x = answer.x
    h = PROBE[solve] if solve == "effect" else max(PROBE[solve] * abs(x), 10 * tol)
    a, b = max(x - h, problem.lo), min(x + h, problem.hi)
    if b <= a:
        return None, None
    slope = (evaluate(b).metric(goal) - evaluate(a).metric(goal)) / (b - a)
    # the margin improves with the parameter when rising; P(loss) falls as the margin rises
    helpful = slope if goal.prob is None else -slope
    if not problem.rising:
        helpful = -helpful
    if not helpful > 0:
        return float(slope), None
    return float(slope), answer.se(goal) / abs(slope)
