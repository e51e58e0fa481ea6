"""Activity files into tracks: FIT (fitdecode), GPX (gpxpy) and TCX, each also gzip-compressed,
from files, folders and zip exports (Strava's bulk export, a zip of Garmin FIT files).

A track is its sport, its start, the device's own totals where the file has them, its points
(seconds from the start, metres along, metres of altitude) and the heart rate beside them. A file
that cannot be read is skipped with the reason, never a crash; other sports are listed as skipped.
Exports are read one file at a time (``iter_activities``), so a 1,000-file export needs the
memory of its largest file, not of all of them.
"""

from __future__ import annotations

import csv
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
#: Shorter than any run worth counting: a watch started by mistake, a device's sample file.
MIN_DISTANCE_M = 200.0
#: Strava's activity types that count (its activities.csv), in lower case.
STRAVA_COUNTED = {"run", "trail run", "virtual run", "hike", "walk"}


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
    hr: list[float | None] | None = None  # beats a minute, point by point; None: no heart rate in the file

    @property
    def duration_s(self) -> float:
        return self.points[-1][0] - self.points[0][0] if self.points else 0.0

    @property
    def distance_m(self) -> float:
        return self.points[-1][1] - self.points[0][1] if self.points else 0.0

    @property
    def n_points(self) -> int:
        return len(self.points)


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


