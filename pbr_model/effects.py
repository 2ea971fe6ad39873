"""How a stated true effect becomes each band's cut in the binary rate and in reoffences per
reoffender, and what it implies for the contract's measures.

An effect is stated either per measure (``[intervention.effect] binary`` and
``frequency``: relative cuts in the chance of any proven reoffence and in reoffences per
reoffender) or as one cut in the underlying rate of offending (``offending_rate``), from
which both follow. Either way ``by_band`` scales it in each risk band (1 = the stated
effect, 0 = none).

The offending-rate model, per band: a person's count of proven reoffences in the follow-up
is Poisson with a gamma-distributed rate (a negative binomial, shape ``kappa``, mean
``mu``), solved so that it reproduces the band's baseline binary rate ``p0`` and
reoffences per reoffender ``m0``::

    mu = p0 m0,    P(0) = (1 + mu / kappa) ** -kappa = 1 - p0.

Cutting every person's rate by ``e`` gives ``mu' = (1 - e) mu``,
``p' = 1 - (1 + mu' / kappa) ** -kappa`` and ``m' = mu' / p'``; the band's implied cuts are
``1 - p' / p0`` and ``1 - m' / m0``. The engine applies them as it applies per-measure
effects (counts are still drawn in aggregate). Its own draw of reoffences per reoffender
(``1 + NB`` extras with the band's ``dispersion``) is a separate approximation; the two
agree on the mean per reoffender (``mu / p0 = m0``) by construction, not on the shape.

A ``kappa`` exists only if the band has more people with no reoffence than a Poisson count
of the same mean would give (``1 - p0 > exp(-mu)``): a gamma mixture only adds zeros. A
band without one (e.g. 50% reoffending at 1.1 reoffences per reoffender) cannot be given an
offending-rate effect: the spec refuses it, naming the band
(:meth:`pbr_model.spec.schema.RiskBand.poisson_gamma_problem`).

Arrays: bands last; simulations first where there are any, e.g. ``(n_sims, 1, n_bands)``.
Rates as fractions, effects as relative reductions (0.05 = 5% fewer).
"""

from __future__ import annotations

import numpy as np

#: Bisection steps on log kappa: the bracket [-50, 80] halves to below one ulp long before.
KAPPA_STEPS = 200
LOG_KAPPA_RANGE = (-50.0, 80.0)


def feasible(p0, m0) -> np.ndarray:
    """Whether a Poisson-gamma count fits the band: ``-log(1 - p0) < p0 m0`` [bool]."""
    p0, m0 = np.asarray(p0, dtype=np.float64), np.asarray(m0, dtype=np.float64)
    return -np.log1p(-p0) < p0 * m0


def solve_kappa(p0, m0) -> np.ndarray:
    """The gamma shape ``kappa`` of each band's offending rate, vectorised [dimensionless].

    Solves ``kappa log(1 + mu / kappa) = -log(1 - p0)`` with ``mu = p0 m0``: the left side
    rises in ``kappa`` from 0 to ``mu``, so bisection on ``log kappa`` over a fixed number of
    steps finds the root to the last bit. ``inf`` where the band is Poisson to double
    precision (the root lies beyond ``exp(80)``); NaN where no root exists (see
    :func:`feasible`).
    """
    p0, m0 = np.broadcast_arrays(np.asarray(p0, dtype=np.float64),
                                 np.asarray(m0, dtype=np.float64))
    mu, target = p0 * m0, -np.log1p(-p0)
    lo = np.full(p0.shape, LOG_KAPPA_RANGE[0])
    hi = np.full(p0.shape, LOG_KAPPA_RANGE[1])
    for _ in range(KAPPA_STEPS):
        mid = 0.5 * (lo + hi)
        k = np.exp(mid)
        below = k * np.log1p(mu / k) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    kappa = np.exp(0.5 * (lo + hi))
    kappa = np.where(hi >= LOG_KAPPA_RANGE[1], np.inf, kappa)
    return np.where(feasible(p0, m0), kappa, np.nan)


