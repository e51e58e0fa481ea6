"""zegama serve for a coach: sign-in, a roster through the batch, the squad, the trend across re-tests, downloads, deletion."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import zipfile

import pytest
from click.testing import CliRunner

from assessment.batch.run import run_batch
from assessment.cli import main
from assessment.web.security import check_password, hash_password
from assessment.web.store import DB_NAME, Store
from tests.conftest import AS_OF, ROOT
from tests.web_helpers import QUICK, client, csrf, errors, text, walk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ROSTER = ROOT / "examples" / "roster.csv"
RACES = ROOT / "examples" / "races.csv"
PASSWORD = "correct horse battery"


def small_roster(rows: int = 3) -> bytes:
    """The example roster's header and first runners, as Excel saved them (a BOM, ';', decimal commas)."""
    lines = ROSTER.read_bytes().splitlines(keepends=True)
    return b"".join(lines[: rows + 1])


def coach(tmp_path, name: str = "maite", **settings):
    Store(tmp_path / "data").add_coach(name, hash_password(PASSWORD))
    c = client(tmp_path, **settings)
    r = c.post("/coach/login", data={"csrf": csrf(c), "name": name, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/coach"
    return c


def upload(c, roster=None, races=None):
    roster = small_roster() if roster is None else roster
    files = {"roster": ("club.csv", roster.read_bytes() if hasattr(roster, "read_bytes") else roster, "text/csv")}
    if races is not None:
        files["races"] = ("races.csv", races.read_bytes(), "text/csv")
    return c.post("/coach/upload", data={"csrf": csrf(c)}, files=files)


def test_the_password_is_stored_as_an_argon2_hash(tmp_path):
    coach(tmp_path)
    stored = sqlite3.connect(tmp_path / "data" / DB_NAME).execute("SELECT password_hash FROM coaches").fetchone()[0]
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert check_password(stored, PASSWORD) and not check_password(stored, PASSWORD + "!")


def test_a_wrong_password_or_name_is_refused_the_same_way(tmp_path):
    Store(tmp_path / "data").add_coach("maite", hash_password(PASSWORD))
    c = client(tmp_path)
    for name, password in (("maite", "wrong password"), ("nobody", PASSWORD)):
        r = c.post("/coach/login", data={"csrf": csrf(c), "name": name, "password": password})
        assert r.status_code == 401 and errors(r.text) == ["Wrong name or password."]
    assert c.get("/coach", follow_redirects=False).headers["location"] == "/coach/login"


def test_the_squad_pages_need_a_sign_in(tmp_path):
    c = client(tmp_path)
    for path in ("/coach", "/coach/runner/1", "/coach/uploads/1/outputs.zip"):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/coach/login"
    r = c.post("/coach/upload", data={"csrf": csrf(c)}, files={"roster": ("r.csv", b"runner_id\na\n", "text/csv")},
               follow_redirects=False)
    assert r.status_code == 303


def test_an_upload_gives_the_batchs_results_problems_and_outputs(tmp_path):
    c = coach(tmp_path)
    r = upload(c, ROSTER, RACES)
    assert r.status_code == 200
    body = text(r.text)
    assert "20 runners assessed" in body
    assert "expected a number, got '80 kg'" in body  # the batch's own problem, from errors.csv
    assert "Warning: roster.csv: unknown column notes" in body  # and its warnings
    expected = run_batch(ROSTER, out_dir=tmp_path / "cli-out", races=RACES, as_of=AS_OF, workers=1)
    assert f"read {expected.summary.read}, assessed {expected.summary.assessed}" in body
    squad = c.get("/coach").text
    assert squad.count('href="/coach/runner/') == 20 and "Ane Agirre" in squad
    z = zipfile.ZipFile(io.BytesIO(c.get("/coach/uploads/1/outputs.zip").content))
    assert {"assessments.csv", "assessments.jsonl", "errors.csv", "squad.html", "squad.json"} <= set(z.namelist())
    ours = list(csv.DictReader(io.StringIO(z.read("assessments.csv").decode("utf-8-sig"))))
    theirs = list(csv.DictReader(open(tmp_path / "cli-out" / "assessments.csv", encoding="utf-8-sig")))
    assert [r.pop("report_file") for r in ours][0] == "runners/ane-agirre.html"  # with the HTML pages
    assert ours == theirs  # the batch's outputs, as `zegama batch` writes them


def test_a_roster_the_batch_refuses_is_its_error(tmp_path):
    c = coach(tmp_path)
    r = upload(c, roster=b"name;age\n", races=None)
    assert r.status_code == 422
    message = errors(r.text)[0]
    assert "runner_id" in message
    assert c.get("/coach").text.count('href="/coach/runner/') == 0


def test_retests_make_a_trend_and_each_report_is_kept(tmp_path):
    c = coach(tmp_path)
    upload(c)
    c.app.state.settings.as_of = dt.date(2027, 2, 1)
    upload(c)
    squad = c.get("/coach").text
    runner = squad.split('href="/coach/runner/')[1].split('"')[0]
    page = c.get(f"/coach/runner/{runner}").text
    assert page.count("<svg") == 3 and "Profile fit and traits at each assessment" in page
    assert "2026-12-01" in page and "2027-02-01" in page
    reports = page.split(f'/coach/runner/{runner}/report/')[1:]
    assert len(reports) == 2
    report = c.get(f"/coach/runner/{runner}/report/{reports[0].split('.html')[0]}.html")
    assert report.status_code == 200 and "Zegama gap report" in report.text


def test_a_coach_deletes_a_runner_and_their_history(tmp_path):
    c = coach(tmp_path)
    upload(c)
    runner = c.get("/coach").text.split('href="/coach/runner/')[1].split('"')[0]
    r = c.post(f"/coach/runner/{runner}/delete", data={"csrf": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303
    assert c.get(f"/coach/runner/{runner}").status_code == 404
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    assert db.execute("SELECT COUNT(*) FROM assessments WHERE runner = ?", (runner,)).fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM runners").fetchone()[0] == 2
    # the upload that held the runner keeps no copy of them: its outputs are withdrawn, with the reason
    assert db.execute("SELECT length(outputs), withdrawn FROM uploads").fetchone()[0] == 0
    r = c.get("/coach/uploads/1/outputs.zip")
    assert r.status_code == 410 and "a runner in them was deleted" in r.text
    assert "outputs withdrawn on" in c.get("/coach").text
    c.post("/coach/uploads/1/delete", data={"csrf": csrf(c)})
    assert db.execute("SELECT COUNT(*) FROM uploads").fetchone()[0] == 0


def test_deleting_a_runner_withdraws_only_the_uploads_that_hold_them(tmp_path):
    from assessment.web.store import holds_runner

    c = coach(tmp_path)
    upload(c)  # the first three runners of the example roster
    lines = ROSTER.read_bytes().splitlines(keepends=True)
    c.post("/coach/upload", data={"csrf": csrf(c)}, files={"roster": ("later.csv", lines[0] + b"".join(lines[4:6]))})
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    first, later = [bytes(o) for (o,) in db.execute("SELECT outputs FROM uploads ORDER BY id")]
    ids = [r for (r,) in db.execute("SELECT runner_id FROM runners ORDER BY id")]
    assert holds_runner(first, ids[0]) and not holds_runner(later, ids[0]) and holds_runner(later, ids[-1])
    runner = db.execute("SELECT id FROM runners WHERE runner_id = ?", (ids[0],)).fetchone()[0]
    c.post(f"/coach/runner/{runner}/delete", data={"csrf": csrf(c)})
    assert [w is not None for (w,) in db.execute("SELECT withdrawn FROM uploads ORDER BY id")] == [True, False]
    assert c.get("/coach/uploads/2/outputs.zip").status_code == 200
    assert holds_runner(b"not a zip", "x")  # unreadable: withdrawn rather than kept


def test_a_coach_sees_only_their_own_squad(tmp_path):
    c = coach(tmp_path)
    upload(c)
    runner = c.get("/coach").text.split('href="/coach/runner/')[1].split('"')[0]
    Store(tmp_path / "data").add_coach("other", hash_password(PASSWORD))
    o = client(tmp_path)
    o.post("/coach/login", data={"csrf": csrf(o), "name": "other", "password": PASSWORD})
    assert o.get(f"/coach/runner/{runner}").status_code == 404
    assert o.get("/coach/uploads/1/outputs.zip").status_code == 404
    assert o.post(f"/coach/runner/{runner}/delete", data={"csrf": csrf(o)}).status_code == 404
    assert c.get(f"/coach/runner/{runner}").status_code == 200


def test_sign_out_ends_the_session(tmp_path):
    c = coach(tmp_path)
    session = c.cookies.get("zegama_session")
    c.post("/coach/logout", data={"csrf": csrf(c)})
    c.cookies.set("zegama_session", session)
    assert c.get("/coach", follow_redirects=False).status_code == 303


def test_create_coach_reads_the_password_from_stdin(tmp_path):
    data = str(tmp_path / "data")
    r = CliRunner().invoke(main, ["serve", "--data", data, "--create-coach", "maite"], input=PASSWORD + "\n")
    assert r.exit_code == 0 and "Coach maite created" in r.output
    assert check_password(Store(data).coach_by_name("maite")["password_hash"], PASSWORD)
    again = CliRunner().invoke(main, ["serve", "--data", data, "--create-coach", "maite"], input=PASSWORD + "\n")
    assert again.exit_code == 1 and "exists already" in again.output
    short = CliRunner().invoke(main, ["serve", "--data", data, "--create-coach", "ane"], input="short\n")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    assert Store(data).coach_by_name("ane") is None
    json.dumps({})  # (nothing printed the password back)
    assert PASSWORD not in r.output


def test_the_trend_follows_each_retest_and_leaves_unmeasured_values_unknown(rb):
    import yaml

    from assessment import assess
    from assessment.report.names import PILLAR_NAMES
    from assessment.web.trend import trend

    base = yaml.safe_load((ROOT / "examples" / "profiles" / "skimo.yaml").read_text(encoding="utf-8"))
    first = assess({**base, "vk_time": "58:00"}, as_of=AS_OF, rulebase=rb)
    second = assess({**base, "vk_time": "44:00"}, as_of=dt.date(2027, 2, 1), rulebase=rb)
    unmeasured = {k: v for k, v in base.items() if k != "vk_time"}
    third = assess(unmeasured, as_of=dt.date(2027, 3, 1), rulebase=rb)
    t = trend([first, second, third])
    assert t.dates == [AS_OF, dt.date(2027, 2, 1), dt.date(2027, 3, 1)]
    vk = dict(t.benchmarks)["Vertical-km time"]
    shares = [next(b.share for b in r.benchmarks if b.field == "vk_time") for r in (first, second)]
    assert vk == [*shares, None] and vk[0] < vk[1]
    uphill = dict(t.pillars)[PILLAR_NAMES["uphill_power"]]
    assert uphill[:2] == [round(100 * next(e.gap for e in r.emphases if e.pillar == "uphill_power"), 1)
                          for r in (first, second)]
    assert uphill[0] > uphill[1]  # a faster VK: a smaller uphill gap
    assert t.fit == [first.fit_score, second.fit_score, third.fit_score]
    chart = t.pillar_chart()
    assert chart.startswith("<svg") and "The gap in each training pillar" in chart


def test_an_upload_may_give_the_date_of_its_tests(tmp_path):
    c = coach(tmp_path)
    files = {"roster": ("r.csv", small_roster(), "text/csv")}
    r = c.post("/coach/upload", data={"csrf": csrf(c), "as_of": "2026-10-15"}, files=files)
    assert r.status_code == 200
    runner = c.get("/coach").text.split('href="/coach/runner/')[1].split('"')[0]
    assert "2026-10-15" in c.get(f"/coach/runner/{runner}").text
    for bad, message in (("15/10/2026", "expected YYYY-MM-DD"), ("2027-01-01", "is after today")):
        r = c.post("/coach/upload", data={"csrf": csrf(c), "as_of": bad}, files=files)
        assert r.status_code == 422 and message in errors(r.text)[0]
    assert len(c.app.state.store.assessments(int(runner))) == 1


def test_the_squad_shows_each_runners_estimate_barrier_chance_and_first_pillar(tmp_path):
    """The squad page against the batch's own reports of the same rows: the same estimate, the same
    chance at Sancti Spiritu, the first pillar to build."""
    from assessment.report.names import PILLAR_NAMES

    c = coach(tmp_path)
    upload(c)
    page = c.get("/coach").text
    assert "Estimate (80% range)" in page and "Passes Sancti Spiritu" in page
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    for (report,) in db.execute("SELECT report FROM assessments"):
        r = json.loads(report)
        est = r.get("estimate")
        if est:
            assert est["finish"]["display"] in page
            row = page.split(f">{r['runner_id']}</a>")[1].split("</tr>")[0]
            assert f"{round(100 * est['barriers'][0]['pass_probability'])}%" in row
            first = next((e["pillar"] for e in r["emphases"] if e["action"] != "maintain"), None)
            assert first is None or PILLAR_NAMES[first] in row
    runner = page.split('href="/coach/runner/')[1].split('"')[0]
    assert "Passes Sancti Spiritu" in c.get(f"/coach/runner/{runner}").text


def test_an_invited_runner_answers_in_the_browser_and_joins_their_history(tmp_path):
    """The coach invites a runner the roster brought; their answers through the link become a second
    assessment beside the roster's, under the id the squad knows, whatever id they type."""
    c = coach(tmp_path)
    upload(c)
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    rid, runner = db.execute("SELECT runner_id, id FROM runners ORDER BY id").fetchone()
    page = c.post("/coach/invite", data={"csrf": csrf(c), "runner_id": rid, "questionnaire": "quick"}).text
    link = re.search(r'<code class="link">https?://[^/]+(/r/[A-Za-z0-9_-]+)</code>', page).group(1)
    assert db.execute("SELECT COUNT(*) FROM runners").fetchone()[0] == 3  # the same runner, not a new one
    runner_c = client(tmp_path)  # the runner's own browser: no coach's session
    walk(runner_c, link, {**QUICK, "runner_id": "someone-else"})
    runner_c.post(f"{link}/finish", data={"csrf": csrf(runner_c)})
    rows = db.execute("SELECT source, report FROM assessments WHERE runner = ? ORDER BY id", (runner,)).fetchall()
    assert [s.split()[0] for s, _ in rows] == ["roster", "questionnaire"]
    assert json.loads(rows[1][1])["runner_id"] == rid
    assert db.execute("SELECT runner_id FROM runners WHERE id = ?", (runner,)).fetchone()[0] == rid
    assert "2</td>" in c.get("/coach").text.split(f">{rid}</a>")[1].split("</tr>")[0]
    # a new runner can be invited too; a bad id is refused with the reason; the link is never stored
    page = c.post("/coach/invite", data={"csrf": csrf(c), "runner_id": "new-runner", "name": "Nora"}).text
    assert "new-runner" in page and db.execute("SELECT COUNT(*) FROM runners").fetchone()[0] == 4
    token = re.search(r"/r/([A-Za-z0-9_-]+)</code>", page).group(1)
    assert token not in (tmp_path / "data" / DB_NAME).read_bytes().decode("latin-1")
    r = c.post("/coach/invite", data={"csrf": csrf(c), "runner_id": "<b>x</b>"})
    assert r.status_code == 422 and "The runner's id" in text(r.text) and "<b>x</b>" not in r.text
    assert client(tmp_path).post("/coach/invite", data={"runner_id": "x"}, follow_redirects=False).status_code in (303, 403)
