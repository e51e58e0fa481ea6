"""Activity files into tracks: FIT (fitdecode), GPX (gpxpy) and TCX, each also gzip-compressed,
from files, folders and zip exports (Strava's bulk export, a zip of Garmin FIT files).

A track is its sport, its start, the device's own totals where the file has them, and its points
(seconds from the start, metres along, metres of altitude). A file that cannot be read is
skipped with the reason, never a crash; other sports are listed as skipped.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import math
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

#: Sports that count, as the files write them (FIT ``sport``, GPX/TCX ``type`` or ``Sport``).
COUNTED = {"running", "run", "trail_running", "trail running", "trailrun", "hiking", "hike", "walking", "walk",
           "mountaineering", "generic_running", "9", "trail"}
#: Larger than any activity file: a corrupt or hostile one is refused, not read into memory.
MAX_FILE_BYTES = 64 << 20


@dataclass
class Track:
    source: str
    name: str
    sport: str
    start: dt.datetime
    points: list[tuple[float, float, float | None]]  # (seconds, metres along, altitude m)
    barometric: bool = False
    device_ascent_m: float | None = None
    device_distance_m: float | None = None

    @property
    def duration_s(self) -> float:
        return self.points[-1][0] - self.points[0][0] if self.points else 0.0

    @property
    def distance_m(self) -> float:
        return self.points[-1][1] - self.points[0][1] if self.points else 0.0


@dataclass
class Skipped:
    source: str
    reason: str


@dataclass
class Read:
    tracks: list[Track] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _haversine(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371000 * math.asin(min(1.0, math.sqrt(h)))


def _counted(sport: str | None) -> bool:
    return sport is None or str(sport).strip().lower().replace("-", "_") in COUNTED


def _from_fit(data: bytes, source: str) -> Track | str:
    import fitdecode

    points, start, sport, ascent, dist, baro = [], None, None, None, None, False
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED,
                                 error_handling=fitdecode.ErrorHandling.IGNORE) as fr:
            for frame in fr:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    t = frame.get_value("timestamp", fallback=None)
                    d = frame.get_value("distance", fallback=None)
                    alt = frame.get_value("enhanced_altitude", fallback=None)
                    if alt is None:
                        alt = frame.get_value("altitude", fallback=None)
                    else:
                        baro = True
                    if t is None or d is None:
                        continue
                    start = start or t
                    points.append(((t - start).total_seconds(), float(d), float(alt) if alt is not None else None))
                elif frame.name == "session":
                    sport = str(frame.get_value("sport", fallback="") or "") or sport
                    ascent = frame.get_value("total_ascent", fallback=None)
                    dist = frame.get_value("total_distance", fallback=None)
    except Exception as exc:  # noqa: BLE001 - a corrupt file is skipped with its reason
        if not points:
            return f"not a readable FIT file ({type(exc).__name__}: {exc})"
    if not points:
        return "no timed points with a distance"
    if not _counted(sport):
        return f"sport {sport}: not a run or a hike"
    return Track(source, Path(source).stem, sport or "running", start, points, baro,
                 float(ascent) if ascent is not None else None, float(dist) if dist is not None else None)


def _from_gpx(data: bytes, source: str) -> Track | str:
    import gpxpy

    try:
        g = gpxpy.parse(data.decode("utf-8-sig", "replace"))
    except Exception as exc:  # noqa: BLE001
        return f"not a readable GPX file ({type(exc).__name__})"
    raw = [(p.time, p.latitude, p.longitude, p.elevation) for t in g.tracks for s in t.segments for p in s.points]
    sport = next((t.type for t in g.tracks if t.type), None)
    if not _counted(sport):
        return f"sport {sport}: not a run or a hike"
    raw = [r for r in raw if r[0] is not None]
    if len(raw) < 2:
        return "no timed points"
    start = raw[0][0]
    points, along = [], 0.0
    for i, (t, lat, lon, ele) in enumerate(raw):
        if i:
            along += _haversine((raw[i - 1][1], raw[i - 1][2]), (lat, lon))
        points.append(((t - start).total_seconds(), along, ele))
    name = next((t.name for t in g.tracks if t.name), None) or Path(source).stem
    return Track(source, name, sport or "running", start, points)


_TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"


def _from_tcx(data: bytes, source: str) -> Track | str:
    try:
        root = ET.fromstring(data.lstrip())
    except ET.ParseError as exc:
        return f"not a readable TCX file ({exc})"
    act = root.find(f".//{_TCX}Activity")
    if act is None:
        return "no activity in the TCX file"
    sport = act.get("Sport")
    if not _counted(sport):
        return f"sport {sport}: not a run or a hike"
    points, start = [], None
    for tp in act.iter(f"{_TCX}Trackpoint"):
        t, d, a = tp.findtext(f"{_TCX}Time"), tp.findtext(f"{_TCX}DistanceMeters"), tp.findtext(f"{_TCX}AltitudeMeters")
        if t is None or d is None:
            continue
        when = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        start = start or when
        points.append(((when - start).total_seconds(), float(d), float(a) if a is not None else None))
    if len(points) < 2:
        return "no timed points with a distance"
    return Track(source, Path(source).stem, (sport or "running").lower(), start, points)


def read_one(data: bytes, source: str) -> Track | str:
    """One file's bytes (gzip or not): its track, or why it was skipped."""
    if len(data) > MAX_FILE_BYTES:
        return f"larger than {MAX_FILE_BYTES >> 20} MB: not an activity file"
    name = source.lower()
    if name.endswith(".gz"):
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(MAX_FILE_BYTES + 1)
        except (OSError, EOFError) as exc:
            return f"not readable gzip ({exc})"
        name = name[:-3]
    if name.endswith(".fit"):
        return _from_fit(data, source)
    if name.endswith(".gpx"):
        return _from_gpx(data, source)
    if name.endswith(".tcx"):
        return _from_tcx(data, source)
    return "not a FIT, GPX or TCX file"


