"""Reading a club roster and its race history from CSV, one runner at a time.

Rosters come from spreadsheets: a BOM or a Windows code page, ``;`` separators
and decimal commas from a European Excel, headers typed by hand, blank lines,
a cell nobody can parse. This module turns every roster row into a profile or a
list of problems, never dropping a row silently:

- a bad value in an optional column becomes *unknown* (the row is still
  assessed) and a :class:`Problem` says so;
- a row without a usable ``runner_id`` is an error row, with its line number.

Nothing here holds the whole file: rows are read and validated as a stream.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

from pydantic import BaseModel, ValidationError

from ..model.profile import (
    DURATION_FIELDS,
    NUMBER_FIELDS,
    PROFILE_FIELDS,
    RACE_FIELDS,
    Profile,
    RaceResult,
    describe_error,
)
from ..model.units import format_duration, parse_decimal
from ..model.vocabulary import SEX_LETTERS_ES, AmbiguousValue, fold, header_field

#: Roster columns, in the order of the public contract.
ROSTER_COLUMNS: tuple[str, ...] = PROFILE_FIELDS
#: Columns of the race-history CSV: one row per result.
RACE_COLUMNS: tuple[str, ...] = ("runner_id",) + RACE_FIELDS
#: Delimiters tried when none is given, in order of preference on a tie.
DELIMITERS: tuple[str, ...] = (",", ";", "\t", "|")
#: What people type for "no value" in a spreadsheet (never applied to text fields).
MISSING_MARKERS = frozenset({"-", "--", "—", "–", "?", "n/a", "na", "n.a.", "none", "null"})
TEXT_FIELDS = frozenset({"runner_id", "name", "race"})

# What happens to the data when a problem is found (the ``effect`` column of errors.csv).
ROW_NOT_ASSESSED = "row not assessed"
TREATED_AS_MISSING = "treated as missing; row assessed"
RACE_VALUE_MISSING = "treated as missing; race kept"
RACE_NOT_USED = "race not used"

_SAMPLE_CHARS = 64 * 1024
_MAX_HEADER_CHARS = csv.field_size_limit() * 8
_CHUNK = 1 << 20


class RosterError(ValueError):
    """The file cannot be used at all (missing, empty, no ``runner_id`` column...)."""


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: a row of errors.csv."""

    file: str
    line: int | None
    runner_id: str | None
    column: str
    value: str
    message: str
    effect: str


# --------------------------------------------------------------------------- opening a CSV


def normalise_header(name: str) -> str:
    """``" Runner ID "``, ``runner-id`` and ``RUNNER_ID`` all mean ``runner_id``."""
    name = name.replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", name).strip("_")


