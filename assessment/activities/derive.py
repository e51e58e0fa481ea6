"""From tracks to profile values: weekly volume, the longest climb and run, and estimates of the
uphill test and the VK from the best climbs in training.

Elevation: GPS altitude wanders by metres from second to second, and summing every rise counts
that noise as climbing. Altitude is filtered with a hysteresis: a rise or a fall counts only once
it passes a threshold (``HYSTERESIS_M``: 2 m for a barometric altimeter, 5 m for GPS, whose
altitude is first averaged over 30 s), which keeps real hills and drops the jitter; a step faster
than any runner climbs (3 m/s) is an altimeter recalibrating and is taken out. The device's own total, where the file has one (a FIT session's
``total_ascent``), is reported beside ours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .read import Track

HYSTERESIS_M = {"barometric": 2.0, "gps": 5.0}
#: The uphill test's protocol: a 20-30 min steady climb at about 15%; windows on ground at least this steep.
STEEP_GRADE = 0.10
WINDOWS_MIN = (20, 25, 30)
VK_GAIN_M, VK_MAX_DISTANCE_M = 1000.0, 5000.0
WEEKS = 8


#: Faster than any runner climbs or drops (3 m/s is 10,800 m/h): a step in the altitude record (an
#: altimeter recalibrating at the start, a GPS fix jumping), taken out rather than counted.
MAX_VERTICAL_SPEED = 3.0


def filtered(track: Track) -> list[float | None]:
    """The altitude after the hysteresis filter, point by point (None where the file has none);
    impossible steps are removed first (the record after them is shifted to join up)."""
    h = HYSTERESIS_M["barometric" if track.barometric else "gps"]
    out: list[float | None] = []
    ref = prev = prev_t = None
    offset = 0.0
    points = track.points if track.barometric else _smoothed(track.points)
    for t, _, alt in points:
        if alt is None:
            out.append(ref)
            continue
        if prev is not None and abs(alt - prev) > MAX_VERTICAL_SPEED * max(t - prev_t, 1.0):
            offset += alt - prev
        prev, prev_t = alt, t
        level = alt - offset
        if ref is None or abs(level - ref) >= h:
            ref = level
        out.append(ref)
    return out


#: GPS altitude is averaged over this many seconds before the hysteresis (a barometric one is not).
GPS_SMOOTHING_S = 30.0


def _smoothed(points: list[tuple[float, float, float | None]]) -> list[tuple[float, float, float | None]]:
    """A centred moving mean of the altitude over GPS_SMOOTHING_S (points without one kept as they are)."""
    have = [(t, a) for t, _, a in points if a is not None]
    means: dict[float, float] = {}
    lo = hi = 0
    total = 0.0
    half = GPS_SMOOTHING_S / 2
    for t, _ in have:
        while hi < len(have) and have[hi][0] <= t + half:
            total += have[hi][1]
            hi += 1
        while have[lo][0] < t - half:
            total -= have[lo][1]
            lo += 1
        means[t] = total / (hi - lo)
    return [(t, d, means.get(t) if a is not None else None) for t, d, a in points]


def ascent(track: Track) -> float:
    alt = [a for a in filtered(track) if a is not None]
    return sum(max(0.0, b - a) for a, b in zip(alt, alt[1:]))


def longest_climb(track: Track) -> float:
    """The largest gain without a descent of more than the hysteresis threshold in it."""
    alt = [a for a in filtered(track) if a is not None]
    best = low = 0.0
    if not alt:
        return 0.0
    low = alt[0]
    peak = alt[0]
    for a in alt[1:]:
        if a > peak:
            peak = a
            best = max(best, peak - low)
        elif a < peak:  # the filter already ignores small dips: a fall ends the climb
            low = peak = a
    return best


def best_vam(track: Track) -> tuple[float, int] | None:
    """The best climbing rate (m/h) over 20, 25 or 30 minutes on ground of 10% or more, and its minutes."""
    alt = filtered(track)
    pts = [(t, d, a) for (t, d, _), a in zip(track.points, alt) if a is not None]
    best = None
    for minutes in WINDOWS_MIN:
        span = minutes * 60
        j = 0
        for i in range(len(pts)):
            while j < len(pts) and pts[j][0] - pts[i][0] < span:
                j += 1
            if j >= len(pts):
                break
            gain = pts[j][2] - pts[i][2]
            run = pts[j][1] - pts[i][1]
            if gain > 0 and run > 0 and gain / run >= STEEP_GRADE:
                vam = gain / ((pts[j][0] - pts[i][0]) / 3600)
                if best is None or vam > best[0]:
                    best = (vam, minutes)
    return best


def best_vk(track: Track) -> float | None:
    """The shortest time (minutes) to climb 1,000 m within 5 km: a VK-equivalent from training."""
    alt = filtered(track)
    pts = [(t, d, a) for (t, d, _), a in zip(track.points, alt) if a is not None]
    best = None
    for i in range(len(pts)):
        for j in range(i + 1, len(pts)):
            if pts[j][1] - pts[i][1] > VK_MAX_DISTANCE_M:
                break
            if pts[j][2] - pts[i][2] >= VK_GAIN_M:
                minutes = (pts[j][0] - pts[i][0]) / 60
                best = minutes if best is None else min(best, minutes)
                break
    return best


@dataclass
class Derived:
    """Each value with how it was found and the activities behind it."""

    values: dict[str, float] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)
    behind: dict[str, list[str]] = field(default_factory=dict)
    activities: list[dict] = field(default_factory=list)


def _label(t: Track) -> str:
    return f"{t.name} ({t.start:%Y-%m-%d})"


def derive(tracks: list[Track], as_of: dt.date) -> Derived:
    out = Derived()
    since = as_of - dt.timedelta(weeks=WEEKS)
    recent = [t for t in tracks if since <= t.start.date() <= as_of]
    for t in tracks:
        out.activities.append({
            "name": t.name, "source": t.source, "date": t.start.date().isoformat(), "sport": t.sport,
            "distance_km": round(t.distance_m / 1000, 2), "duration_min": round(t.duration_s / 60, 1),
            "ascent_m": round(ascent(t)), "device_ascent_m": t.device_ascent_m,
            "altitude": "barometric" if t.barometric else "GPS",
        })
    if recent:
        km = sum(t.distance_m for t in recent) / 1000 / WEEKS
        up = sum(ascent(t) for t in recent) / WEEKS
        out.values["weekly_km"], out.values["weekly_dplus_m"] = round(km, 1), round(up)
        out.method["weekly_km"] = out.method["weekly_dplus_m"] = (
            f"the mean of the {WEEKS} weeks before {as_of} ({len(recent)} "
            f"{'activities' if len(recent) != 1 else 'activity'}), climbing after the hysteresis filter")
        out.behind["weekly_km"] = out.behind["weekly_dplus_m"] = [_label(t) for t in recent]
        longest = max(recent, key=lambda t: t.duration_s)
        out.values["longest_run_time"] = round(longest.duration_s / 60, 1)
        out.method["longest_run_time"] = f"the longest activity of the {WEEKS} weeks before {as_of}"
        out.behind["longest_run_time"] = [_label(longest)]
    climbs = [(longest_climb(t), t) for t in recent or tracks]
    if climbs:
        gain, t = max(climbs, key=lambda c: c[0])
        if gain > 0:
            out.values["longest_climb_m"] = round(gain)
            out.method["longest_climb_m"] = "the largest gain without a real descent in it"
            out.behind["longest_climb_m"] = [_label(t)]
    vams = [(best_vam(t), t) for t in tracks]
    vams = [(v, t) for v, t in vams if v is not None]
    if vams:
        (vam, minutes), t = max(vams, key=lambda v: v[0][0])
        out.values["uphill_test_vam"] = round(vam)
        out.method["uphill_test_vam"] = (f"an estimate from training, not a test: the best {minutes}-minute climb "
                                         f"on ground of {round(100 * STEEP_GRADE)}% or more")
        out.behind["uphill_test_vam"] = [_label(t)]
    vks = [(best_vk(t), t) for t in tracks]
    vks = [(v, t) for v, t in vks if v is not None]
    if vks:
        minutes, t = min(vks, key=lambda v: v[0])
        out.values["vk_time"] = round(minutes, 2)
        out.method["vk_time"] = "an estimate from training, not a race: the fastest 1,000 m of climbing within 5 km"
        out.behind["vk_time"] = [_label(t)]
    return out