def _entries(path: Path) -> Iterator[tuple[str, bytes | None]]:
    """(source, bytes) of every file; ``None`` for a zip member too large to read."""
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file():
                yield from _entries(p)
    elif zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                if not info.is_dir():
                    source = f"{path.name}:{info.filename}"
                    yield source, z.read(info) if info.file_size <= MAX_FILE_BYTES else None
    else:
        with open(path, "rb") as fh:
            yield str(path), fh.read(MAX_FILE_BYTES + 1)


def read_activities(paths: list[str | Path]) -> Read:
    """Every activity in ``paths`` (files, folders, zip exports); duplicates (the same run from
    two devices: starts within 2 minutes and distances within 5%) keep the one with more points."""
    out = Read()
    for p in map(Path, paths):
        if not p.exists():
            out.skipped.append(Skipped(str(p), "not found"))
            continue
        for source, data in _entries(p):
            if source.lower().endswith((".csv", ".json", ".html", ".txt", ".md")):
                continue  # an export's index files
            got = read_one(data, source) if data is not None else \
                f"larger than {MAX_FILE_BYTES >> 20} MB: not an activity file"
            if isinstance(got, str):
                out.skipped.append(Skipped(source, got))
            else:
                out.tracks.append(got)
    out.tracks.sort(key=lambda t: t.start)
    kept: list[Track] = []
    for t in out.tracks:
        twin = next((k for k in kept if abs((k.start - t.start).total_seconds()) < 120
                     and abs(k.distance_m - t.distance_m) <= 0.05 * max(k.distance_m, t.distance_m, 1)), None)
        if twin is None:
            kept.append(t)
            continue
        best, other = (t, twin) if len(t.points) > len(twin.points) else (twin, t)
        out.skipped.append(Skipped(other.source, f"the same activity as {best.source} (kept: more points)"))
        kept[kept.index(twin)] = best
    out.tracks = kept
    return out