def _decodes(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return False
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(path: Path) -> tuple[str, str | None]:
    """UTF-8 (with or without BOM), UTF-16 with a BOM, else cp1252 or latin-1 with a warning.

    The check reads the file in chunks, so it costs one pass but no memory.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", None
    if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", None  # Excel's "Unicode text" export
    if _decodes(path, "utf-8"):
        return "utf-8-sig", None
    for enc, label in (("cp1252", "cp1252 (Windows Western European)"), ("latin-1", "latin-1")):
        if _decodes(path, enc):
            return enc, (
                f"{path.name} is not UTF-8; read it as {label}. Check that accented names "
                "look right, or save the file as 'CSV UTF-8'."
            )
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


def _first_record(sample: str, delimiter: str) -> list[str] | None:
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if any(c.strip() for c in row):
                return row
    except csv.Error:
        return None
    return None


def _consistency(sample: str, delimiter: str, width: int) -> int:
    """How many sample records have as many cells as the header (a tie-breaker)."""
    lines = sample.splitlines()[:50]
    if len(sample) >= _SAMPLE_CHARS and lines:
        lines = lines[:-1]  # the last line of a cut sample may be partial
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        return sum(1 for row in reader if row and len(row) == width)
    except csv.Error:
        return 0


@dataclass
class CsvTable:
    """An opened CSV file: its encoding, delimiter and what each column means."""

    path: Path
    kind: str
    encoding: str
    delimiter: str
    header: list[str]
    fields: list[str | None]
    unknown: list[str]
    warnings: list[str] = field(default_factory=list)
    conventions: "Conventions" = field(default_factory=lambda: Conventions())

    @property
    def name(self) -> str:
        return self.path.name

    def records(self) -> Iterator[tuple[int, list[str] | None, str | None]]:
        """``(line, cells, csv_error)`` for every non-blank record after the header.

        ``line`` is the physical line where the record starts (the header is
        line 1 unless blank lines precede it). A record the csv module cannot
        parse comes with ``cells=None`` and the parser's message.
        """
        with self.path.open("r", encoding=self.encoding, newline="") as fh:
            reader = csv.reader(fh, delimiter=self.delimiter)
            header_seen = False
            while True:
                start = reader.line_num + 1
                try:
                    row = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    if reader.line_num < start:  # no progress: give up rather than loop
                        raise RosterError(f"{self.name}: line {start}: {exc}") from None
                    if header_seen:
                        yield start, None, str(exc)
                        continue
                    raise RosterError(f"{self.name}: line {start}: {exc}") from None
                if not any(c.strip() for c in row):
                    continue  # blank lines, and Excel's ';;;;' rows
                if not header_seen:
                    header_seen = True
                    continue
                if row[0].lstrip().startswith("#"):
                    continue  # a comment line, such as the hints of `zegama template`
                yield start, row, None


def open_table(
    path: str | Path, columns: Sequence[str], *, kind: str = "roster", delimiter: str | None = None,
    columns_map: dict[str, str] | None = None,
) -> CsvTable:
    """Open a roster (or races) CSV: encoding, delimiter and header checked.

    The delimiter is the candidate whose header names the most expected
    columns; ``delimiter`` overrides the guess. Headers are matched through the
    vocabulary (``D+ (m)``, ``Desnivel``, a questionnaire label...), ``columns_map``
    (``--columns``) first. The file's own conventions (decimal mark, day or month
    first, ``H``/``M`` for the sexes) are read from its first rows. Raises :class:`RosterError`
    when the file is missing, empty or has no ``runner_id`` column.
    """
    p = Path(path)
    if not p.exists():
        raise RosterError(f"{path}: file not found")
    if p.is_dir():
        raise RosterError(f"{path}: is a directory, not a CSV file")
    try:
        encoding, warning = detect_encoding(p)
        with p.open("r", encoding=encoding, newline="") as fh:
            sample = fh.read(_SAMPLE_CHARS)
            # A header longer than the sample is read whole (up to what the csv module accepts).
            while sample and "\n" not in sample.lstrip("\r\n") and len(sample) < _MAX_HEADER_CHARS:
                more = fh.read(_SAMPLE_CHARS)
                if not more:
                    break
                sample += more
    except OSError as exc:
        raise RosterError(f"{path}: {exc.strerror}") from None
    if not sample.strip():
        raise RosterError(f"{p.name} is empty: expected a header line with a runner_id column")

    expected = set(columns)
    candidates = [delimiter] if delimiter else list(DELIMITERS)
    best: tuple[tuple[int, int, int], str, list[str]] | None = None
    for rank, d in enumerate(candidates):
        header = _first_record(sample, d)
        if header is None:
            continue
        score = sum(1 for h in header if header_field(h, expected, columns_map) is not None)
        key = (score, _consistency(sample, d, len(header)), -rank)
        if best is None or key > best[0]:
            best = (key, d, header)
    if best is None:
        raise RosterError(f"{p.name}: the header line cannot be read as CSV")
    _, chosen, header = best
    while header and not header[-1].strip():
        header.pop()  # trailing empty header cells are spreadsheet artefacts
    fields: list[str | None] = []
    unknown: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header, start=1):
        key = header_field(raw, expected, columns_map)
        if key is not None:
            if key in seen:
                raise RosterError(f"{p.name}: columns {seen[key]} and {i} both mean {key}; keep one of them")
            seen[key] = i
            fields.append(key)
        else:
            fields.append(None)
            label = raw.strip() or f"column_{i}"
            if label in unknown:  # two columns with one unknown name: keep both, apart
                label = f"{label}_{i}"
            unknown.append(label)
    if "runner_id" not in seen:
        shown = _shown_delimiter(chosen)
        raise RosterError(
            f"{p.name}: no runner_id column in the header "
            f"({', '.join(repr(h) for h in header[:8])}{', ...' if len(header) > 8 else ''}, "
            f"read with delimiter {shown}); the {kind} needs a runner_id column (or id, Corredor ID..., "
            "or any header mapped to runner_id with --columns MAP.yaml)"
            + ("" if delimiter else "; use --delimiter if the delimiter guess is wrong")
        )
    table = CsvTable(p, kind, encoding, chosen, header, fields, unknown)
    table.conventions = read_conventions(sample, chosen, fields)
    if warning:
        table.warnings.append(warning)
    if unknown:
        table.warnings.append(
            f"{p.name}: unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}: not used by the assessment"
            + (", carried through to assessments.csv" if kind == "roster" else "")
        )
    return table


def _shown_delimiter(d: str) -> str:
    return {"\t": "tab", ",": "','", ";": "';'", "|": "'|'"}.get(d, repr(d))


# --------------------------------------------------------------------------- the file's conventions


@dataclass(frozen=True)
class Conventions:
    """How a file writes what has two readings, read from its own first rows.

    ``decimal``: ``","`` when its numbers use a decimal comma (``68,5``: then ``2.600`` is
    2600), ``"."`` when they use a point, ``None`` when the rows do not say (``2.600`` is then
    flagged unless the field's range decides). ``dates``: ``"day"`` (07/06/2026 is 7 June,
    the default), ``"month"`` when a date such as 05/31/2026 shows it, ``"mixed"`` when both
    appear (a date that could be either is flagged). ``sex``: ``"en"`` (``M`` men), ``"es"``
    when the column writes ``H`` for *hombre* (``M`` is then *mujer*), ``"mixed"`` when it
    holds ``H``, ``M`` and ``F`` (``M`` is flagged).
    """

    decimal: str | None = None
    dates: str = "day"
    sex: str = "en"

    def notes(self) -> list[str]:
        out = []
        if self.decimal == ",":
            out.append("numbers read with a decimal comma (68,5), so 2.600 is 2600")
        elif self.decimal == ".":
            out.append("numbers read with a decimal point (68.5), so 2,600 is 2600")
        if self.dates == "month":
            out.append("dates read month first (05/31/2026), as the file writes them")
        elif self.dates == "mixed":
            out.append("dates written both day first and month first: those that could be either are flagged")
        if self.sex == "es":
            out.append("sex read the Spanish way: H hombre (M), M mujer (F)")
        elif self.sex == "mixed":
            out.append("sex column holds H, M and F: each M is flagged (men, or mujer?)")
        return out


_COMMA_NUMBER = re.compile(r"^\d+,(\d{1,2}|\d{4,})$|^\d{1,3}(\.\d{3})+,\d+$")
_POINT_NUMBER = re.compile(r"^\d+\.(\d{1,2}|\d{4,})$|^\d{1,3}(,\d{3})+\.\d+$")
_SAMPLE_ROWS = 500


def read_conventions(sample: str, delimiter: str, fields: Sequence[str | None]) -> Conventions:
    """The conventions of a file from the rows of its sample (at most 500)."""
    comma = point = day = month = 0
    sexes: set[str] = set()
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
    try:
        next(reader, None)  # the header
        for n, row in enumerate(reader):
            if n >= _SAMPLE_ROWS:
                break
            for column, cell in zip(fields, row):
                v = cell.strip()
                if not v or column is None:
                    continue
                if column in NUMBER_FIELDS:
                    comma += bool(_COMMA_NUMBER.match(v))
                    point += bool(_POINT_NUMBER.match(v))
                elif column == "date" and (m := _DAY_FIRST.match(v)):
                    a, b = int(m.group(1)), int(m.group(2))
                    day += a > 12
                    month += b > 12
                elif column == "sex":
                    sexes.add(fold(v))
    except csv.Error:
        pass
    decimal = "," if comma and not point else "." if point and not comma else None
    dates = "mixed" if day and month else "month" if month else "day"
    sex = ("mixed" if "f" in sexes else "es") if "h" in sexes and "m" in sexes else "es" if "h" in sexes else "en"
    return Conventions(decimal, dates, sex)


#: A cell a reader flagged: clean_cell turns it into an AmbiguousValue the model refuses.
_FLAG = "\x00"


def normalise_cell(column: str, raw: str, conv: Conventions) -> str:
    """A cell rewritten by the file's conventions (text in, text out, so it travels to workers)."""
    value = raw.strip()
    if not value or value.lower() in MISSING_MARKERS and column not in TEXT_FIELDS:
        return value
    if column in NUMBER_FIELDS and conv.decimal:
        try:
            number = parse_decimal(value, decimal=conv.decimal)
            return str(int(number)) if number.is_integer() else repr(number)
        except ValueError:
            return value  # the model says what is wrong with it
    if column == "date" and (m := _DAY_FIRST.match(value)):
        a, b, year = int(m.group(1)), int(m.group(2)), m.group(3)
        if conv.dates == "mixed" and a <= 12 and b <= 12 and a != b:
            return (f"{_FLAG}{value} could be {year}-{b:02d}-{a:02d} (day first) or {year}-{a:02d}-{b:02d} "
                    "(month first): this file writes dates both ways; write it as YYYY-MM-DD")
        day, month = (b, a) if conv.dates == "month" else (a, b)
        return f"{year}-{month:02d}-{day:02d}"
    if column == "sex":
        key = fold(value)
        if conv.sex == "es" and key in SEX_LETTERS_ES:
            return SEX_LETTERS_ES[key]
        if conv.sex == "mixed" and key == "m":
            return (f"{_FLAG}M could be men (M) or mujer (F): this column also writes H for hombre and F; "
                    "write it as F or M in full (mujer, hombre)")
    return value