def zero_probability(mu, kappa) -> np.ndarray:
    """``P(0)`` of a negative binomial with mean ``mu`` and shape ``kappa`` (Poisson where
    ``kappa`` is ``inf``) [fraction]."""
    mu, kappa = np.broadcast_arrays(np.asarray(mu, dtype=np.float64),
                                    np.asarray(kappa, dtype=np.float64))
    finite = np.isfinite(kappa)
    k = np.where(finite, kappa, 1.0)
    return np.where(finite, np.exp(-k * np.log1p(mu / k)), np.exp(-mu))


def rate_cuts(e, p0, m0, kappa=None) -> tuple[np.ndarray, np.ndarray]:
    """Each band's relative cuts in the binary rate and in reoffences per reoffender implied
    by cutting every person's rate of offending by ``e`` [fraction].

    Parameters
    ----------
    e : relative cut in the offending rate, e.g. ``(n_sims, 1, 1)`` or a scalar [fraction]
    p0, m0 : each band's baseline binary rate [fraction] and reoffences per reoffender,
        ``(n_bands,)`` [reoffences]
    kappa : each band's gamma shape (default: :func:`solve_kappa`)

    Returns
    -------
    binary_cut, frequency_cut : ``1 - p'/p0`` and ``1 - m'/m0``, broadcast shape [fraction];
        at ``e = 1`` no one reoffends: a binary cut of 1 and a frequency cut of NaN.
    """
    p0, m0 = np.asarray(p0, dtype=np.float64), np.asarray(m0, dtype=np.float64)
    kappa = solve_kappa(p0, m0) if kappa is None else np.asarray(kappa, dtype=np.float64)
    mu_new = (1 - np.asarray(e, dtype=np.float64)) * (p0 * m0)
    p_new = 1 - zero_probability(mu_new, kappa)
    with np.errstate(invalid="ignore", divide="ignore"):
        m_new = np.where(p_new > 0, mu_new / np.where(p_new > 0, p_new, 1.0), np.nan)
    return 1 - p_new / p0, 1 - m_new / m0


def band_multipliers(effect, n_bands: int) -> np.ndarray:
    """``by_band`` as an array, ``(n_bands,)``: all ones when it is not given."""
    given = getattr(effect, "by_band", None)
    return np.ones(n_bands) if given is None else np.asarray(given, dtype=np.float64)


