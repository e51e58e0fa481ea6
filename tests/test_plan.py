"""The plan to race day: progression, milestones, the edges of the calendar, the ICS file (parsed
back, the fields calendars need, UIDs stable across updates), the one-page summary in print."""

import datetime as dt
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from assessment import assess, load_rulebase
from assessment.cli.main import main
from assessment.plan import PlanError, build_plan
from assessment.plan.ics import to_ics
from assessment.rules.rulebase import default_rulebase
from tests.conftest import EXAMPLES, ROOT
from tests.test_browser import CHROMIUM, needs_chromium

RACE = dt.date(2027, 5, 16)


def plan_for(as_of, name="skimo", **kw):
    rb = kw.pop("rb", None) or default_rulebase()
    profile = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    return build_plan(assess(profile, as_of=as_of, rulebase=rb, **kw), rb)


@pytest.fixture(scope="module")
def full():
    return plan_for("2026-12-01")


def test_every_week_to_race_day_is_there_once_and_in_order(full):
    weeks = full.weeks
    assert weeks[0].start == dt.date(2026, 12, 1) and weeks[-1].end == RACE
    for a, b in zip(weeks, weeks[1:]):
        assert b.start == a.end + dt.timedelta(days=1) and b.weeks_out == a.weeks_out - 1
    assert [w.phase for w in weeks] == sorted((w.phase for w in weeks),
                                              key=["base", "build", "race_specific", "taper"].index)
    assert {w.phase for w in weeks} == {"base", "build", "race_specific", "taper"}


def test_load_rises_for_two_weeks_then_eases_and_the_taper_falls(full):
    spec = default_rulebase().plan
    for phase in ("base", "build", "race_specific"):
        loads = [w.load for w in full.weeks if w.phase == phase]
        easy = [w.easy for w in full.weeks if w.phase == phase]
        assert easy[:3] == [False, False, True] or phase == "base"  # base opens on the as-of
        for i, w in enumerate(loads[:-1]):
            if not easy[i] and not easy[i + 1]:
                assert loads[i + 1] > w  # a harder week follows a harder one
            if easy[i + 1]:
                assert loads[i + 1] < w  # the easier week is easier than the one before
        assert all(easy[i] for i in range(len(easy)) if (i + 1) % (spec.load.build_weeks + 1) == 0) or phase == "base"
    taper = [w.load for w in full.weeks if w.phase == "taper"]
    assert taper == spec.taper.loads and taper == sorted(taper, reverse=True)
    assert max(w.load for w in full.weeks) <= (1 + spec.load.rise) ** spec.load.build_weeks


def test_sessions_follow_the_phase_mix_and_the_runner_s_priorities(full):
    rb = default_rulebase()
    for w in full.weeks:
        mix = {s["pillar"] for s in rb.scoring["session_mix"].get(w.advice) or rb.scoring["session_mix"][w.phase]}
        assert {s.pillar for s in w.sessions} <= mix and w.sessions
        assert all(s.count >= 1 for s in w.sessions)
    base = next(w for w in full.weeks if w.phase == "base")
    assert [s.pillar for s in base.sessions][:2] == [p.pillar for p in full.priorities][:2]
    assert all(s.focus for s in base.sessions[:2])
    assert any(w.advice == "final_weeks" for w in full.weeks)


def test_milestones_retests_tune_ups_entry_dates_race_day(full):
    kinds = [m.kind for m in full.milestones]
    assert kinds[-1] == "race_day" and full.milestones[-1].date == RACE
    assert {"preregistration_opens", "preregistration_closes", "draw"} <= set(kinds)
    assert all(m.estimated for m in full.milestones if m.kind != "retest" and m.kind != "tune_up")
    by_key = {m.key: m for m in full.milestones}
    week_of = {m.key: w for w in full.weeks for m in w.milestones}
    assert set(by_key) == set(week_of)  # each milestone sits in the week it falls in
    for key, w in week_of.items():
        m = by_key[key]
        assert w.start <= m.date <= w.end
        if m.kind == "retest":
            assert w.phase in ("base", "build") and (w.weeks_out - 11) % 7 == 0
        if m.kind == "tune_up":
            assert w.phase == "race_specific" and 3 <= w.weeks_out <= 8
    assert sum(k == "retest" for k in kinds) >= 2 and sum(k == "tune_up" for k in kinds) == 3
    assert not any(m.kind in ("retest", "tune_up") for w in full.weeks if w.phase == "taper" for m in w.milestones)


