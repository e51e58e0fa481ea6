"""The runner profile: what we know about one runner.

Field names are a public contract: CSV headers, questionnaire fields and the
JSON API all use them. Every field but ``runner_id`` is optional, and a missing
value means *unknown*: the rules report it, they never treat it as a pass.
Durations are stored in minutes, rounded to the second, and written back as
``h:mm:ss``.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
import unicodedata
from enum import Enum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .units import format_duration, parse_bool, parse_decimal, parse_duration
from .vocabulary import AmbiguousValue, canonical


class Sex(str, Enum):
    F = "F"
    M = "M"
    X = "X"


class Goal(str, Enum):
    finish = "finish"
    compete = "compete"
    podium = "podium"


class Background(str, Enum):
    cross_country = "cross_country"
    skimo = "skimo"
    road = "road"
    road_vertical = "road_vertical"
    short_mountain = "short_mountain"
    ultra_only = "ultra_only"
    track = "track"
    other = "other"


class Circuit(str, Enum):
    golden_trail_series = "golden_trail_series"
    skyrunner_world_series = "skyrunner_world_series"
    national_championship = "national_championship"
    other = "other"


class RaceStatus(str, Enum):
    finished = "finished"
    dnf = "dnf"
    dns = "dns"


def _minutes(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, AmbiguousValue):
        raise value
    return round(parse_duration(value) * 60) / 60


def _number(value: Any, info: ValidationInfo) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, AmbiguousValue):  # flagged by a reader that saw the whole column
        raise value
    if isinstance(value, str):
        try:
            return parse_decimal(value)
        except AmbiguousValue as exc:
            # 2.600 could be 2600 or 2.6: when only one reading is plausible for the field, it is the one.
            fitting = [r for r in exc.readings if _in_range(info, r)] if info is not None else []
            if len(fitting) == 1:
                return fitting[0]
            raise
    return value


def _in_range(info: ValidationInfo, value: float) -> bool:
    model = RaceResult if info.field_name in RaceResult.model_fields and info.field_name not in Profile.model_fields \
        else Profile
    field = model.model_fields.get(info.field_name or "")
    if field is None:
        return True
    for m in field.metadata:
        if getattr(m, "ge", None) is not None and value < m.ge:
            return False
        if getattr(m, "le", None) is not None and value > m.le:
            return False
    return True


def _yes_no(value: Any) -> Any:
    if value is None or value == "":
        return None
    return parse_bool(value)


def _blank_none(value: Any) -> Any:
    return None if value == "" else value


def _flagged(value: Any) -> Any:
    if isinstance(value, AmbiguousValue):  # a reader that saw the whole column flagged it
        raise value
    return _blank_none(value)


def _word(field: str, default: Any = None):
    """A value of an enumerated field as people write it (``Mujer``, ``DNF``, ``GTWS``): see vocabulary."""

    def read(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return default
        if isinstance(value, Enum):
            return value.value
        if isinstance(value, AmbiguousValue):
            raise value
        if isinstance(value, str):
            return canonical(field, value)
        return value

    return read


def _printable(value: Any) -> Any:
    """Text that reaches terminals, files and pages: no control characters and no line breaks
    (a name with ESC or U+0085 in it would redraw a terminal or break a YAML or CSV line)."""
    value = _blank_none(value)
    if isinstance(value, str):
        bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in _BIDI), None)
        if bad is not None:
            raise ValueError(f"contains a control character or line break (U+{ord(bad):04X}): type it as plain text")
    return value


#: Bidirectional overrides and isolates: they reorder what a terminal or page shows around them.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
Text = Annotated[str, BeforeValidator(_printable)]


Minutes = Annotated[
    float,
    BeforeValidator(_minutes),
    PlainSerializer(format_duration, return_type=str, when_used="json-unless-none"),
]
Num = Annotated[float, BeforeValidator(_number)]
Int = Annotated[int, BeforeValidator(_number)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]


def _opt(ge: float | None = None, le: float | None = None, *, unit: str | None = None, doc: str = ""):
    extra = {"unit": unit} if unit else None
    return Field(default=None, ge=ge, le=le, description=doc, json_schema_extra=extra)


class RaceResult(BaseModel):
    """One race result from the runner's history."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True)

    race: Text | None = Field(default=None, max_length=200)
    date: Annotated[dt.date | None, BeforeValidator(_flagged)] = None
    distance_km: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0.5, 400, unit="km")
    dplus_m: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0, 30000, unit="m")
    circuit: Annotated[Circuit | None, BeforeValidator(_word("circuit"))] = None
    position: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 100000, doc="Overall finishing position")
    finishers: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 100000, doc="Finishers overall")
    position_sex: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(
        1, 100000, doc="Position among the runners of the same sex (used before the overall one when given)")
    finishers_sex: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 100000, doc="Finishers of the same sex")
    time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(1, 60 * 24 * 7, unit="h:mm:ss")
    winner_time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(1, 60 * 24 * 7, unit="h:mm:ss")
    status: Annotated[RaceStatus, BeforeValidator(_word("status", "finished"))] = "finished"  # type: ignore[assignment]

    @model_validator(mode="after")
    def _consistent(self) -> "RaceResult":
        if self.position is not None and self.finishers is not None and self.position > self.finishers:
            raise ValueError(
                f"position ({self.position}) cannot be greater than finishers ({self.finishers})"
            )
        if self.time is not None and self.winner_time is not None and self.time < self.winner_time - 1e-9:
            raise ValueError(
                f"time ({format_duration(self.time)}) cannot be faster than winner_time "
                f"({format_duration(self.winner_time)})"
            )
        if self.status != RaceStatus.finished.value and (self.position is not None or self.position_sex is not None):
            raise ValueError(f"a race with status {self.status} cannot have a finishing position")
        pairs = (("position_sex", "finishers_sex", "position among the same sex"),
                 ("position_sex", "position", "position among the same sex"),
                 ("finishers_sex", "finishers", "finishers of the same sex"))
        for low, high, what in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a > b:
                raise ValueError(f"{low} ({a}) cannot be greater than {high} ({b}): {what} is part of it")
        return self