def _stem(source: str) -> str:
    """A file's name without its folders, the zips it is in, or its extensions (``.fit.gz``)."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    for ext in (".gz", ".fit", ".gpx", ".tcx"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return name


def _counted(sport: str | None) -> bool:
    return sport is None or str(sport).strip().lower().replace("-", "_") in COUNTED


def _hr(values: list[float | None]) -> list[float | None] | None:
    return values if any(v for v in values) else None


#: No GPS watch recorded before this year: an earlier date is a clock that was never set.
FIRST_YEAR = 1990


def _usable(points: list, sport: str | None, start: dt.datetime | None = None) -> str | None:
    """Why a parsed track cannot count, or None."""
    if len(points) < 2:
        return "no timed points with a distance"
    if not _counted(sport):
        return f"sport {sport}: not a run or a hike"
    if points[-1][1] - points[0][1] < MIN_DISTANCE_M:
        return f"{points[-1][1] - points[0][1]:.0f} m: too short to be a run"
    if points[-1][0] - points[0][0] < 60:
        return f"{len(points)} points within a minute: its times are not those of a run"
    if start is not None and start.year < FIRST_YEAR:
        return f"dated {start.year}: the device's clock was not set, so the week cannot be known"
    return None


_SEMICIRCLE = 180 / 2 ** 31


def _from_fit(data: bytes, source: str) -> Track | str:
    import fitdecode

    points, hr, start, sport, ascent, dist, baro = [], [], None, None, None, None, False
    relative = False
    last_pos, along = None, 0.0
    try:
        with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.DISABLED,
                                 error_handling=fitdecode.ErrorHandling.IGNORE) as fr:
            for frame in fr:
                if not isinstance(frame, fitdecode.FitDataMessage):
                    continue
                if frame.name == "record":
                    # Native fields by their profile names; a developer field of the same name in
                    # another case ('Distance' from a foot pod) is a different field, never read.
                    t = frame.get_value("timestamp", fallback=None)
                    if not isinstance(t, dt.datetime):
                        relative = relative or t is not None
                        continue
                    d = frame.get_value("distance", fallback=None)
                    lat = frame.get_value("position_lat", fallback=None)
                    lon = frame.get_value("position_long", fallback=None)
                    if isinstance(lat, int) and isinstance(lon, int):
                        pos = (lat * _SEMICIRCLE, lon * _SEMICIRCLE)
                        if last_pos is not None:
                            along += _haversine(last_pos, pos)
                        last_pos = pos
                    if d is None and last_pos is not None:
                        d = along  # no distance recorded: the one the positions give
                    alt = frame.get_value("enhanced_altitude", fallback=None)
                    if alt is None:
                        alt = frame.get_value("altitude", fallback=None)
                    if d is None:
                        continue
                    baro = baro or alt is not None
                    start = start or t
                    points.append(((t - start).total_seconds(), float(d), float(alt) if alt is not None else None))
                    h = frame.get_value("heart_rate", fallback=None)
                    hr.append(float(h) if isinstance(h, (int, float)) and 30 <= h <= 250 else None)
                elif frame.name == "session":
                    sport = str(frame.get_value("sport", fallback="") or "") or sport
                    ascent = frame.get_value("total_ascent", fallback=None)
                    dist = frame.get_value("total_distance", fallback=None)
    except Exception as exc:  # noqa: BLE001 - a corrupt file is skipped with its reason
        if not points:
            return f"not a readable FIT file ({type(exc).__name__}: {exc})"
    if not points and relative:
        return "its times count from the device's power-up, with no date: it cannot be placed in a week"
    why = _usable(points, sport, start)
    if why:
        return why
    # A FIT file's altitude is the device's own: barometric on watches with an altimeter,
    # already smoothed on the others; either way far steadier than a GPX track's GPS altitude.
    return Track(source, _stem(source), sport or "running", start, points, baro,
                 float(ascent) if isinstance(ascent, (int, float)) else None,
                 float(dist) if isinstance(dist, (int, float)) else None, _hr(hr))


def _ext_hr(extensions) -> float | None:
    """Heart rate from a GPX point's extensions (Garmin's TrackPointExtension ``hr``, and the like)."""
    for ext in extensions or ():
        for el in ext.iter():
            if el.tag.rsplit("}", 1)[-1].lower() in ("hr", "heartrate") and el.text:
                try:
                    v = float(el.text)
                except ValueError:
                    return None
                return v if 30 <= v <= 250 else None
    return None


def _from_gpx(data: bytes, source: str) -> Track | str:
    import gpxpy

    try:
        g = gpxpy.parse(data.decode("utf-8-sig", "replace"))
    except Exception as exc:  # noqa: BLE001
        return f"not a readable GPX file ({type(exc).__name__})"
    sport = next((t.type for t in g.tracks if t.type), None)
    if not _counted(sport):
        return f"sport {sport}: not a run or a hike"
    every = [p for t in g.tracks for s in t.segments for p in s.points]
    raw = [(p.time, p.latitude, p.longitude, p.elevation, _ext_hr(p.extensions)) for p in every if p.time is not None]
    if len(raw) < 2:
        return "no timed points"
    if len(raw) < len(every) / 2:
        return f"{len(every) - len(raw)} of its {len(every)} points have no time: a route, not a recorded activity"
    raw.sort(key=lambda r: r[0])
    start = raw[0][0]
    if start.tzinfo is None:
        start = start.replace(tzinfo=dt.timezone.utc)
    points, along = [], 0.0
    for i, (t, lat, lon, ele, _) in enumerate(raw):
        if i:
            along += _haversine((raw[i - 1][1], raw[i - 1][2]), (lat, lon))
        points.append(((t - raw[0][0]).total_seconds(), along, ele))
    why = _usable(points, sport, start)
    if why:
        return why
    name = next((t.name for t in g.tracks if t.name), None) or _stem(source)
    return Track(source, name, sport or "running", start, points, hr=_hr([r[4] for r in raw]))


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
    points, hr, start = [], [], None
    for tp in act.iter(f"{_TCX}Trackpoint"):
        t, d, a = tp.findtext(f"{_TCX}Time"), tp.findtext(f"{_TCX}DistanceMeters"), tp.findtext(f"{_TCX}AltitudeMeters")
        if t is None or d is None:
            continue
        try:
            when = dt.datetime.fromisoformat(t.strip().replace("Z", "+00:00"))
            along, alt = float(d), float(a) if a is not None else None
        except ValueError:
            continue  # one damaged point, not the whole file
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.timezone.utc)
        start = start or when
        points.append(((when - start).total_seconds(), along, alt))
        h = tp.findtext(f"{_TCX}HeartRateBpm/{_TCX}Value")
        try:
            hr.append(float(h) if h is not None and 30 <= float(h) <= 250 else None)
        except ValueError:
            hr.append(None)
    why = _usable(points, (sport or "running").lower(), start)
    if why:
        return why
    return Track(source, _stem(source), (sport or "running").lower(), start, points, hr=_hr(hr))


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


#: An export's index and side files, passed over without a word.
_INDEX = (".csv", ".json", ".html", ".txt", ".md", ".jpg", ".jpeg", ".png", ".heic", ".mp4", ".mov")


def _strava_index(z: zipfile.ZipFile) -> dict[str, tuple[str, str]]:
    """Strava's ``activities.csv``: file name -> (activity name, type); empty when absent or unreadable."""
    name = next((n for n in z.namelist() if n.rsplit("/", 1)[-1] == "activities.csv"), None)
    if name is None or z.getinfo(name).file_size > MAX_FILE_BYTES:
        return {}
    try:
        rows = csv.DictReader(io.StringIO(z.read(name).decode("utf-8-sig", "replace")))
        out = {}
        for row in rows:
            f = (row.get("Filename") or "").strip()
            if f:
                out[f] = ((row.get("Activity Name") or "").strip(), (row.get("Activity Type") or "").strip())
        return out
    except (csv.Error, zipfile.BadZipFile, OSError):
        return {}