def test_two_weeks_out_the_plan_is_the_taper_and_the_race_plan():
    p = plan_for("2027-05-07")
    assert {w.phase for w in p.weeks} == {"taper"} and len(p.weeks) == 2
    assert [m.kind for m in p.milestones] == ["race_day"]
    assert p.race_plan.lines[0].startswith("Sancti Spiritu by about")


def test_an_as_of_mid_phase_continues_the_phase_s_cycle(full):
    mid = plan_for("2027-03-24")
    first = mid.weeks[0]
    same = next(w for w in full.weeks if w.weeks_out == first.weeks_out)
    assert first.phase == same.phase == "race_specific"
    assert (first.load, first.easy) == (same.load, same.easy)
    assert [w.key for w in mid.weeks] == [w.key for w in full.weeks if w.weeks_out <= first.weeks_out]


def test_after_race_day_the_error_names_the_next_edition(tmp_path):
    r = CliRunner().invoke(main, ["plan", str(EXAMPLES / "skimo.yaml"), "--as-of", "2027-06-01", "--edition", "2027"])
    assert r.exit_code == 1 and "ran on 2027-05-16" in r.output and "--race-date" in r.output
    r = CliRunner().invoke(main, ["plan", str(EXAMPLES / "skimo.yaml"), "--as-of", "2026-06-01", "--edition", "2026"])
    assert r.exit_code == 1 and "plan for 2027 with --edition 2027" in r.output


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 300))
def test_any_day_before_the_race_gives_a_complete_plan(days_before):
    as_of = RACE - dt.timedelta(days=days_before)
    p = plan_for(as_of.isoformat())
    assert p.weeks[0].start == as_of and p.weeks[-1].end == RACE
    assert p.milestones[-1].kind == "race_day"
    assert all(w.sessions for w in p.weeks)
    assert p.weeks[-1].phase == "taper"


# --------------------------------------------------------------------------- the calendar


def _events(ics: bytes):
    cal = Calendar.from_ical(ics)
    return cal, [c for c in cal.walk("VEVENT")]


def test_the_ics_parses_back_with_the_fields_calendars_need(full):
    ics = to_ics(full)
    assert ics.startswith(b"BEGIN:VCALENDAR\r\n") and b"\r\n" in ics
    assert all(len(line) <= 75 for line in ics.split(b"\r\n"))  # folded lines (RFC 5545 3.1)
    cal, events = _events(ics)
    assert str(cal["version"]) == "2.0" and str(cal["prodid"]).startswith("-//zegama-assess")
    assert len(events) == len(full.weeks) + len(full.milestones)
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == len(uids)
    for e in events:
        start, end = e.decoded("dtstart"), e.decoded("dtend")
        assert isinstance(start, dt.date) and not isinstance(start, dt.datetime)  # all-day
        assert end > start and e.get("dtstamp") is not None and str(e["summary"])
        assert len(str(e["description"])) > 40  # what, why, how hard: nothing cut
    milestones = [e for e in events if "week" not in str(e["uid"])]
    for e in milestones:
        alarms = e.walk("VALARM")
        assert alarms and alarms[0].decoded("trigger") < dt.timedelta(0) and str(alarms[0]["action"]) == "DISPLAY"
    week1 = next(e for e in events if str(e["uid"]).endswith("-week-23@zegama-assess"))
    assert "Heavy lifts" in str(week1["description"])


def test_uids_are_stable_so_an_updated_plan_replaces_the_old_events(full):
    later = plan_for("2026-12-15")
    _, a = _events(to_ics(full))
    _, b = _events(to_ics(later))
    old = {str(e["uid"]): e for e in a}
    new = {str(e["uid"]): e for e in b}
    assert set(new) <= set(old)  # nothing new appears beside its older copy
    assert len(set(old) - set(new)) == 2  # the two weeks already past
    for uid, e in new.items():
        assert e.decoded("dtstart") >= old[uid].decoded("dtstart")
        assert int(e["sequence"]) > int(old[uid]["sequence"])  # the newer plan wins
        if "week" in uid and e.decoded("dtstart").weekday() == 0:
            assert e.decoded("dtstart") == old[uid].decoded("dtstart")
    assert to_ics(full) == to_ics(plan_for("2026-12-01"))  # deterministic


# --------------------------------------------------------------------------- the command and the pack


