"""Money: the provider's monthly cash timeline (capital, investors and the
commissioner's view build on it)."""

from .cash import CashFigures, cash_figures, monthly_costs, monthly_discount_factors

__all__ = ["CashFigures", "cash_figures", "monthly_costs", "monthly_discount_factors"]
