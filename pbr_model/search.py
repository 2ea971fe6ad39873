"""Root finding on a simulated objective: where does a margin cross zero?

The objective is simulated on common random numbers, so it is one fixed function of
the parameter, but a step function in places (caps, thresholds, and probabilities over
finitely many simulations). :func:`find_crossing` brackets the crossing on the
function's monotone envelope, then closes in with regula falsi (Illinois) steps and a
bisection step whenever a step fails to halve the bracket, until the bracket is
narrower than the tolerance. Used by :mod:`pbr_model.analyses.breakeven`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Generic, Literal, TypeVar

T = TypeVar("T")

Status = Literal["solved", "at_bound", "not_reached"]

#: Most steps after bracketing (bisection alone halves the bracket each step).
MAX_STEPS = 200


@dataclass(frozen=True)
class Crossing(Generic[T]):
    """What the search found.

    Attributes
    ----------
    status : ``"solved"`` (crossing bracketed to the tolerance), ``"at_bound"`` (the target
        holds across the whole range: ``answer`` is at the range's end) or
        ``"not_reached"`` (it fails across the range: ``answer`` is the best point tried)
    answer : the evaluation at the end of the bracket where the target is met (or the best)
    bracket : ``(low, high)`` [parameter units]
    steps : evaluations after bracketing
    """

    status: Status
    answer: T
    bracket: tuple[float, float]
    steps: int


def find_crossing(evaluate: Callable[[float], T], margin: Callable[[T], float], *,
                  start: float, lo: float, hi: float, rising: bool, tol: float,
                  rank: Callable[[T], object] | None = None,
                  max_steps: int = MAX_STEPS) -> Crossing[T]:
    """Bracket the crossing from ``start`` towards the range's ends, then close in.

    Parameters
    ----------
    evaluate : the objective at a parameter value (each value is evaluated once per call)
    margin : how far inside the target an evaluation is (>= 0: met)
    start : where to begin (clipped into ``[lo, hi]``)
    lo, hi : the range searched
    rising : whether the margin improves as the parameter rises
    tol : the bracket width at which to stop [parameter units]
    rank : orders two evaluations when the target is never met (the larger is the best
        tried); ``margin`` by default
    max_steps : most steps after bracketing
    """
    start = min(max(start, lo), hi)
    first = evaluate(start)
    met_first = margin(first) >= 0
    # the end to try: where the target fails if it is met now, where it helps if not
    edge = (lo if rising else hi) if met_first else (hi if rising else lo)
    last = evaluate(edge) if edge != start else first
    if met_first and margin(last) >= 0:
        return Crossing("at_bound", last, (edge, edge), 0)
    if not met_first and margin(last) < 0:
        return Crossing("not_reached", max((first, last), key=rank or margin), (lo, hi), 0)
    fail, met = (last, first) if met_first else (first, last)
    xf, xm = (edge, start) if met_first else (start, edge)
    hf, hm = margin(fail), margin(met)
    side, bisect, steps = 0, False, 0
    while abs(xm - xf) > tol and steps < max_steps:
        width = abs(xm - xf)
        x = 0.5 * (xf + xm) if bisect else xm - hm * (xm - xf) / (hm - hf)  # hm >= 0 > hf
        # keep half a tolerance inside each end, so a step that lands beside an end
        # still closes the bracket to within the tolerance
        a, b = min(xf, xm), max(xf, xm)
        x = min(max(x, a + tol / 2), b - tol / 2)
        trial = evaluate(x)
        steps += 1
        h = margin(trial)
        if h >= 0:
            if side == 1:
                hf /= 2             # Illinois: the stale end weighs less, so both ends move
            xm, hm, met, side = x, h, trial, 1
        else:
            if side == -1:
                hm /= 2
            xf, hf, side = x, h, -1
        bisect = abs(xm - xf) > width / 2
    return Crossing("solved", met, (min(xf, xm), max(xf, xm)), steps)