@pytest.mark.parametrize("fmt", ["table", "markdown", "json", "html", "ics"])
def test_every_format_of_the_command(tmp_path, fmt):
    out = tmp_path / f"plan.{fmt}"
    r = CliRunner().invoke(main, ["plan", str(EXAMPLES / "skimo.yaml"), "--as-of", "2026-12-01", "--format", fmt,
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text()
    assert "Heavy lifts" in text
    if fmt == "json":
        data = json.loads(text)
        assert data["plan_version"] == "1.0" and len(data["weeks"]) == 24
    if fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "<script" not in text


def test_a_bad_plan_file_is_refused_at_load(tmp_path):
    import shutil

    from assessment import RuleFileError

    pack = tmp_path / "pack"
    shutil.copytree(ROOT / "rules" / "zegama", pack)
    doc = yaml.safe_load((pack / "plan.yaml").read_text())
    doc["taper"]["loads"] = [0.4, 0.6]
    doc["retest"]["sources"] = ["nowhere"]
    (pack / "plan.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RuleFileError) as exc:
        load_rulebase(pack)
    text = str(exc.value)
    assert "plan.yaml" in text and "falling to race week" in text
    doc["taper"]["loads"] = [0.6, 0.4]
    (pack / "plan.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(RuleFileError, match="unknown source 'nowhere'"):
        load_rulebase(pack)


def test_every_plan_number_cites_a_source_of_the_pack():
    rb = default_rulebase()
    assert rb.plan.cited() <= set(rb.sources)
    p = plan_for("2026-12-01", rb=rb)
    assert set(p.sources) == rb.plan.cited() and all(v["url"].startswith("https://") for v in p.sources.values())


@needs_chromium
def test_the_summary_prints_on_one_a4_page(tmp_path):
    page = tmp_path / "summary.html"
    r = CliRunner().invoke(main, ["assess", str(EXAMPLES / "road.yaml"), "--as-of", "2026-12-01", "--format",
                                  "summary", "-o", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert "This week" in html and "Next milestone" in html and "Your three priorities" in html
    pdf = tmp_path / "summary.pdf"
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                        "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                       capture_output=True, timeout=120)
    pages = re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes())
    assert len(pages) == 1


def test_the_batch_writes_a_calendar_per_runner_and_the_squad_s(tmp_path):
    from assessment.batch.run import run_batch

    roster = tmp_path / "r.csv"
    roster.write_text("runner_id,sex,vk_time,strength_sessions_per_week\nsquad,F,55:00,0\nane/../x,F,50:00,2\n"
                      "bea,M,40:00,0\n")
    result = run_batch(roster, out_dir=tmp_path / "out", as_of="2026-12-01", plans=True)
    plans = tmp_path / "out" / "plans"
    names = sorted(p.name for p in plans.iterdir())
    assert names == ["ane_._x.ics", "bea.ics", "squad-2.ics", "squad.ics"]  # sanitised as runners/ are; the squad keeps its name
    runner = build_plan(assess({"runner_id": "bea", "sex": "M", "vk_time": "40:00", "strength_sessions_per_week": 0},
                               as_of="2026-12-01"), default_rulebase())
    assert (plans / "bea.ics").read_bytes() == to_ics(runner)  # the batch's calendar is the command's
    _, events = _events((plans / "squad.ics").read_bytes())
    weeks = [e for e in events if "-week-" in str(e["uid"])]
    assert len(weeks) == 24 and all(str(e["uid"]).startswith("squad-2027-") for e in events)
    groups = result.summary.group_sizes
    first = str(weeks[0]["description"])
    for pillar, n in groups.items():
        if n:
            assert f"group ({n} runner" in first
    assert not any("retest" in str(e["uid"]) for e in events)  # re-tests are each runner's own
    assert (tmp_path / "out" / "plans") in result.files


def test_what_is_left_of_the_first_week_holds_its_share_of_the_sessions(full):
    sunday = plan_for("2027-04-25")  # a Sunday: one day left of the week
    assert sunday.weeks[0].start == sunday.weeks[0].end and len(sunday.weeks[0].sessions) == 1
    assert sunday.weeks[0].sessions[0].pillar == sunday.weeks[1].sessions[0].pillar
    tuesday = full.weeks[0]  # six days of seven: the whole week's sessions but a half one
    assert sum(s.count for s in tuesday.sessions) <= sum(s.count for s in full.weeks[2].sessions) + 1
