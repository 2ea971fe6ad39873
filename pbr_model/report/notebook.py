"""How results display themselves in Jupyter: each result's ``_repr_html_``
(:meth:`pbr_model.analyses.base.HasProvenance._repr_html_`) asks :func:`card` here for
its headline table and one chart (small: no full page; ``--html`` writes that)."""

from __future__ import annotations

from typing import Any, Callable


def _cards() -> dict[str, Callable[[Any], str]]:
    from .breakeven import breakeven_card
    from .capital import capital_card
    from .portfolio import portfolio_card
    from .power import power_card
    from .settle import settlement_card
    from .simulate import simulation_card
    return {"SimulationResult": simulation_card, "CapitalResult": capital_card,
            "PortfolioResult": portfolio_card, "PowerResult": power_card,
            "BreakevenResult": breakeven_card, "SettlementResult": settlement_card}


def card(result: Any) -> str | None:
    """The notebook display of ``result``, or None when its kind has none (Jupyter then
    shows its plain ``repr``)."""
    draw = _cards().get(type(result).__name__)
    return None if draw is None else draw(result)