def band_cuts(spec, e_bin: np.ndarray, e_freq: np.ndarray,
              bounds: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The true cuts each band's binary rate and reoffences per reoffender take, each
    broadcastable to ``(n_sims, n_cohorts, n_bands)`` [fraction].

    ``e_bin`` and ``e_freq`` are the per-simulation draws ``(n_sims,)`` of the stated
    effects; with ``offending_rate`` stated, ``e_bin`` holds its draw (``e_freq`` is then
    unread). ``by_band`` scales the stated effect (the rate cut, or each measure's cut) in
    each band. Without ``offending_rate`` or ``by_band`` the draws come back as
    ``(n_sims, 1, 1)``, the very numbers the engine has always applied. ``bounds``
    replaces the distributions' ``[min, max]`` that scaled effects are clipped to.
    """
    effect = spec.intervention.effect
    bands = spec.population.bands
    if not effect.states_rate and effect.by_band is None:
        return e_bin[:, None, None], e_freq[:, None, None]
    scale = band_multipliers(effect, len(bands))[None, None, :]

    def scaled(e, dist):   # a scaled effect stays within its distribution's bounds
        lo, hi = (dist.min, dist.max) if bounds is None else bounds
        return np.clip(e[:, None, None] * scale, lo, hi)

    if not effect.states_rate:
        return scaled(e_bin, effect.binary), scaled(e_freq, effect.frequency)
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    return rate_cuts(scaled(e_bin, effect.offending_rate), p0, m0)


def mix_cuts(spec, e_bin, e_freq, bounds: tuple[float, float] | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
    """The cuts in the binary rate and in reoffences per reoffender at the spec's baseline
    risk mix (band shares, baseline rates, no trend), for effects ``e_bin`` and ``e_freq``
    (arrays ``(n,)`` or scalars; with ``offending_rate`` stated, ``e_bin`` is its value)
    [fraction]. As the engine applies them: reoffences per reoffender are at least 1;
    ``bounds`` as :func:`band_cuts`."""
    bands = spec.population.bands
    shares = np.array([b.share for b in bands])
    shares = shares / shares.sum()
    p0 = np.array([b.binary_rate for b in bands])
    m0 = np.array([b.reoffences_per_reoffender for b in bands])
    e_bin = np.atleast_1d(np.asarray(e_bin, dtype=np.float64))
    e_freq = np.atleast_1d(np.asarray(e_freq, dtype=np.float64))
    cut_b, cut_f = band_cuts(spec, e_bin, e_freq, bounds)
    cut_b, cut_f = cut_b[:, 0, :], cut_f[:, 0, :]
    p_new = p0 * (1 - cut_b)
    m_new = np.maximum(m0 * (1 - cut_f), 1.0)
    base_p = float(np.sum(shares * p0))
    base_r = float(np.sum(shares * p0 * m0))
    new_p = np.sum(shares * p_new, axis=-1)
    new_r = np.sum(shares * p_new * m_new, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        freq = 1 - (new_r / new_p) / (base_r / base_p)
    return 1 - new_p / base_p, freq


def implied_cuts(spec, effect: float | None = None) -> dict[str, float | str | None]:
    """What a stated true effect means for each measure, at the spec's baseline mix (its
    expected value: the mean effect, no trend, no noise), for reports to show beside it.

    Parameters
    ----------
    spec : the contract spec
    effect : a known effect to read instead of the spec's mean (``pbr power``'s grid,
        ``pbr breakeven --solve effect``'s answer): the offending-rate cut where the spec
        states one, else the cut in both measures (as :func:`pbr_model.scenarios.with_effect`
        sets it)

    Returns
    -------
    dict with ``stated_as`` (``"offending_rate"`` or ``"per_measure"``), ``offending_rate``
    (the rate cut; only when stated as one) [fraction], ``binary_cut`` (relative) [fraction] and
    ``binary_points`` [percentage points] (both at the baseline mix), ``frequency_cut``
    (relative, in reoffences per reoffender) [fraction] and ``baseline_binary_rate``
    [fraction]; ``by_band`` scaling is included.
    """
    eff = spec.intervention.effect
    rate = eff.states_rate
    if effect is None:
        e_bin = eff.offending_rate.mean if rate else eff.binary.mean
        e_freq = eff.frequency.mean
        bounds = None
    else:
        e_bin = e_freq = float(effect)
        # the bounds scenarios.with_effect gives a known effect
        bounds = (min(e_bin, -0.5), max(e_bin, 0.9))
    cut_b, cut_f = mix_cuts(spec, e_bin, e_freq, bounds)
    bands = spec.population.bands
    total = sum(b.share for b in bands)
    base = sum(b.share / total * b.binary_rate for b in bands)
    return {
        "stated_as": "offending_rate" if rate else "per_measure",
        **({"offending_rate": float(e_bin)} if rate else {}),
        "binary_cut": float(cut_b[0]),
        "binary_points": float(100 * base * cut_b[0]),
        "frequency_cut": float(cut_f[0]),
        "baseline_binary_rate": float(base),
    }


def true_cuts(spec, e_bin: np.ndarray, e_freq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each simulation's true effects as the engine reports them, ``(n_sims,)`` [fraction]:
    the stated per-measure draws themselves, or with ``offending_rate`` or ``by_band`` the
    cuts they make at the spec's baseline mix (:func:`mix_cuts`)."""
    effect = spec.intervention.effect
    if not effect.states_rate and effect.by_band is None:
        return e_bin, e_freq
    return mix_cuts(spec, e_bin, e_freq)