# --------------------------------------------------------------------------- cells


def clean_cell(column: str, raw: str) -> Any:
    """A cell as the model should see it: ``None`` when blank or a missing marker."""
    value = raw.strip()
    if not value:
        return None
    if value.startswith(_FLAG):
        return AmbiguousValue(value[1:])
    if column not in TEXT_FIELDS and value.lower() in MISSING_MARKERS:
        return None
    if column == "date":
        m = _DAY_FIRST.match(value)
        if m:  # European spreadsheets write dates day first: 31/05/2026, 31.05.2026
            day, month, year = m.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
        return value
    if column == "background":
        # The same separators as the model; split here so one bad item drops alone.
        parts = [p.strip().lower() for p in re.split(r"[;|,]", value)]
        return [p for p in parts if p] or None
    return value


_COMPARED = re.compile(r"\b([a-z_0-9]+) \(")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_MENTIONED = re.compile(r"\b([a-z_0-9]+)\b")
# A category we trust over a number it contradicts (a DNF with a position keeps its status).
_KEEP_ON_CONFLICT = frozenset({"status"})


def _conflicting(model: type[BaseModel], data: dict, message: str, required: Sequence[str]) -> list[str]:
    """The fields a failed cross-field check is about.

    The model names compared values as ``field (value)``; otherwise the first
    mentioned field whose removal resolves the check is the one to drop.
    """
    usable = lambda w: w in data and w not in required and w not in _KEEP_ON_CONFLICT  # noqa: E731
    named = [w for w in dict.fromkeys(_COMPARED.findall(message)) if usable(w)]
    if named:
        return named
    for w in dict.fromkeys(_MENTIONED.findall(message)):
        if usable(w):
            trial = {k: v for k, v in data.items() if k != w}
            try:
                model.model_validate(trial)
            except ValidationError as exc:
                if any(not e["loc"] and e["msg"].endswith(message) for e in exc.errors()):
                    continue
            return [w]
    return []