def _background_list(value: Any) -> Any:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [p for p in value.replace("|", ";").replace(",", ";").split(";") if p.strip()]
    return value


def _distinct(values: list[Any]) -> list[Any]:
    return list(dict.fromkeys(values))  # "XC; cross-country" is one background


class Profile(BaseModel):
    """A runner's profile: background, benchmark tests, training habits and races."""

    model_config = ConfigDict(extra="forbid", use_enum_values=True, validate_assignment=False)

    runner_id: Text = Field(min_length=1, max_length=100)
    name: Text | None = Field(default=None, max_length=200)
    sex: Annotated[Sex | None, BeforeValidator(_word("sex"))] = None
    age: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(10, 100, unit="years")
    body_mass_kg: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(30, 160, unit="kg")
    goal: Annotated[Goal, BeforeValidator(_word("goal", "compete"))] = "compete"  # type: ignore[assignment]
    goal_time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(
        180, 480, unit="h:mm:ss", doc="Your own goal time at Zegama: replaces the goal level's time in every target")
    background: Annotated[list[Annotated[Background, BeforeValidator(_word("background"))]],
                          BeforeValidator(_background_list), AfterValidator(_distinct)] = Field(default_factory=list)

    vk_time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(
        25, 240, unit="h:mm:ss", doc="Vertical-km time: about 1,000 m D+ in under 5 km"
    )
    uphill_test_vam: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(
        200, 2300, unit="m/h", doc="Vertical metres per hour held over a 30-min all-out steady climb at about 15%"
    )
    flat_10k_time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(25, 150, unit="h:mm:ss")
    max_hr: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(120, 230, unit="bpm")
    threshold_hr: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(100, 225, unit="bpm")
    aet_hr: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(80, 215, unit="bpm")
    squat_1rm_kg: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0, 350, unit="kg")
    single_leg_calf_raises: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 250, unit="reps")
    cmj_cm: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(5, 90, unit="cm")
    downhill_confidence: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 5, unit="1-5")

    weekly_km: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0, 400, unit="km")
    weekly_dplus_m: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0, 25000, unit="m")
    strength_sessions_per_week: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 14, unit="/week")
    uphill_sessions_per_week: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 14, unit="/week")
    downhill_sessions_per_week: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 14, unit="/week")
    longest_climb_m: Annotated[Num | None, BeforeValidator(_blank_none)] = _opt(0, 5000, unit="m")
    longest_run_time: Annotated[Minutes | None, BeforeValidator(_blank_none)] = _opt(
        10, 24 * 60, unit="h:mm:ss", doc="Your longest run of the last eight weeks, in time")
    uses_poles: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None

    crowd_composure: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 5, unit="1-5")
    pacing_discipline: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 5, unit="1-5")
    bad_weather_comfort: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(1, 5, unit="1-5")

    national_selection: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    elite_invite: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    sponsor_entry: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    zegama_finishes: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 30)
    every_edition_finisher: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    zegama_resident: Annotated[YesNo | None, BeforeValidator(_blank_none)] = None
    unsuccessful_draws: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(
        0, 30, doc="Earlier pre-registrations for the draw that won no place (each adds a ticket)")
    itra_index: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 1000)
    utmb_index: Annotated[Int | None, BeforeValidator(_blank_none)] = _opt(0, 1000)

    races: list[RaceResult] = Field(default_factory=list)
    #: Written by ``zegama import``: which values came from activity files, and from which.
    from_activities: dict[str, Text] = Field(
        default_factory=dict, max_length=40,
        description="Values derived from activity files by zegama import: field -> the activities and the method")

    @field_validator("from_activities")
    @classmethod
    def _known_fields(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(k for k in v if k not in cls.model_fields or k in ("races", "from_activities", "runner_id"))
        if unknown:
            raise ValueError(f"not profile fields: {', '.join(unknown)}")
        for k, text in v.items():
            if len(text) > 500:
                raise ValueError(f"{k}: longer than 500 characters")
        return v

    @field_validator("runner_id", mode="before")
    @classmethod
    def _strip_id(cls, v: Any) -> Any:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            v = str(v)
        if isinstance(v, str):
            v = v.strip()
        return v

    @model_validator(mode="after")
    def _heart_rates(self) -> "Profile":
        pairs = [("aet_hr", "threshold_hr"), ("threshold_hr", "max_hr"), ("aet_hr", "max_hr")]
        for low, high in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a >= b:
                raise ValueError(f"{low} ({a}) must be below {high} ({b})")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> "Profile":
        problems = cross_field_problems(self)
        if problems:
            raise ValueError("\n".join(problems))  # one problem a line, each "field: message"
        return self


#: Racing backgrounds that say the runner races short: "ultra_only" (only ultras) contradicts them.
SHORT_RACING = ("short_mountain", "road_vertical", "cross_country", "track", "road")


def is_zegama(name: str | None, distance_km: float | None) -> bool:
    """A result at the Zegama-Aizkorri marathon itself (not its vertical kilometre)."""
    if not name or "zegama" not in name.lower():
        return False
    low = name.lower()
    if any(w in low for w in ("vk", "vertical", "bertikal", "junior", "kilometro", "kilómetro")):
        return False
    return distance_km is None or distance_km >= 30


def zegama_finishes_in_races(values: dict, races: list[dict]) -> int:
    """How many finished Zegama marathons the race history lists (a floor for ``zegama_finishes``)."""
    return sum(1 for r in races if r.get("status") == "finished" and is_zegama(r.get("race"), r.get("distance_km")))


#: Values an answer's default can be taken from (``default_from`` in a questionnaire): each reads
#: the answers so far, so a proposed default never contradicts an earlier answer.
DERIVED_DEFAULTS = {"zegama_finishes_in_races": zegama_finishes_in_races}


def cross_field_problems(p: "Profile") -> list[str]:
    """Answers that cannot all be true, each naming the fields involved."""
    out = []
    bg = set(p.background)
    if "ultra_only" in bg:
        for other in SHORT_RACING:
            if other in bg:
                out.append(f"background: ultra_only and {other} contradict each other "
                           "(ultra_only means you race only ultras): keep one")
    if p.zegama_finishes is not None and p.age is not None and p.zegama_finishes > max(0, p.age - 17):
        out.append(f"zegama_finishes: {p.zegama_finishes} finishes and age {p.age} cannot both be right: "
                   "the race takes one start a year, from age 18")
    if p.every_edition_finisher and p.zegama_finishes == 0:
        out.append("every_edition_finisher: yes, but zegama_finishes is 0")
    finished_here = sum(1 for r in p.races if r.status == "finished" and is_zegama(r.race, r.distance_km))
    if p.zegama_finishes is not None and finished_here > p.zegama_finishes:
        out.append(f"zegama_finishes: {p.zegama_finishes}, but races lists {finished_here} Zegama "
                   f"finish{'es' if finished_here > 1 else ''}")
    return out


#: Fields in the order of the public contract (CSV header order).
PROFILE_FIELDS: tuple[str, ...] = tuple(n for n in Profile.model_fields if n not in ("races", "from_activities"))
RACE_FIELDS: tuple[str, ...] = tuple(RaceResult.model_fields)
DURATION_FIELDS = frozenset({"vk_time", "flat_10k_time", "time", "winner_time", "goal_time", "longest_run_time",
                             "ss_arrival_min", "estimate_min", "estimate_ss_arrival_min"})


def plain_type(tp: Any) -> Any:
    """The type under ``Annotated`` and ``| None``: ``float`` for ``Annotated[Num | None, ...]``."""
    while True:
        if typing.get_origin(tp) is Annotated:
            tp = typing.get_args(tp)[0]
        elif typing.get_origin(tp) in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp
            tp = args[0]
        else:
            return tp


#: Fields holding a plain number (not a duration): where a decimal comma or a thousands mark matters.
NUMBER_FIELDS = frozenset(
    n for model in (Profile, RaceResult) for n, f in model.model_fields.items()
    if plain_type(f.annotation) in (int, float) and n not in DURATION_FIELDS
)


def field_unit(name: str) -> str | None:
    """The unit of a profile or race field, from the model itself."""
    for model in (Profile, RaceResult):
        info = model.model_fields.get(name)
        if info is not None and isinstance(info.json_schema_extra, dict):
            return info.json_schema_extra.get("unit")  # type: ignore[return-value]
    return None


class ProfileError(ValueError):
    """A profile failed validation; ``problems`` lists (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" if f else m for f, m in problems))


def describe_error(err: dict) -> list[tuple[str, str]]:
    """One pydantic error as (field, message) pairs a person can read (a cross-field check may give several)."""
    loc = ".".join(str(p) for p in err["loc"]) if err["loc"] else ""
    field = str(err["loc"][-1]) if err["loc"] else ""
    msg = err["msg"]
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if not loc:
        # cross-field problems: one a line, "field: message"
        out = []
        for line in msg.split("\n"):
            name, _, rest = line.partition(": ")
            out.append((name, rest) if rest and name in Profile.model_fields else ("", line))
        return out
    if err["type"] == "extra_forbidden":
        msg = "unknown field"
    bounds = {"greater_than_equal": ("ge", "at least"), "less_than_equal": ("le", "at most")}
    if err["type"] in bounds:
        key, words = bounds[err["type"]]
        limit = err.get("ctx", {}).get(key)
        unit = field_unit(field)
        shown = format_duration(limit) if field in DURATION_FIELDS else f"{limit:g}" if isinstance(limit, (int, float)) else limit
        value = err.get("input")
        value = format_duration(value) if field in DURATION_FIELDS and isinstance(value, (int, float)) else value
        unit_txt = f" {unit}" if unit and field not in DURATION_FIELDS else ""
        msg = f"{value} is not physically plausible: it must be {words} {shown}{unit_txt}"
    return [(loc, msg)]


def describe_validation_error(exc: ValidationError) -> list[tuple[str, str]]:
    """Turn a pydantic error into (field, message) pairs a person can read."""
    return [pair for err in exc.errors() for pair in describe_error(err)]


def load_profile(data: Any) -> Profile:
    """Validate a dict (or a Profile) into a Profile, raising ProfileError."""
    if isinstance(data, Profile):
        return data
    if not isinstance(data, dict):
        raise ProfileError([("", f"a profile must be a mapping of fields, got {type(data).__name__}")])
    try:
        return Profile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(describe_validation_error(exc)) from None
