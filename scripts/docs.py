"""Regenerate the generated blocks of README.md and docs/*.md from the code.

    python scripts/docs.py           rewrite every generated block
    python scripts/docs.py --check   change nothing; exit 1 listing each stale block

A generated block is whatever sits between ``<!-- generated: NAME -->`` and
``<!-- end: NAME -->`` (on their own lines, or inline inside a sentence); NAME is
a key of :data:`BLOCKS`. Everything outside the markers is written by hand.

What the blocks hold, so that no sample is ever typed by hand:

* sample sessions (:data:`SAMPLES`): shell commands run with ``bash`` in a fresh
  folder holding links to ``examples/``, ``questionnaires/`` and
  ``tests/fixtures/``, with ``zegama`` on the PATH (``python -m assessment`` of
  this checkout) and a fixed ``--as-of 2026-12-01``; stdout and stderr as a
  terminal shows them, then ``$ echo $?`` and the code when it is not 0;
* ``python-output``: what the ```` ```python ```` block just above it prints,
  run in such a folder;
* the CLI reference (every command's ``--help``, through click), the profile
  and race field tables (from the pydantic models), the report's fields, the
  accepted spellings, the package layout (from each module's docstring).

tests/test_docs.py runs the check; tests/test_api.py runs the README's Python
example and compares what it prints with the block below it.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

AS_OF = "2026-12-01"
#: The files whose generated blocks this script owns.
DOC_GLOBS = ("README.md", "docs/*.md")
#: What a sample's folder links to, from the checkout (only those that exist).
LINKED = ("examples", "questionnaires", "tests/fixtures")
MARKER = re.compile(r"<!-- generated: (?P<name>[\w.-]+) -->(?P<body>.*?)<!-- end: (?P=name) -->", re.S)
OPENING = re.compile(r"<!-- (generated|end): ([\w.-]+) -->")
FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
TIMEOUT = 300


def doc_files() -> list[Path]:
    out: list[Path] = []
    for pattern in DOC_GLOBS:
        out += sorted(ROOT.glob(pattern))
    return out


# =========================================================================== running commands


class Sandbox:
    """A fresh folder to run samples in, like a checkout seen from its top, with ``zegama`` on the PATH."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="zegama-docs-"))
        for rel in LINKED:
            if (ROOT / rel).exists():
                (self.dir / rel).parent.mkdir(parents=True, exist_ok=True)
                (self.dir / rel).symlink_to(ROOT / rel)
        bin_dir = self.dir / ".bin"
        bin_dir.mkdir()
        for name, target in (("zegama", f'"{sys.executable}" -m assessment'), ("python", f'"{sys.executable}"'),
                             ("python3", f'"{sys.executable}"')):
            shim = bin_dir / name
            shim.write_text(f'#!/bin/sh\nexec {target} "$@"\n')
            shim.chmod(0o755)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("ZEGAMA_", "_ZEGAMA", "PYTHON", "CI", "COLUMNS", "LINES", "VIRTUAL_ENV"))}
        env.update(PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}", PYTHONPATH=str(ROOT),
                   PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8", COLUMNS="80",
                   LC_ALL="C.UTF-8", LANG="C.UTF-8", TERM="dumb", HOME=str(self.dir), NO_COLOR="1")
        self.env = env

    def write(self, files: dict[str, str]) -> None:
        for name, text in files.items():
            (self.dir / name).parent.mkdir(parents=True, exist_ok=True)
            (self.dir / name).write_text(text, encoding="utf-8")

    def run(self, command: str) -> tuple[str, int]:
        """Run ``command`` with bash; its output (stdout and stderr, in order) and exit code."""
        proc = subprocess.run(["bash", "-c", command], cwd=self.dir, env=self.env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        return self.clean(proc.stdout.decode("utf-8", "replace")), proc.returncode

    def clean(self, text: str) -> str:
        text = text.replace(str(self.dir) + "/", "").replace(str(self.dir), ".")
        return text.replace(str(ROOT) + "/", "")

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


@dataclass
class Step:
    """One shell command of a sample, shown as ``$ command`` and its output.

    ``keep`` selects the output lines shown, as ``(start, stop)`` ranges: ``start`` is a
    line number (negative: from the end) or a regex (the first line at or after the
    previous range that matches); ``stop`` is a number of lines, a regex (up to, not
    including, the next line that matches) or ``None`` (to the end). Lines left out
    are shown as ``[... N lines ...]``. ``width`` cuts longer lines, marked ``[...]``.
    A command that exits with another code than ``expect`` is not documented: the block
    stays as it was and the generation fails, naming it.
    """

    command: str
    keep: list[tuple[int | str, int | str | None]] | None = None
    width: int | None = None
    expect: int = 0   # the exit code the page explains: another one fails the generation


@dataclass
class Sample:
    steps: list[Step]
    files: dict[str, str] = field(default_factory=dict)  # written into the folder first (inputs, not outputs)


@dataclass
class Run:
    """A command the generator ran, for tests/test_docs.py."""

    block: str
    command: str
    exit_code: int


def select(lines: list[str], keep: list[tuple[int | str, int | str | None]] | None) -> list[str]:
    if keep is None:
        return lines
    shown: list[str] = []
    pos = 0

    def elide(upto: int) -> None:
        if upto > pos:
            n = upto - pos
            shown.append(f"[... {n} line{'s' if n != 1 else ''} ...]")

    for start, stop in keep:
        if isinstance(start, int):
            begin = start if start >= 0 else len(lines) + start
        else:
            begin = next((i for i in range(pos, len(lines)) if re.search(start, lines[i])), -1)
            if begin < 0:
                raise ValueError(f"no output line matches {start!r}")
        if begin < pos:
            raise ValueError(f"range starting at {start!r} overlaps the previous one")
        if stop is None:
            end = len(lines)
        elif isinstance(stop, int):
            end = min(begin + stop, len(lines))
        else:
            end = next((i for i in range(begin + 1, len(lines)) if re.search(stop, lines[i])), -1)
            if end < 0:
                raise ValueError(f"no output line after {start!r} matches {stop!r}")
        elide(begin)
        shown += lines[begin:end]
        pos = end
    elide(len(lines))
    return shown


def run_sample(name: str, sample: Sample, runs: list[Run]) -> str:
    box = Sandbox()
    try:
        box.write(sample.files)
        out: list[str] = []
        for step in sample.steps:
            text, code = box.run(step.command)
            runs.append(Run(name, step.command, code))
            if code != step.expect:
                raise RuntimeError(f"`{step.command}` exited {code}, not {step.expect}:\n{text.rstrip()[-2000:]}")
            lines = select(text.splitlines(), step.keep)
            if step.width:
                lines = [line if len(line) <= step.width else line[: step.width - 6].rstrip() + " [...]" for line in lines]
            out.append(f"$ {step.command}")
            out += lines
            if code != 0:
                out += ["$ echo $?", str(code)]
        return "\n```text\n" + "\n".join(out) + "\n```\n"
    finally:
        box.close()


def run_python(code: str) -> str:
    """What a Python example prints, run as a script in a sample folder."""
    box = Sandbox()
    try:
        (box.dir / "example.py").write_text(code, encoding="utf-8")
        text, status = box.run("python example.py")
        if status != 0:
            raise RuntimeError(f"the example exited with {status}:\n{text}")
        return "\n```text\n" + text + "```\n"
    finally:
        box.close()


# =========================================================================== the samples

A = f"--as-of {AS_OF}"
#: The interview's answers, one line per prompt, as a person types them.
INTERVIEW_ANSWERS = "\n".join([
    "ane", "1", "29", "", "2,5",                   # about you (Enter keeps the default goal)
    "47:30", "?", "4,5", "3", "55", "2600", "1",   # key numbers ("4,5" is refused, then 3)
    "y", "Azpeitia Trail", "2025-10-12", "21", "1400", "", "9", "140", "n",  # one race
    "6", "46:45", "",                              # the review: change answer 6, then Enter
]) + "\n"
RETEST = ("sed -e 's/^vk_time: .*/vk_time: \"44:20\"/' -e 's/^squat_1rm_kg: .*/squat_1rm_kg: 56/'"
          " -e 's/^strength_sessions_per_week: .*/strength_sessions_per_week: 2/'"
          " -e 's/^downhill_sessions_per_week: .*/downhill_sessions_per_week: 1/'"
          " examples/profiles/skimo.yaml > ane-retest.yaml")
BATCH = f"zegama batch examples/roster.csv --races examples/races.csv {A}"

SAMPLES: dict[str, Sample] = {
    # README.md
    "assess-skimo": Sample([Step(f"zegama assess examples/profiles/skimo.yaml {A}")]),
    "readme-interview": Sample(
        [Step(f"zegama interview --questionnaire quick {A} --interactive < answers.txt",
              keep=[("^About you", "^  1\\) F"), ("^Your age", 1), (-2, None)])],
        files={"answers.txt": INTERVIEW_ANSWERS}),
    "readme-batch": Sample([Step(BATCH, keep=[(0, 6), (-4, None)], expect=1)]),
    "readme-json": Sample([Step(
        f"echo '{{\"runner_id\": \"ane\", \"sex\": \"M\", \"vk_time\": \"37:00\"}}' | zegama assess - --format json {A} \\\n"
        "    | python -c 'import json, sys; r = json.load(sys.stdin); "
        "print(r[\"schema_version\"], r[\"fired_rules\"], sorted(r[\"catalog\"]))'")]),
    "readme-rules": Sample([Step("zegama rules list --pillar strength")]),
    "readme-python-m": Sample([Step("python -m assessment --version")]),
    # docs/profile.md
    "profile-example": Sample([Step("cat examples/profiles/skimo.yaml")]),
    "profile-invalid": Sample([
        Step("printf 'runner_id: x\\nage: 5\\nvk_time: \"4:30\"\\naet_hr: 170\\nthreshold_hr: 160\\n' > bad.yaml"),
        Step(f"zegama assess bad.yaml {A}", expect=1),
    ]),
    # docs/report.md
    "report-markdown": Sample([Step(f"zegama assess examples/profiles/skimo.yaml {A} --format markdown",
                                    keep=[(0, "^## Entry profile"), ("^## Findings", 1), ("^### ", "^### ")])]),
    "report-schema": Sample([Step("zegama schema report -o report.schema.json"),
                             Step("python -c 'import json; s = json.load(open(\"report.schema.json\")); "
                                  "print(s[\"$schema\"]); print(s[\"title\"], s[\"properties\"][\"schema_version\"])'")]),
    "report-html": Sample([Step(f"zegama assess examples/profiles/skimo.yaml {A} --format html -o report.html"),
                           Step("head -c 15 report.html; echo")]),
    # docs/estimate.md
    "estimate-table": Sample([Step(f"zegama estimate examples/profiles/skimo.yaml {A}")]),
    # docs/plan.md
    "plan-table": Sample([Step(f"zegama plan examples/profiles/skimo.yaml {A}",
                               keep=[(0, "^Week 3"), ("^Build phase", "^Week 10"), ("^Race plan", None)])]),
    "plan-late": Sample([Step("zegama plan examples/profiles/skimo.yaml --as-of 2027-05-07",
                              keep=[(0, "^How the plan")])]),
    "plan-ics": Sample([Step(f"zegama plan examples/profiles/skimo.yaml {A} --format ics | head -24")]),
    "estimate-json": Sample([Step(
        f"zegama estimate examples/profiles/skimo.yaml {A} --course-km 31 --course-dplus 2200 --format json"
        " | python -c 'import json, sys; e = json.load(sys.stdin); print(e[\"finish\"], e[\"barriers\"])'")]),
    "estimate-none": Sample([Step(f"echo '{{\"runner_id\": \"x\", \"flat_10k_time\": \"33:00\"}}' | zegama estimate - {A}",
                                  expect=1)]),
    # docs/progress.md
    "progress-runner": Sample([
        Step(f"zegama assess examples/profiles/skimo.yaml {A} --format json -o before.json"),
        Step(RETEST),
        Step("zegama assess ane-retest.yaml --as-of 2027-01-26 --format json -o after.json"),
        Step("zegama progress before.json after.json"),
    ]),
    "progress-v1": Sample([
        Step(RETEST),
        Step("zegama assess ane-retest.yaml --as-of 2027-01-26 --format json -o after.json"),
        Step("zegama progress tests/fixtures/reports-1.0/skimo.json after.json"),
    ]),
    # docs/interview.md
    "interview-quick": Sample(
        [Step(f"zegama interview --questionnaire quick {A} --interactive < answers.txt",
              keep=[(0, "^Review your answers"), ("^Review your answers", "^Changed"),
                    ("^Changed", "^Zegama gap report"), ("^Zegama gap report", 4), ("^Profile saved", None)])],
        files={"answers.txt": INTERVIEW_ANSWERS}),
    "interview-stopped": Sample([
        Step(f"printf 'ane\\n1\\n' | zegama interview --questionnaire quick {A} --interactive",
             keep=[("^About you", None)], expect=1),
        Step("cat zegama-profile.yaml"),
    ]),
    "interview-no-input": Sample(
        [Step("cat club-form.yaml"), Step(f"zegama interview --answers club-form.yaml --no-input {A}", expect=1)],
        files={"club-form.yaml": textwrap.dedent("""\
            runner_id: jon
            sex: M
            vk_time: "41:20"
            flat_10k_time: null        # null: "don't know"
            races:
              - {race: Zegama VK, distance_km: 2.9, dplus_m: 1000}
            """)}),
    "interview-bad-questionnaire": Sample([
        Step("sed 's/type: integer/type: duration/' questionnaires/quick.yaml > my-form.yaml"),
        Step("zegama interview --questionnaire my-form.yaml", expect=1),
    ]),
    "questions-json": Sample([Step("zegama questions --questionnaire quick --format json > quick.json"),
                              Step("head -n 8 quick.json")]),
    # docs/batch.md
    "batch-club": Sample([Step(BATCH, keep=[(0, "^Session groups"), ("^Session groups", 6), (-4, None)], expect=1)]),
    "batch-errors": Sample([Step(f"{BATCH} > /dev/null", expect=1), Step("cat zegama-out/errors.csv"), Step("ls zegama-out")]),
    "batch-dup": Sample([
        Step("printf 'runner_id;name;age\\nane;Ane;30\\n;No id;31\\nane;Ane bis;32\\n' > dup.csv"),
        Step(f"zegama batch dup.csv {A} --out dup-out --format json > /dev/null", expect=1),
        Step("cut -d, -f1-4,11 dup-out/assessments.csv"),
    ]),
    # docs/embedding.md
    "json-error": Sample([Step("echo '{\"runner_id\": \"ane\", \"vk_time\": \"4:30\"}' | zegama assess - --format json",
                               expect=1)]),
    # docs/rules.md
    "rules-list": Sample([Step("zegama rules list")]),
    "rules-show": Sample([Step("zegama rules show UP001", width=100)]),
    "rules-validate": Sample([Step("zegama rules validate examples/custom_pack"),
                              Step("zegama rules validate tests/fixtures/broken_pack", width=100, expect=1)]),
    "rules-targets": Sample([Step("zegama rules targets goal_time vk_time", width=100)]),
    # docs/goal-levels.md
    "goal-levels": Sample([Step("zegama rules targets uphill_test_vam flat_10k_time longest_run_time "
                                "cutoff_vk_time min_weekly_km min_cmj_cm", width=100)]),
    "goal-time": Sample([Step("printf 'runner_id: m\\nsex: F\\ngoal: finish\\ngoal_time: \"7:40:00\"\\n' > m.yaml"),
                         Step(f"zegama assess m.yaml {A}", keep=[(0, 5), ("^  - \\[RS013\\]", 6)])]),
    "rules-test": Sample([Step("zegama rules test examples/custom_pack --rule CLB001 --rule UP001")]),
    "rules-explain": Sample([
        Step("printf 'runner_id: ane\\nsex: M\\ngoal: compete\\nvk_time: \"46:00\"\\n' > ane.yaml"),
        Step(f"zegama explain ane.yaml UP001 {A}", keep=[(0, "^Targets:"), ("^Result:", None)]),
        Step(f"zegama explain ane.yaml UP001 {A} --rules examples/custom_pack", width=100),
    ]),
    "rules-export": Sample([
        Step("zegama rules export -o ruleset.json"),
        Step("python -c 'import json; r = json.load(open(\"ruleset.json\")); [(name, rules)] = r.items(); "
             "print(name, len(rules), \"rules\"); print(json.dumps(rules[\"UP001\"]))'", width=100),
    ]),
}


# =========================================================================== generated from the code


def cli_commands() -> list[tuple[list[str], object]]:
    """Every command of ``zegama`` as (path, click command), the group first, depth first."""
    import click

    from assessment.cli.main import main

    out: list[tuple[list[str], object]] = []

    def walk(cmd, path: list[str]) -> None:
        out.append((path, cmd))
        if isinstance(cmd, click.Group):
            ctx = click.Context(cmd, info_name=path[-1] if path else "zegama")
            for name in cmd.list_commands(ctx):
                walk(cmd.get_command(ctx, name), path + [name])

    walk(main, [])
    return out


def cli_help(path: list[str]) -> tuple[str, int]:
    from click.testing import CliRunner

    from assessment.cli.main import main

    result = CliRunner().invoke(main, [*path, "--help"], prog_name="zegama", terminal_width=80)
    return result.output, result.exit_code


def cli_reference(runs: list[Run]) -> str:
    parts = []
    for path, _ in cli_commands():
        name = " ".join(["zegama", *path])
        text, code = cli_help(path)
        runs.append(Run("cli-reference", f"{name} --help", code))
        parts.append(f"\n### `{name}`\n\n```text\n$ {name} --help\n{text}```\n")
    return "".join(parts)


#: Things worth fixing that do not make a block stale (printed on stderr).
WARNINGS: list[str] = []

#: What each profile or race field means, where the model's own description does not say.
FIELD_NOTES = {
    "runner_id": "Your id: initials, a nickname, a club number. The only required field.",
    "name": "Name shown on the report.",
    "sex": "Which reference values to compare with (`F` women's, `M` men's, `X` neither: women's values are used "
           "and the report says so). Any case.",
    "age": "Age on race day.",
    "body_mass_kg": "Body mass, for strength per kg and power against gravity.",
    "goal": "What you want at Zegama: `finish` inside the time limits, `compete` for a good place, or `podium`. "
            "Any case.",
    "background": "Sports raced or trained seriously; in CSV separated by `;`, `|` or `,`.",
    "vk_time": "Vertical-kilometre time: about 1,000 m D+ in under 5 km; a VK race counts.",
    "uphill_test_vam": "Vertical metres per hour held on a steep uphill test.",
    "flat_10k_time": "10K time on a flat course (a race or a solo time trial).",
    "max_hr": "Maximum heart rate.",
    "threshold_hr": "Anaerobic threshold heart rate; must be below `max_hr`.",
    "aet_hr": "Aerobic threshold heart rate; must be below `threshold_hr`.",
    "squat_1rm_kg": "Back squat one-repetition maximum (or estimated from a 5-rep set).",
    "single_leg_calf_raises": "Single-leg heel raises to fatigue (the weaker leg).",
    "cmj_cm": "Countermovement jump height.",
    "downhill_confidence": "Confidence on wet, technical descents at race effort: 1 I walk most of it, "
                           "3 safely at a steady pace, 5 I gain places on any descent.",
    "weekly_km": "Typical weekly distance over the last 8 to 12 weeks.",
    "weekly_dplus_m": "Typical weekly climbing (D+).",
    "strength_sessions_per_week": "Strength sessions a week.",
    "uphill_sessions_per_week": "Steep uphill sessions a week.",
    "downhill_sessions_per_week": "Downhill sessions a week.",
    "longest_climb_m": "Longest continuous climb in training (m D+).",
    "uses_poles": "Whether you will race with poles.",
    "crowd_composure": "Holding your own effort in a loud crowd (1-5).",
    "pacing_discipline": "Holding back on a fast start and the first climb (1-5).",
    "bad_weather_comfort": "Comfort racing in cold rain and mud (1-5).",
    "national_selection": "Selected by your national federation (a reserved-entry route).",
    "elite_invite": "Invited by the organisers as an elite runner.",
    "sponsor_entry": "An entry through a sponsor.",
    "zegama_finishes": "How many times you have finished Zegama.",
    "every_edition_finisher": "You have finished every edition of Zegama (a reserved-entry route).",
    "zegama_resident": "You are a registered resident of Zegama (the local places).",
    "itra_index": "ITRA performance index.",
    "utmb_index": "UTMB index.",
    "races": "Race history: a list of race results (next table).",
    "race": "Race name.",
    "date": "Race day, `YYYY-MM-DD` (in CSV also day first, `31/05/2026`).",
    "distance_km": "Race distance.",
    "dplus_m": "Race climbing (D+).",
    "circuit": "The circuit the race was part of, if any.",
    "position": "Overall position; not with `dnf` or `dns`; at most `finishers`.",
    "finishers": "Number of finishers.",
    "time": "Your finishing time; not faster than `winner_time`.",
    "winner_time": "The winner's time.",
    "status": "Whether you finished.",
}


def _field_rows(model) -> list[str]:
    from enum import Enum

    from annotated_types import Ge, Le
    from pydantic_core import PydanticUndefined

    from assessment.model.profile import DURATION_FIELDS
    from assessment.model.units import format_duration
    from assessment.schemas import schema

    props = schema("profile")
    props = props["properties"] if model.__name__ == "Profile" else props["$defs"][model.__name__]["properties"]
    defs = schema("profile")["$defs"]

    def kind(name: str, spec: dict) -> str:
        if name in DURATION_FIELDS:
            return "duration"
        options = [s for s in spec.get("anyOf", [spec]) if s.get("type") != "null"]
        s = options[0] if options else spec
        if "$ref" in s:
            values = defs[s["$ref"].rsplit("/", 1)[1]]["enum"]
            return "one of " + ", ".join(f"`{v}`" for v in values)
        if s.get("type") == "array":
            item = s["items"]
            if "$ref" in item:
                ref = item["$ref"].rsplit("/", 1)[1]
                if "enum" in defs[ref]:
                    return "list of " + ", ".join(f"`{v}`" for v in defs[ref]["enum"])
                return f"list of {ref}"
            return f"list of {item.get('type')}"
        if s.get("format") == "date":
            return "date"
        if s.get("type") == "object":
            return "map of field to text"
        return {"integer": "whole number", "number": "number", "boolean": "yes/no", "string": "text"}[s["type"]]

    rows = ["| field | type | unit | range | default | meaning |", "|---|---|---|---|---|---|"]
    for name, info in model.model_fields.items():
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        lo = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
        hi = next((m.le for m in info.metadata if isinstance(m, Le)), None)
        fmt = format_duration if name in DURATION_FIELDS else (lambda v: f"{v:g}")
        span = f"{fmt(lo)} to {fmt(hi)}" if lo is not None and hi is not None else ""
        if info.is_required():
            default = "required"
        elif info.default_factory is not None:
            default = "empty"
        elif info.default is None or info.default is PydanticUndefined:
            default = "unknown"
        else:
            value = info.default.value if isinstance(info.default, Enum) else info.default
            default = f"`{value}`"
        meaning = info.description or FIELD_NOTES.get(name, "")
        if not meaning:
            WARNINGS.append(f"field {model.__name__}.{name} has no meaning: give it doc= in the model "
                            "or an entry in FIELD_NOTES (scripts/docs.py)")
        cells = [f"`{name}`", kind(name, props[name]), extra.get("unit") or "", span, default, meaning]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return rows


def profile_fields(runs: list[Run]) -> str:
    from assessment.model.profile import Profile

    return "\n" + "\n".join(_field_rows(Profile)) + "\n"


def race_fields(runs: list[Run]) -> str:
    from assessment.model.profile import RaceResult

    return "\n" + "\n".join(_field_rows(RaceResult)) + "\n"


def yes_no(runs: list[Run]) -> str:
    from assessment.model.vocabulary import ENUMS

    _TRUE, _FALSE = ENUMS["yes_no"]["yes"], ENUMS["yes_no"]["no"]

    def words(values: Iterable[str]) -> str:
        return ", ".join(f"`{v}`" for v in sorted(values, key=lambda v: (v.isdigit(), v)))

    return f"yes: {words(_TRUE)}; no: {words(_FALSE)} (any case)"


def vocabulary_words(runs: list[Run]) -> str:
    from assessment.model.vocabulary import ENUMS

    rows = ["| field | value | also written as |", "|---|---|---|"]
    for field, table in ENUMS.items():
        if field == "yes_no":
            continue
        for value, words in table.items():
            shown = ", ".join(f"`{w}`" for w in words if w != value)
            rows.append(f"| `{field}` | `{value}` | {shown} |")
    return "\n" + "\n".join(rows) + "\n"


def csv_headers(runs: list[Run]) -> str:
    from assessment.model.vocabulary import HEADERS

    rows = ["| field | headers also read as it |", "|---|---|"]
    for field, words in HEADERS.items():
        rows.append(f"| `{field}` | {', '.join(f'`{w}`' for w in words)} |")
    return "\n" + "\n".join(rows) + "\n"


def missing_markers(runs: list[Run]) -> str:
    from assessment.batch.roster import MISSING_MARKERS

    return ", ".join(f"`{v}`" for v in sorted(MISSING_MARKERS))


def schema_version(runs: list[Run]) -> str:
    from assessment.report.model import SCHEMA_VERSION

    return SCHEMA_VERSION


#: What each field of a report means (the model's docstrings say more; see docs/report.md).
REPORT_NOTES = {
    "schema_version": "The version of this shape; see [Versions](#versions).",
    "pack": "The rule pack used, with a digest of its content.",
    "runner_id": "From the profile.",
    "name": "From the profile.",
    "as_of": "The assessment date.",
    "edition": "The target edition: its date (and whether it is estimated), pre-registration and draw.",
    "weeks_to_race": "Weeks from `as_of` to race day.",
    "phase": "The training phase: `base` (more than 16 weeks out), `build` (16-10), `race_specific` (10-2), `taper`.",
    "goal": "From the profile (`compete` when not given).",
    "sex": "From the profile.",
    "targets_note": "Set when the targets used are not the runner's own (e.g. women's values for `X`).",
    "fit_score": "Profile fit, 0-100.",
    "fit_measured": "How many benchmarks the fit is measured on.",
    "fit_of": "How many benchmarks the pack has.",
    "tags": "Labels the rules attached to the runner (e.g. `first_zegama`).",
    "eligibility": "The entry verdict, with the entry rules that fired and the results they used, the routes "
                   "and whether each applies, the lottery and the next steps.",
    "findings": "Every gap and note: the rule, its severity, the values it read and the targets for this runner.",
    "benchmarks": "Every benchmark of the pack, met, below its target or unknown, with the share of the target reached.",
    "emphases": "The five pillars ranked for the phase, each with its gap and the findings behind it.",
    "missing": "Tests to take: the benchmarks we do not know, each counted as a gap until measured.",
    "weekly_sessions": "The suggested week for the phase, ordered by the runner's emphases.",
    "fired_rules": "Every rule that fired, sorted.",
    "catalog": "The shared descriptions the report cites, by key (left out of batch lines; see below).",
}

#: What each map of a report's catalog holds.
CATALOG_NOTES = {
    "rules": "By rule id; `test` says how to measure a missing benchmark.",
    "targets": "By target (parameter) name.",
    "routes": "By entry route id.",
    "benchmarks": "By benchmark field: the target it is measured against and the radar trait it belongs to.",
    "sessions": "The sessions of the suggested week, by phase and pillar.",
    "sources": "By source key.",
}


def _schema_type(spec: dict) -> str:
    options = [s for s in spec.get("anyOf", [spec]) if s.get("type") != "null"]
    s = options[0] if options else spec
    if "$ref" in s:
        return s["$ref"].rsplit("/", 1)[1]
    if s.get("type") == "array":
        return f"list of {_schema_type(s['items'])}"
    if s.get("type") == "object":
        extra = s.get("additionalProperties")
        return f"map of {_schema_type(extra)}" if isinstance(extra, dict) else "object"
    if "enum" in s:
        return " \\| ".join(f"`{v}`" for v in s["enum"])
    if "const" in s:
        return f"`{s['const']}`"
    return {"integer": "integer", "number": "number", "boolean": "boolean", "string": "date" if s.get("format") == "date"
            else "text"}.get(s.get("type"), "any")


def _field_comments(cls: str) -> dict[str, str]:
    """The comments written beside the fields of a class of assessment/report/model.py."""
    out: dict[str, str] = {}
    inside = False
    for line in (ROOT / "assessment" / "report" / "model.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("class "):
            inside = line.startswith(f"class {cls}(")
        elif inside:
            m = re.match(r"    (\w+): [^#]*#\s*(.+)$", line)
            if m:
                out[m.group(1)] = m.group(2).strip()
    return out


def _model_of(spec: dict) -> str | None:
    """The $defs model a field holds (itself, in a list or a map), if any."""
    options = [x for x in spec.get("anyOf", [spec]) if x.get("type") != "null"]
    s = options[0] if options else spec
    for node in (s, s.get("items") or {}, s.get("additionalProperties") if isinstance(s.get("additionalProperties"), dict) else {}):
        if "$ref" in node:
            return node["$ref"].rsplit("/", 1)[1]
    return None


def _model_table(props: dict, required: Iterable[str], notes: dict[str, str], where: str, defs: dict) -> str:
    """A model's fields: the note in this script, the comment beside the field in the code, and the fields
    of the model it holds (from the schema)."""
    comments = _field_comments(where)
    rows = ["| field | type | meaning |", "|---|---|---|"]
    for name, spec in props.items():
        req = " (always)" if name in required else ""
        note = notes.get(name, "")
        if name in comments:
            text = comments[name][0].upper() + comments[name][1:]
            note = note + (" " if note else "") + text.rstrip(".") + "."
        inner = _model_of(spec)
        if inner and "properties" in defs.get(inner, {}):
            fields = ", ".join(f"`{f}`" for f in defs[inner]["properties"])
            note = (note + " " if note else "") + f"{inner}: {fields}."
        if not note:
            WARNINGS.append(f"{where}.{name} has no meaning: add it to scripts/docs.py")
        rows.append(f"| `{name}`{req} | {_schema_type(spec)} | {note.replace('|', '/')} |")
    return "\n" + "\n".join(rows) + "\n"


def report_fields(runs: list[Run]) -> str:
    from assessment.schemas import schema

    s = schema("report")
    return _model_table(s["properties"], s.get("required", ()), REPORT_NOTES, "Report", s["$defs"])


def catalog_fields(runs: list[Run]) -> str:
    from assessment.schemas import schema

    defs = schema("report")["$defs"]
    s = defs["Catalog"]
    return _model_table(s["properties"], s.get("required", ()), CATALOG_NOTES, "Catalog", defs)


def report_excerpt(runs: list[Run]) -> str:
    """The JSON report of the example runner with every list cut to its first item and every map to its first key."""
    box = Sandbox()
    try:
        command = f"zegama assess examples/profiles/skimo.yaml {A} --format json"
        text, code = box.run(command)
        runs.append(Run("report-excerpt", command, code))
    finally:
        box.close()
    report = json.loads(text)
    counts = []

    def cut(node, path: str, depth: int):
        if isinstance(node, list):
            if len(node) > 1:
                counts.append(f"`{path}`: {len(node)}")
            return [cut(x, path + "[]", depth + 1) for x in node[:1]]
        if isinstance(node, dict):
            if path.startswith("catalog.") and depth == 2 and len(node) > 1:
                counts.append(f"`{path}`: {len(node)}")
                first = next(iter(node))
                return {first: cut(node[first], f"{path}.{first}", depth + 1)}
            return {k: cut(v, f"{path}.{k}" if path else k, depth + 1) for k, v in node.items()}
        return node

    short = cut(report, "", 0)
    body = json.dumps(short, indent=2, ensure_ascii=False)
    return (f"\n```json\n{body}\n```\n\nIn full ({len(text.encode()):,} bytes) it has, of the lists and catalog "
            f"maps cut above: {', '.join(counts)}.\n")


def _docstring(path: Path) -> str:
    """A module's docstring, its reStructuredText roles and literals as markdown code."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    doc = re.sub(r":\w+:`~?([^`]+)`", r"`\1`", doc)
    return doc.replace("``", "`")


def layout(runs: list[Run]) -> str:
    pkg = ROOT / "assessment"
    out = ["", "| module | what it holds |", "|---|---|"]
    for path in sorted(pkg.glob("*.py")):
        out.append(f"| `assessment/{path.name}` | {_docstring(path).split(chr(10) + chr(10))[0].replace(chr(10), ' ')} |")
    for sub in sorted(p for p in pkg.iterdir() if (p / "__init__.py").exists()):
        doc = _docstring(sub / "__init__.py")
        head, _, rest = doc.partition("\n\n")
        out += ["", f"### `assessment/{sub.name}/`: {' '.join(head.split())}", ""]
        if rest.strip():
            out += [" ".join(rest.split()), ""]
        out += ["| module | what it holds |", "|---|---|"]
        for path in sorted(sub.glob("*.py")):
            if path.name == "__init__.py":
                continue
            first = " ".join(_docstring(path).split("\n\n")[0].split())
            out.append(f"| `{path.stem}` | {first.replace('|', '/')} |")
    return "\n".join(out) + "\n"


def public_api(runs: list[Run]) -> str:
    import assessment

    return ", ".join(f"`{name}`" for name in assessment.__all__)


def layers(runs: list[Run]) -> str:
    """What each part of the package may import, from the table tests/test_layout.py checks."""
    import importlib

    allowed = importlib.import_module("tests.test_layout").ALLOWED

    def names(parts) -> str:
        parts = [f"`{p}`" for p in parts]
        return "nothing else of the package" if not parts else (
            parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1])

    order = ["model", "rules", "report", "pipeline", "schemas", "interview", "batch"]
    keys = [k for k in order if k in allowed] + sorted(k for k in allowed if k not in order)
    rows = ["", "| part | may import |", "|---|---|"]
    rows += [f"| `{k}` | {names(sorted(allowed[k], key=lambda x: (order.index(x) if x in order else 99, x)))} |" for k in keys]
    rows.append("| `cli` | anything (and nothing imports it) |")
    return "\n".join(rows) + "\n"


def _rule_yaml(path: str, rule_id: str) -> str:
    """One rule of a pack file, as it is written there."""
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if re.match(rf"\s*- id: {re.escape(rule_id)}\s*$", line)), None)
    if start is None:
        raise ValueError(f"no rule {rule_id} in {path}")
    indent = len(lines[start]) - len(lines[start].lstrip())

    def ends(line: str) -> bool:
        if not line.strip():
            return False
        lead = len(line) - len(line.lstrip())
        return lead < indent or (lead == indent and line.lstrip().startswith("- "))

    end = next((i for i in range(start + 1, len(lines)) if ends(lines[i])), len(lines))
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    body = textwrap.dedent("\n".join(lines[start:end]))
    return f"\n```yaml\n# {path}\n{body}\n```\n"


def pack_files(runs: list[Run]) -> str:
    """The files of the built-in pack, each with the first paragraph of its opening comment."""
    import yaml

    pack = ROOT / "rules" / "zegama"
    rows = ["", "| file | what it holds |", "|---|---|"]
    for path in sorted(pack.rglob("*.yaml"), key=lambda p: (p.parent != pack, p.as_posix())):
        lines = path.read_text(encoding="utf-8").splitlines()
        comment: list[str] = []
        for line in lines:
            if not line.startswith("#"):
                break
            text = line.lstrip("#").strip()
            if not text:
                break
            comment.append(text)
        what = " ".join(comment)
        if not what and path.name == "pack.yaml":
            data = yaml.safe_load("\n".join(lines)) or {}
            what = (f"The pack's name (`{data.get('name')}`), version (`{data.get('version')}`), title and "
                    "description" + (", and the redirects of renamed rule ids" if data.get("redirects") else ""))
        rows.append(f"| `{path.relative_to(pack).as_posix()}` | {what.replace('|', '/')} |")
    return "\n".join(rows) + "\n"


def python_output(runs: list[Run]) -> str:  # placeholder: handled where the block is (it needs the code above it)
    raise NotImplementedError


def _shell(name: str) -> Callable[[list[Run]], str]:
    return lambda runs: run_sample(name, SAMPLES[name], runs)


#: Every block a document may hold, by name.
BLOCKS: dict[str, Callable[[list[Run]], str]] = {
    **{name: _shell(name) for name in SAMPLES},
    "cli-reference": cli_reference,
    "profile-fields": profile_fields,
    "race-fields": race_fields,
    "yes-no": yes_no,
    "missing-markers": missing_markers,
    "vocabulary-words": vocabulary_words,
    "csv-headers": csv_headers,
    "schema-version": schema_version,
    "report-fields": report_fields,
    "catalog-fields": catalog_fields,
    "report-excerpt": report_excerpt,
    "layout": layout,
    "layers": layers,
    "public-api": public_api,
    "pack-files": pack_files,
    "rule-UP001": lambda runs: _rule_yaml("rules/zegama/rules/uphill.yaml", "UP001"),
    "rule-CLB001": lambda runs: _rule_yaml("examples/custom_pack/rules/club.yaml", "CLB001"),
    "python-output": python_output,
}


# =========================================================================== the documents


@dataclass
class Block:
    name: str
    old: str      # the body in the file
    new: str      # the body the code makes now


@dataclass
class Result:
    texts: dict[Path, str]              # every document, its generated blocks as the code makes them now
    problems: list[str]                  # markers that cannot be generated (unknown name, no end, failing sample)
    runs: list[Run]                      # every command run, with its exit code
    blocks: dict[Path, list[Block]]      # per document, in order


def _python_above(text: str, at: int) -> str | None:
    blocks = [m for m in FENCE.finditer(text, 0, at) if m.group(1) == "python"]
    return blocks[-1].group(2) if blocks else None


def build(paths: list[Path] | None = None) -> Result:
    """Every generated block of ``paths`` (default: README.md and docs/*.md) as the code makes it now."""
    paths = paths if paths is not None else doc_files()
    problems: list[str] = []
    runs: list[Run] = []
    jobs: dict[str, object] = {}      # block key -> future (None: made in this thread)
    found: dict[Path, list[tuple[re.Match, str | None]]] = {}
    texts = {p: p.read_text(encoding="utf-8") for p in paths}

    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        for path, text in texts.items():
            rel = path.relative_to(ROOT)
            matches = list(MARKER.finditer(text))
            opened = [m for m in OPENING.finditer(text) if m.group(1) == "generated"]
            if len(opened) != len(matches):
                problems.append(f"{rel}: a `<!-- generated: NAME -->` marker has no matching `<!-- end: NAME -->`")
            found[path] = []
            for m in matches:
                name, key = m.group("name"), None
                if name not in BLOCKS:
                    problems.append(f"{rel}: unknown generated block {name!r} (known: {', '.join(sorted(BLOCKS))})")
                elif name == "python-output":
                    code = _python_above(text, m.start())
                    if code is None:
                        problems.append(f"{rel}: python-output with no ```python block above it")
                    else:
                        key = "python:" + code
                        if key not in jobs:
                            jobs[key] = pool.submit(run_python, code)
                elif name in SAMPLES:  # shell samples run in parallel, each in its own folder
                    key = name
                    if key not in jobs:
                        jobs[key] = pool.submit(BLOCKS[name], runs)
                else:  # the rest runs here, in this thread (click's CliRunner swaps sys.stdout)
                    key = name
                    jobs.setdefault(key, None)
                found[path].append((m, key))

        bodies: dict[str, str] = {}
        for key, job in jobs.items():
            try:
                bodies[key] = BLOCKS[key](runs) if job is None else job.result()
            except Exception as exc:  # a sample that no longer runs as written: say which
                label = key.splitlines()[0][:60] + (" ..." if key.startswith("python:") else "")
                problems.append(f"block {label!r} could not be generated: {exc}")

    new_texts: dict[Path, str] = {}
    blocks: dict[Path, list[Block]] = {}
    for path, text in texts.items():
        out, pos, blocks[path] = [], 0, []
        for m, key in found[path]:
            body = bodies.get(key, m.group("body")) if key else m.group("body")
            out += [text[pos:m.start("body")], body]
            pos = m.end("body")
            blocks[path].append(Block(m.group("name"), m.group("body"), body))
        out.append(text[pos:])
        new_texts[path] = "".join(out)
    return Result(new_texts, problems, runs, blocks)


def stale(result: Result) -> list[str]:
    """One entry per generated block whose text differs from what the code makes now, with the first lines of the diff."""
    out = []
    for path, blocks in result.blocks.items():
        for block in blocks:
            if block.old != block.new:
                diff = list(difflib.unified_diff(block.old.splitlines(), block.new.splitlines(), "in the file",
                                                 "from the code", lineterm="", n=0))[2:10]
                out.append(f"{path.relative_to(ROOT)}: block {block.name} is stale\n"
                           + "\n".join("    " + d for d in diff))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python scripts/docs.py", description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 listing the stale blocks")
    args = ap.parse_args(argv)
    result = build()
    for problem in result.problems:
        print(problem, file=sys.stderr)
    for warning in dict.fromkeys(WARNINGS):
        print(f"warning: {warning}", file=sys.stderr)
    if args.check:
        lines = stale(result)
        for line in lines:
            print(line)
        if lines or result.problems:
            print(f"\n{len(lines)} stale block(s), {len(result.problems)} that cannot be generated; "
                  "run: .venv/bin/python scripts/docs.py", file=sys.stderr)
            return 1
        print(f"{sum(len(b) for b in result.blocks.values())} generated blocks in {len(result.texts)} files are current")
        return 0
    changed = [p for p, text in result.texts.items() if p.read_text(encoding="utf-8") != text]
    for path in changed:
        path.write_text(result.texts[path], encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if result.problems:
        print(f"{len(result.problems)} block(s) could not be generated and were left as they were (see above)",
              file=sys.stderr)
        return 1
    if not changed:
        print("every generated block is current")
    return 0


if __name__ == "__main__":
    sys.exit(main())
