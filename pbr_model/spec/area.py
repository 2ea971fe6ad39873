"""How one contract area departs from the national trend: ``[area]``.

Areas differ. An area's reoffending deviates from what its own baseline and the national
trend (``[trend]``) predict, by a persistent amount drawn once per simulation (the area's
courts, police, local labour market, the provider's management) and by an area-by-period
amount drawn independently for each cohort. Both are in the same units as ``[trend]``: the
log odds of reoffending and the log of reoffences per reoffender. They move the treated
cohorts' counterfactual (so the treated too) and a group that lives in the same area (an
RCT's control group), not a national matched comparison group (Peterborough's).

Left at zero (the default) an area follows the national trend exactly, as before this
section. In a portfolio each area keeps its own ``[area]`` (the portfolio replaces only
``[trend]``) and draws its own deviations, independent of the other areas'.
"""

from __future__ import annotations

from ._base import _f, _Model


class Area(_Model):
    """The area's own deviation from the national trend: persistent (drawn once per
    simulation) and area-by-period (drawn per cohort), each normal with mean 0; default none.
    """

    binary_logit_sd: float = _f(
        "Sd of the area's persistent deviation, drawn once per simulation, of its log odds of "
        "reoffending from what its baseline and the national trend predict.", "log odds",
        default=0.0, ge=0, le=2)
    binary_logit_period_sd: float = _f(
        "Sd of an area-by-period deviation of the log odds of reoffending, drawn independently "
        "for each cohort.", "log odds", default=0.0, ge=0, le=2)
    frequency_log_sd: float = _f(
        "Sd of the area's persistent deviation, drawn once per simulation, of its log "
        "reoffences per reoffender from what its baseline and the national trend predict.",
        "log", default=0.0, ge=0, le=2)
    frequency_log_period_sd: float = _f(
        "Sd of an area-by-period deviation of log reoffences per reoffender, drawn "
        "independently for each cohort.", "log", default=0.0, ge=0, le=2)

    @property
    def is_on(self) -> bool:
        """Whether any deviation is drawn (all zero: the area follows the national trend)."""
        return any(v > 0 for v in (self.binary_logit_sd, self.binary_logit_period_sd,
                                   self.frequency_log_sd, self.frequency_log_period_sd))
