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
#: Weekly volume is derived only when at least this many of the 8 weeks hold an activity: fewer,
#: and the files are a part of the training (one run exported), not its whole.
MIN_WEEKS_COVERED = 4
#: The climbs that stand for today's form: a season (26 weeks) back from the as-of, no further.
FORM_WEEKS = 26


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


def ascent(track: Track, alt: list[float | None] | None = None) -> float:
    alt = [a for a in (filtered(track) if alt is None else alt) if a is not None]
    return sum(max(0.0, b - a) for a, b in zip(alt, alt[1:]))


def longest_climb(track: Track, alt: list[float | None] | None = None) -> float:
    """The largest gain without a descent of more than the hysteresis threshold in it."""
    alt = [a for a in (filtered(track) if alt is None else alt) if a is not None]
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


def best_vam(track: Track, alt: list[float | None] | None = None) -> tuple[float, int] | None:
    """The best climbing rate (m/h) over 20, 25 or 30 minutes on ground of 10% or more, and its minutes."""
    alt = filtered(track) if alt is None else alt
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


def best_vk(track: Track, alt: list[float | None] | None = None) -> float | None:
    """The shortest time (minutes) to climb 1,000 m within 5 km: a VK-equivalent from training.

    The filtered altitude moves in steps, so a fastest 1,000 m starts at the last point before a
    rise and ends at a rise: only those points are tried (a few hundred, not every pair of points)."""
    alt = filtered(track) if alt is None else alt
    pts = [(t, d, a) for (t, d, _), a in zip(track.points, alt) if a is not None]
    rises = [k for k in range(1, len(pts)) if pts[k][2] > pts[k - 1][2]]
    best = None
    for n, k in enumerate(rises):
        t0, d0, a0 = pts[k - 1]
        for j in rises[n:]:
            t, d, a = pts[j]
            if d - d0 > VK_MAX_DISTANCE_M:
                break
            if a - a0 >= VK_GAIN_M:
                minutes = (t - t0) / 60
                best = minutes if best is None else min(best, minutes)
                break
    return best


#: Uphill Athlete's heart-rate drift test: an hour at a steady, easy effort on flat ground (or a
#: treadmill); a drift under 5% puts the starting heart rate at or below the aerobic threshold (AeT),
#: over 5% above it (uphillathlete.com/videos/heart-rate-drift-test). Drift is measured as
#: TrainingPeaks' Pa:HR decoupling: speed per heartbeat in the first half against the second.
DRIFT_LIMIT_PCT = 5.0
DRIFT_WARMUP_S, DRIFT_WINDOW_S = 10 * 60, 60 * 60
#: Flat enough for the test: climbing and descending each under this many metres a km in the hour.
DRIFT_FLAT_M_PER_KM = 10.0
#: Heart rate on at least this share of the hour's points (a strap that dropped out is no test).
DRIFT_HR_COVERAGE = 0.9


def hr_drift(track: Track, alt: list[float | None] | None = None) -> dict | None:
    """The heart-rate drift of the hour after a 10-minute warm-up, where the run is long, flat and
    steady enough and has heart rate: {'drift_pct', 'start_hr', 'aet'}, or None."""
    if track.hr is None or track.duration_s < DRIFT_WARMUP_S + DRIFT_WINDOW_S:
        return None
    t0 = track.points[0][0] + DRIFT_WARMUP_S
    alt = filtered(track) if alt is None else alt
    window = [(p, h, a) for p, h, a in zip(track.points, track.hr, alt) if t0 <= p[0] <= t0 + DRIFT_WINDOW_S]
    if len(window) < 20 or sum(1 for _, h, _ in window if h) < DRIFT_HR_COVERAGE * len(window):
        return None
    km = (window[-1][0][1] - window[0][0][1]) / 1000
    levels = [a for _, _, a in window if a is not None]
    up = sum(max(0.0, b - a) for a, b in zip(levels, levels[1:]))
    down = sum(max(0.0, a - b) for a, b in zip(levels, levels[1:]))
    if km <= 0 or up / km > DRIFT_FLAT_M_PER_KM or down / km > DRIFT_FLAT_M_PER_KM:
        return None
    mid = t0 + DRIFT_WINDOW_S / 2
    halves = [[w for w in window if w[0][0] < mid], [w for w in window if w[0][0] >= mid]]
    ef = []
    for half in halves:
        hrs = [h for _, h, _ in half if h]
        secs = half[-1][0][0] - half[0][0][0]
        if not hrs or secs <= 0:
            return None
        ef.append(((half[-1][0][1] - half[0][0][1]) / secs) / (sum(hrs) / len(hrs)))
    first_hr = sum(h for _, h, _ in halves[0] if h) / sum(1 for _, h, _ in halves[0] if h)
    drift = (ef[0] / ef[1] - 1) * 100 if ef[1] > 0 else None
    if drift is None:
        return None
    return {"drift_pct": round(drift, 1), "start_hr": round(first_hr),
            "aet": "at or above" if drift < DRIFT_LIMIT_PCT else "below"}


@dataclass
class Summary:
    """What a track gives, kept once its points are let go (so an export of 1,000 files needs
    the memory of one of them)."""

    source: str
    name: str
    sport: str
    start: dt.datetime
    distance_m: float
    duration_s: float
    n_points: int
    ascent_m: float
    longest_climb_m: float
    vam: tuple[float, int] | None
    vk_min: float | None
    drift: dict | None
    barometric: bool
    device_ascent_m: float | None

    @property
    def label(self) -> str:
        return f"{self.name} ({self.start:%Y-%m-%d})"