def validate_dropping(
    model: type[BaseModel], data: dict[str, Any], *, required: Sequence[str] = ()
) -> tuple[BaseModel | None, list[tuple[str, Any, str]]]:
    """Validate ``data``; drop what is wrong instead of losing everything.

    A field that fails is removed (it becomes unknown) and reported; a check
    across fields that fails (``aet_hr`` above ``threshold_hr``, a position
    behind the last finisher) removes every value it compared, since we
    cannot tell which one is wrong. Returns ``(instance, dropped)`` where
    ``dropped`` lists ``(column, value, message)``; the instance is ``None``
    when a ``required`` field is wrong or the data cannot be made valid.
    """
    data = dict(data)
    dropped: list[tuple[str, Any, str]] = []
    for _ in range(len(data) + 2):
        try:
            return model.model_validate(data), dropped
        except ValidationError as exc:
            errors = exc.errors()
            # one message per error: a cross-field check's problems, joined, name every field involved
            described = [("", "; ".join(f"{f}: {m}" if f else m for f, m in describe_error(e))) if not e["loc"]
                         else describe_error(e)[0] for e in errors]
        progress = False
        hopeless = False
        bg_items: set[int] = set()
        for err, (_, message) in zip(errors, described):
            loc = err["loc"]
            name = loc[0] if loc else None
            if isinstance(name, str) and name in data:
                if name in required:
                    dropped.append((name, data.get(name), message))
                    hopeless = True
                elif name == "background" and len(loc) > 1 and isinstance(loc[1], int) and isinstance(data[name], list):
                    bg_items.add(loc[1])
                    dropped.append((name, data[name][loc[1]], message))
                else:
                    dropped.append((name, data.pop(name), message))
                    progress = True
            elif isinstance(name, str) and name in required:
                dropped.append((name, None, message))
                hopeless = True
            elif not loc:
                for w in _conflicting(model, data, message, required):
                    dropped.append((w, data.pop(w), message))
                    progress = True
        if hopeless:
            return None, dropped
        if bg_items:
            items = [v for i, v in enumerate(data["background"]) if i not in bg_items]
            if items:
                data["background"] = items
            else:
                del data["background"]
            progress = True
        if not progress:
            for err, (_, message) in zip(errors, described):
                dropped.append((".".join(map(str, err["loc"])), None, message))
            return None, dropped
    return None, dropped  # pragma: no cover - every pass removes a field


