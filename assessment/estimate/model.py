"""The finish-time model: a runner's results, scaled to a course by its km-effort, weighted by how
recent and how alike in size they are; the spread from how far and how old they are.

Pure arithmetic on plain numbers, shared by ``scripts/fit_estimate.py`` (which fits the
coefficients on real race histories) and by :mod:`assessment.estimate.finish` (which applies
the coefficients the pack ships): what was fitted is what runs.

For a target course of effort E* and results (E_i, T_i, age a_i in years)::

    w_i      = exp(-a_i / tau) * exp(-(ln(E*/E_i))^2 / (2 lam^2))
    ln T*    = sum w_i (ln T_i + g(E*) - g(E_i)) / sum w_i,   g(E) = b u + (k/2) u^2,  u = ln(E/E0)
    sigma^2  = s0^2 + s1^2 / n_eff + (s2 d)^2 + (s3 a)^2

so the exponent at effort E is b + k ln(E/E0): time grows faster with effort on long courses
than on short ones (night, sleep, food), and E0 = 70 km-effort (Zegama's) keeps b readable as
the exponent there. n_eff = (sum w)^2 / sum w^2, d and a the weighted mean |ln(E*/E_i)| and age. Effort is
km + alpha x D+/100 (alpha = 1 is ITRA's km-effort). The interval and the probabilities come
from the quantiles of the standardised residuals, not from a normal law: bad
days make the slow tail longer than the fast one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class Coefficients:
    exponent: float        # b: the exponent of time in effort, at E0
    curvature: float       # k: how the exponent grows per unit of ln(E/E0)
    climb_weight: float    # alpha: D+ counted as alpha x D+/100 km
    recency_years: float   # tau
    size_spread: float     # lam, in ln units of effort
    s0: float              # the spread of a runner's results around their level
    s1: float              # the part that shrinks with more results
    s2: float              # per unit of ln(effort ratio): extrapolating further is less sure
    s3: float              # per year of age of the results


@dataclass(frozen=True)
class Input:
    effort: float          # km-effort (with the climb weight) of the result
    minutes: float
    age_years: float       # before the assessment date
    extra_sigma: float = 0.0  # a benchmark converted to a race carries its conversion's doubt


@dataclass(frozen=True)
class Prediction:
    log_mid: float
    sigma: float
    n_eff: float
    distance: float        # weighted mean |ln(E*/E_i)|
    age: float             # weighted mean age, years

    @property
    def mid(self) -> float:
        return math.exp(self.log_mid)


E0 = 70.0  # km-effort where ``exponent`` is the exponent (Zegama: 42.2 km + 2,736 m / 100 = 69.6)


def scale(c: Coefficients, e: float) -> float:
    """g(E): ln of the time a runner needs for effort E, up to their own level."""
    u = math.log(e / E0)
    return c.exponent * u + 0.5 * c.curvature * u * u


def effort(distance_km: float, dplus_m: float | None, climb_weight: float) -> float:
    return distance_km + climb_weight * (dplus_m or 0.0) / 100.0


def weights(inputs: Sequence[Input], target_effort: float, c: Coefficients) -> list[float]:
    """Each input's weight: recency, likeness in size, and (for a converted benchmark) its doubt."""
    out = []
    for x in inputs:
        r = math.log(target_effort / x.effort)
        w = math.exp(-x.age_years / c.recency_years - r * r / (2 * c.size_spread ** 2))
        if x.extra_sigma:  # a converted benchmark counts as much as its doubt allows
            w *= c.s0 ** 2 / (c.s0 ** 2 + x.extra_sigma ** 2)
        out.append(max(w, 1e-300))
    return out


def predict(inputs: Sequence[Input], target_effort: float, c: Coefficients) -> Prediction | None:
    """The estimate on a course of ``target_effort``; None without inputs."""
    if not inputs:
        return None
    sw = sww = acc = dist = age = extra = 0.0
    g_target = scale(c, target_effort)
    for x, w in zip(inputs, weights(inputs, target_effort, c)):
        r = math.log(target_effort / x.effort)
        sw += w
        sww += w * w
        acc += w * (math.log(x.minutes) + g_target - scale(c, x.effort))
        dist += w * abs(r)
        age += w * x.age_years
        extra += w * x.extra_sigma ** 2
    n_eff = sw * sw / sww
    d, a = dist / sw, age / sw
    sigma = math.sqrt(c.s0 ** 2 + c.s1 ** 2 / n_eff + (c.s2 * d) ** 2 + (c.s3 * a) ** 2 + extra / sw)
    return Prediction(acc / sw, sigma, n_eff, d, a)


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """Linear interpolation between order statistics (p from 0 to 1)."""
    n = len(sorted_values)
    pos = p * (n - 1)
    lo = int(math.floor(pos))
    hi = min(lo + 1, n - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


#: The probabilities at which the standardised residuals' quantiles are shipped: finer in the tails,
#: where a pass probability is read.
PROBS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65,
         0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 0.975, 0.99, 0.995, 0.999)


def cdf(levels: Sequence[tuple[float, float]], z: float) -> float:
    """P(Z <= z) from ``levels``, (p, z) pairs in increasing order; held at the outermost p beyond
    them (the sample says no more than that)."""
    if z <= levels[0][1]:
        return levels[0][0]
    for (p0, z0), (p1, z1) in zip(levels, levels[1:]):
        if z <= z1:
            return p0 if z1 == z0 else p0 + (p1 - p0) * (z - z0) / (z1 - z0)
    return levels[-1][0]


def level_at(levels: Sequence[tuple[float, float]], p: float) -> float:
    """The standardised residual at probability ``p`` (the inverse of :func:`cdf`)."""
    if p <= levels[0][0]:
        return levels[0][1]
    for (p0, z0), (p1, z1) in zip(levels, levels[1:]):
        if p <= p1:
            return z0 + (z1 - z0) * (p - p0) / (p1 - p0)
    return levels[-1][1]


def ss_arrival(goal_min: float | None, front: tuple[float, float], back: tuple[float, float]) -> float | None:
    """Minutes to Sancti Spiritu for a finishing time: the share of the time spent there falls linearly
    from the leaders' (``front``: finish minutes, share) to the back of the field's (``back``)."""
    if goal_min is None:
        return None
    (t0, s0), (t1, s1) = front, back
    share = s0 + (s1 - s0) * (goal_min - t0) / (t1 - t0)
    return round(goal_min * share, 1)