@dataclass
class Entry:
    """One file of the input: where it is, its bytes (None when too large to read), and what an
    export's index says of it."""

    source: str
    data: bytes | None
    name: str | None = None
    kind: str | None = None


def _zip_entries(z: zipfile.ZipFile, label: str, depth: int) -> Iterator[Entry]:
    index = _strava_index(z)
    for info in z.infolist():
        if info.is_dir() or info.filename.lower().endswith(_INDEX):
            continue
        source = f"{label}:{info.filename}"
        if info.file_size > MAX_FILE_BYTES:
            yield Entry(source, None)
            continue
        data = z.read(info)
        if info.filename.lower().endswith(".zip"):
            # Garmin's account export keeps the FIT files in zips inside the zip: one level is read.
            if depth == 0:
                try:
                    with zipfile.ZipFile(io.BytesIO(data)) as inner:
                        yield from _zip_entries(inner, source, depth + 1)
                except zipfile.BadZipFile as exc:
                    yield Entry(source, b"", kind=f"not a readable zip ({exc})")
            continue
        name, kind = index.get(info.filename, (None, None))
        yield Entry(source, data, name, kind)


def _entries(path: Path) -> Iterator[Entry]:
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.name.lower().endswith(_INDEX):
                yield from _entries(p)
    elif zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as z:
                yield from _zip_entries(z, path.name, 0)
        except (zipfile.BadZipFile, OSError) as exc:
            yield Entry(str(path), b"", kind=f"not a readable zip ({exc})")
    else:
        with open(path, "rb") as fh:
            yield Entry(str(path), fh.read(MAX_FILE_BYTES + 1))


def count_entries(paths: list[str | Path]) -> int:
    """How many files ``iter_activities`` will look at (for a progress bar): listing, not reading."""
    n = 0
    for p in map(Path, paths):
        if p.is_dir():
            n += sum(1 for q in p.rglob("*") if q.is_file() and not q.name.lower().endswith(_INDEX))
        elif p.is_file() and zipfile.is_zipfile(p):
            try:
                with zipfile.ZipFile(p) as z:
                    n += sum(1 for i in z.infolist() if not i.is_dir() and not i.filename.lower().endswith(_INDEX))
            except (zipfile.BadZipFile, OSError):
                n += 1
        else:
            n += 1
    return n


def iter_activities(paths: list[str | Path]) -> Iterator[Track | Skipped]:
    """Every file in ``paths`` (files, folders, zip exports), one at a time: its track or why not."""
    for p in map(Path, paths):
        if not p.exists():
            yield Skipped(str(p), "not found")
            continue
        if not (p.is_dir() or p.is_file()):
            yield Skipped(str(p), "not a file or a folder (a device or a pipe): not read")
            continue
        try:
            for e in _entries(p):
                if e.data is None:
                    yield Skipped(e.source, f"larger than {MAX_FILE_BYTES >> 20} MB: not an activity file")
                    continue
                if e.data == b"" and e.kind:
                    yield Skipped(e.source, e.kind)
                    continue
                if e.kind and e.kind.strip().lower() not in STRAVA_COUNTED:
                    yield Skipped(e.source, f"{e.kind} (activities.csv): not a run or a hike")
                    continue
                got = read_one(e.data, e.source)
                if isinstance(got, str):
                    yield Skipped(e.source, got)
                    continue
                if e.name:
                    got.name = e.name
                yield got
        except OSError as exc:
            yield Skipped(str(p), f"cannot be read: {exc.strerror or exc}")


def dedupe(items: list, skipped: list[Skipped]) -> list:
    """The same run from two devices (starts within 2 minutes, distances within 5%): the copy with
    more points is kept, the other listed as skipped. ``items`` have start, distance_m, n_points, source."""
    kept: list = []
    for t in sorted(items, key=lambda t: t.start):
        twin = next((k for k in reversed(kept) if abs((k.start - t.start).total_seconds()) < 120
                     and abs(k.distance_m - t.distance_m) <= 0.05 * max(k.distance_m, t.distance_m, 1)), None)
        if twin is None:
            kept.append(t)
            continue
        best, other = (t, twin) if t.n_points > twin.n_points else (twin, t)
        skipped.append(Skipped(other.source, f"the same activity as {best.source} (kept: more points)"))
        kept[kept.index(twin)] = best
    return kept


def read_activities(paths: list[str | Path]) -> Read:
    """Every activity in ``paths``, tracks in memory (for a few files; ``iter_activities`` streams),
    duplicates merged."""
    out = Read()
    for got in iter_activities(paths):
        (out.skipped if isinstance(got, Skipped) else out.tracks).append(got)
    out.tracks = dedupe(out.tracks, out.skipped)
    return out