def _display(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "; ".join(map(str, value))
    return str(value)


# --------------------------------------------------------------------------- roster rows


@dataclass
class RosterRow:
    """One roster row: the fields read from it, or why it cannot be assessed."""

    line: int
    runner_id: str | None
    name: str | None
    fields: dict[str, Any]
    extra: dict[str, str]
    problems: list[Problem]
    fatal: bool = False
    readable: bool = True


def read_roster(table: CsvTable) -> Iterator[RosterRow]:
    """Every non-blank row of the roster, in order, as cleaned cells.

    Validation against the model happens in :func:`build_profile`, once the
    runner's races are known.
    """
    width = len(table.fields)
    id_col = table.fields.index("runner_id")
    unknown_at = {i: table.unknown[n] for n, i in enumerate(i for i, f in enumerate(table.fields) if f is None)}
    name_col = table.fields.index("name") if "name" in table.fields else None
    for line, cells, csv_error in table.records():
        if cells is None:
            yield RosterRow(line, None, None, {}, {}, [
                Problem(table.name, line, None, "", "", f"cannot read this line as CSV: {csv_error}", ROW_NOT_ASSESSED)
            ], fatal=True, readable=False)
            continue
        rid = cells[id_col].strip() if id_col < len(cells) else ""
        name = cells[name_col].strip() if name_col is not None and name_col < len(cells) else ""
        row = RosterRow(line, rid or None, name or None, {}, {}, [])
        extra_cells = [c for c in cells[width:] if c.strip()]
        if len(cells) < width:
            other = next((d for d in DELIMITERS if d != table.delimiter and d in cells[0]), None)
            why = (f"the row has {len(cells)} cell{'s' if len(cells) != 1 else ''} but the header has {width}"
                   + (f": it seems written with {_shown_delimiter(other)} instead of {_shown_delimiter(table.delimiter)}"
                      if other and len(cells) == 1 else ": a cell is missing, so values may be shifted"))
            first_missing = table.fields[len(cells)] or ""
            row.problems.append(Problem(table.name, line, row.runner_id, first_missing,
                                        _display(cells[-1] if cells else ""), why, ROW_NOT_ASSESSED))
            row.fatal = True
            row.readable = False
        elif extra_cells:
            row.problems.append(Problem(
                table.name, line, row.runner_id, "", _display(extra_cells[0]),
                f"the row has {len(cells)} cells but the header has {width}: values may be shifted "
                f"(an unquoted {_shown_delimiter(table.delimiter)} inside a cell?)",
                ROW_NOT_ASSESSED,
            ))
            row.fatal = True
            row.readable = False
        for i, column in enumerate(table.fields):
            raw = cells[i] if i < len(cells) else ""
            if column is None:
                row.extra[unknown_at[i]] = raw.strip()
                continue
            value = clean_cell(column, normalise_cell(column, raw, table.conventions))
            if value is not None:
                row.fields[column] = value
        if not rid:
            row.problems.append(Problem(
                table.name, line, None, "runner_id", "", "runner_id is empty: every row needs one", ROW_NOT_ASSESSED
            ))
            row.fatal = True
        yield row


def build_profile(row: RosterRow, races: Sequence[RaceResult] = (), file: str = "") -> Profile | None:
    """Validate a roster row into a profile, adding problems to ``row``.

    Bad optional values are dropped (and reported); ``None`` when the row
    cannot be assessed (then ``row.fatal`` is set). The cells of a row that is
    already fatal (no runner_id, a duplicate one) are still checked, so the
    coach can fix every problem of the row at once.
    """
    if not row.readable:
        return None
    data = dict(row.fields)
    if row.fatal:
        data["runner_id"] = "-"  # stands in for the missing or duplicate id while checking the rest
    profile, dropped = validate_dropping(Profile, data, required=("runner_id",))
    effect = TREATED_AS_MISSING if profile is not None and not row.fatal else ROW_NOT_ASSESSED
    for column, value, message in dropped:
        row.problems.append(Problem(file, row.line, row.runner_id, column, _display(value), message, effect))
    if profile is None or row.fatal:
        row.fatal = True
        return None
    assert isinstance(profile, Profile)
    if races:
        profile = profile.model_copy(update={"races": list(races)})
    return profile


# --------------------------------------------------------------------------- races


@dataclass
class RaceRow:
    """One result from the races CSV (or a profile file), validated."""

    file: str
    line: int | None
    runner_id: str | None
    race: RaceResult | None
    problems: list[Problem]
    #: The raw cells by column, when read with ``validate=False`` (see :func:`validate_race`).
    data: dict[str, Any] | None = None


def read_races(table: CsvTable, *, validate: bool = True) -> Iterator[RaceRow]:
    """Every non-blank row of a races CSV, validated field by field.

    With ``validate=False`` a row with a runner_id comes back as read
    (``data`` holds its raw cells; :func:`validate_race` finishes it), so that
    the cleaning and validation can happen later, elsewhere (a batch's workers).
    """
    width = len(table.fields)
    id_col = table.fields.index("runner_id")
    for line, cells, csv_error in table.records():
        if cells is None:
            yield RaceRow(table.name, line, None, None, [
                Problem(table.name, line, None, "", "", f"cannot read this line as CSV: {csv_error}", RACE_NOT_USED)
            ])
            continue
        rid = (cells[id_col].strip() if id_col < len(cells) else "") or None
        if len(cells) < width:
            yield RaceRow(table.name, line, rid, None, [Problem(
                table.name, line, rid, "", _display(cells[-1] if cells else ""),
                f"the row has {len(cells)} cell{'s' if len(cells) != 1 else ''} but the header has {width}: "
                "a cell is missing (or the row uses another delimiter), so values may be shifted",
                RACE_NOT_USED,
            )])
            continue
        if any(c.strip() for c in cells[width:]):
            yield RaceRow(table.name, line, rid, None, [Problem(
                table.name, line, rid, "", _display(next(c for c in cells[width:] if c.strip())),
                f"the row has {len(cells)} cells but the header has {width}: values may be shifted "
                f"(an unquoted {_shown_delimiter(table.delimiter)} inside a cell?)",
                RACE_NOT_USED,
            )])
            continue
        raw = {column: normalise_cell(column, cells[i] if i < len(cells) else "", table.conventions)
               for i, column in enumerate(table.fields) if column is not None and column != "runner_id"}
        if not validate and rid is not None:
            yield RaceRow(table.name, line, rid, None, [], raw)
            continue
        yield _race_row(table.name, line, rid, _clean_race(raw), column_prefix="")


def _clean_race(raw: dict[str, str]) -> dict[str, Any]:
    data = {}
    for column, cell in raw.items():
        value = clean_cell(column, cell)
        if value is not None:
            data[column] = value
    return data


def validate_race(row: RaceRow) -> RaceRow:
    """A row read with ``validate=False``, cleaned and validated as ``read_races`` would have."""
    if row.data is None:
        return row
    return _race_row(row.file, row.line, row.runner_id, _clean_race(row.data), column_prefix="")


def _race_row(file: str, line: int | None, rid: str | None, data: dict, column_prefix: str) -> RaceRow:
    problems: list[Problem] = []
    if rid is None:
        problems.append(Problem(file, line, None, "runner_id", "", "race row without a runner_id", RACE_NOT_USED))
        return RaceRow(file, line, None, None, problems)
    race, dropped = validate_dropping(RaceResult, data)
    effect = RACE_VALUE_MISSING if race is not None else RACE_NOT_USED
    for column, value, message in dropped:
        problems.append(Problem(file, line, rid, column_prefix + column, _display(value), message, effect))
    return RaceRow(file, line, rid, race, problems)  # type: ignore[arg-type]


def read_profile_races(directory: str | Path) -> Iterator[RaceRow]:
    """Races from the profile files a questionnaire saved (``*.yaml``, ``*.yml``, ``*.json``).

    Only ``runner_id`` and ``races`` are read from each file: the roster row
    is the source of every other field.
    """
    from ..model.io import InputError, read_document

    d = Path(directory)
    if not d.is_dir():
        raise RosterError(f"{directory}: not a directory of profile files")
    for path in sorted(d.iterdir()):
        if path.suffix.lower() not in (".yaml", ".yml", ".json") or not path.is_file():
            continue
        try:
            doc = read_document(path)
        except InputError as exc:
            yield RaceRow(path.name, None, None, None, [Problem(path.name, None, None, "", "", str(exc), RACE_NOT_USED)])
            continue
        if not isinstance(doc, dict):
            yield RaceRow(path.name, None, None, None, [
                Problem(path.name, None, None, "", "", "not a profile (expected a mapping of fields)", RACE_NOT_USED)
            ])
            continue
        rid = str(doc.get("runner_id") or "").strip() or None
        races = doc.get("races") or []
        if not isinstance(races, list):
            yield RaceRow(path.name, None, rid, None, [
                Problem(path.name, None, rid, "races", _display(races), "races must be a list", RACE_NOT_USED)
            ])
            continue
        for i, item in enumerate(races):
            if not isinstance(item, dict):
                yield RaceRow(path.name, None, rid, None, [
                    Problem(path.name, None, rid, f"races[{i}]", _display(item), "a race must be a mapping", RACE_NOT_USED)
                ])
                continue
            data = {k: v for k, v in item.items() if v is not None and v != ""}
            yield _race_row(path.name, None, rid, data, column_prefix=f"races[{i}].")


# --------------------------------------------------------------------------- writing rosters


def _cell(name: str, value: Any, decimal_comma: bool) -> str:
    if value is None:
        return ""
    if name in DURATION_FIELDS:
        return format_duration(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = repr(value) if math.isfinite(value) else ""
        if text.endswith(".0"):
            text = text[:-2]
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, list):
        return ";".join(str(getattr(v, "value", v)) for v in value)
    return str(getattr(value, "value", value))


def profile_to_row(profile: Profile, *, decimal_comma: bool = False) -> tuple[dict[str, str], list[dict[str, str]]]:
    """A profile as a roster row and its races as rows of the races CSV.

    Reading them back with this module gives the same profile.
    """
    row = {name: _cell(name, getattr(profile, name), decimal_comma) for name in ROSTER_COLUMNS}
    races = []
    for race in profile.races:
        r = {"runner_id": profile.runner_id}
        r.update({name: _cell(name, getattr(race, name), decimal_comma) for name in RACE_FIELDS})
        races.append(r)
    return row, races