def summarise(track: Track) -> Summary:
    alt = filtered(track)  # once: every measure below reads the same filtered altitude
    return Summary(track.source, track.name, track.sport, track.start, track.distance_m, track.duration_s,
                   track.n_points, ascent(track, alt), longest_climb(track, alt), best_vam(track, alt),
                   best_vk(track, alt), hr_drift(track, alt), track.barometric, track.device_ascent_m)


@dataclass
class Derived:
    """Each value with how it was found and the activities behind it."""

    values: dict[str, float] = field(default_factory=dict)
    method: dict[str, str] = field(default_factory=dict)
    behind: dict[str, list[str]] = field(default_factory=dict)
    activities: list[dict] = field(default_factory=list)
    #: Heart-rate drift tests found in the runs (a hint about the AeT, not a profile value).
    drift: list[dict] = field(default_factory=list)
    #: Why a value was not derived although files were read (too few weeks covered, files after the as-of).
    notes: list[str] = field(default_factory=list)


def derive(items: list[Track | Summary], as_of: dt.date) -> Derived:
    """Profile values from tracks or their summaries: volume and the longest run over the 8 weeks
    to ``as_of``, the longest climb over those weeks (or every activity when none is in them),
    the estimates of the uphill test and the VK over the 26 weeks to ``as_of``."""
    out = Derived()
    summaries = [s if isinstance(s, Summary) else summarise(s) for s in items]
    later = [s for s in summaries if s.start.date() > as_of]
    if later:
        out.notes.append(f"{len(later)} {'activities' if len(later) != 1 else 'activity'} dated after {as_of} "
                         "not counted (a file from after the as-of says nothing of that day)")
    summaries = [s for s in summaries if s.start.date() <= as_of]
    since = as_of - dt.timedelta(weeks=WEEKS)
    recent = [s for s in summaries if since < s.start.date() <= as_of]
    covered = {(as_of - s.start.date()).days // 7 for s in recent}
    for s in summaries:
        out.activities.append({
            "name": s.name, "source": s.source, "date": s.start.date().isoformat(), "sport": s.sport,
            "distance_km": round(s.distance_m / 1000, 2), "duration_min": round(s.duration_s / 60, 1),
            "ascent_m": round(s.ascent_m), "device_ascent_m": s.device_ascent_m,
            "altitude": "FIT" if s.barometric else "GPS",
        })
        if s.drift:
            out.drift.append({"activity": s.label, **s.drift})
    if recent and len(covered) < MIN_WEEKS_COVERED:
        out.notes.append(f"weekly_km and weekly_dplus_m not derived: only {len(covered)} of the {WEEKS} weeks to "
                         f"{as_of} {'holds' if len(covered) == 1 else 'hold'} an activity (at least {MIN_WEEKS_COVERED} are needed); export the whole period")
    if recent and len(covered) >= MIN_WEEKS_COVERED:
        km = sum(s.distance_m for s in recent) / 1000 / WEEKS
        up = sum(s.ascent_m for s in recent) / WEEKS
        out.values["weekly_km"], out.values["weekly_dplus_m"] = round(km, 1), round(up)
        out.method["weekly_km"] = out.method["weekly_dplus_m"] = (
            f"the mean of the {WEEKS} weeks to {as_of} ({len(recent)} "
            f"{'activities' if len(recent) != 1 else 'activity'}), climbing after the hysteresis filter")
        out.behind["weekly_km"] = out.behind["weekly_dplus_m"] = [s.label for s in sorted(recent, key=lambda s: s.start, reverse=True)]
    if recent:
        longest = max(recent, key=lambda s: (s.duration_s, s.start))  # a tie: the latest
        out.values["longest_run_time"] = round(longest.duration_s / 60, 1)
        out.method["longest_run_time"] = f"the longest activity of the {WEEKS} weeks to {as_of}"
        out.behind["longest_run_time"] = [longest.label]
    season = [s for s in summaries if as_of - dt.timedelta(weeks=FORM_WEEKS) < s.start.date()]
    if season:
        best = max(season, key=lambda s: (s.longest_climb_m, s.start))
        if best.longest_climb_m > 0:
            out.values["longest_climb_m"] = round(best.longest_climb_m)
            out.method["longest_climb_m"] = (f"the largest gain without a real descent in it, in the {FORM_WEEKS} "
                                             f"weeks to {as_of}")
            out.behind["longest_climb_m"] = [best.label]
    if summaries and not season:
        out.notes.append(f"no activity in the {FORM_WEEKS} weeks to {as_of}: no climbing value derived "
                         "(older climbs say little of today's form)")
    vams = [s for s in season if s.vam is not None]
    if vams:
        best = max(vams, key=lambda s: (s.vam[0], s.start))
        out.values["uphill_test_vam"] = round(best.vam[0])
        out.method["uphill_test_vam"] = (f"an estimate from training, not a test: the best {best.vam[1]}-minute climb "
                                         f"on ground of {round(100 * STEEP_GRADE)}% or more, in the {FORM_WEEKS} weeks to {as_of}; "
                                         "a lower bound of the test unless that climb was all-out")
        out.behind["uphill_test_vam"] = [best.label]
    vks = [s for s in season if s.vk_min is not None]
    if vks:
        best = min(vks, key=lambda s: (s.vk_min, -s.start.timestamp()))
        out.values["vk_time"] = round(best.vk_min, 2)
        out.method["vk_time"] = ("an estimate from training, not a race: the fastest 1,000 m of climbing within 5 km, "
                              f"in the {FORM_WEEKS} weeks to {as_of}")
        out.behind["vk_time"] = [best.label]
    return out
