"""zegama serve in process: the questionnaire in a browser's forms, save and resume, the result, download and delete."""

from __future__ import annotations

import json
import sqlite3

import pytest

from assessment import assess
from assessment.interview.questionnaire import load_questionnaire
from assessment.interview.session import Interview, ScriptedAsker
from assessment.rules.checks import interview_problems
from assessment.web.forms import questionnaire
from assessment.web.store import DB_NAME
from tests.conftest import AS_OF
from tests.web_helpers import QUICK, client, csrf, errors, page_form, post_page, start, text, walk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def test_the_pages_are_the_questionnaires_own_questions(tmp_path):
    c = client(tmp_path)
    link = start(c)
    html = c.get(link).text
    q = load_questionnaire("quick")
    first = q.sections[0]
    assert page_form(html)["shown"] == [x.name for x in first.questions]
    for question in first.questions:
        assert question.prompt.replace("'", "&#39;") in html
    for choice in q.question("goal").choices:
        assert f'value="{choice.value}"' in html
    assert questionnaire("quick") is questionnaire("quick")  # loaded once, from the same YAML


def test_the_quick_questionnaire_gives_the_librarys_report(tmp_path, rb):
    c = client(tmp_path)
    link = start(c)
    review = walk(c, link, QUICK)
    assert "Review your answers" in review and "Race 1 - Race: Transvulcania" in text(review)
    r = c.post(f"{link}/finish", data={"csrf": csrf(c)}, follow_redirects=False)
    assert r.status_code == 303
    result = c.get(link).text
    assert "Your Zegama report" in result and "Open the full report" in result
    download = json.loads(c.get(f"{link}/download.json").text)
    profile = download["profile"]
    assert profile["runner_id"] == "ana" and profile["vk_time"] == "52:30" and "flat_10k_time" not in profile
    assert "flat_10k_time" in download["progress"]["marks"]  # "don't know", as the terminal keeps it
    expected = assess(profile, as_of=AS_OF, rulebase=rb)
    assert download["assessments"][0]["report"] == json.loads(expected.to_json())
    report = c.get(f"{link}/report.html")
    assert report.status_code == 200 and "Zegama gap report: ana" in report.text
    assert expected.eligibility.summary in text(result)
    assert c.get(f"{link}/plan.html").status_code == 200
    ics = c.get(f"{link}/plan.ics")
    assert ics.status_code == 200 and ics.content.startswith(b"BEGIN:VCALENDAR")


def _terminal_refusals(answers: dict, rb) -> list[str]:
    """What the terminal interview says when it refuses these answers."""
    q = load_questionnaire("quick")
    iv = Interview(q, check=lambda p: interview_problems(rb, p, AS_OF))
    asker = ScriptedAsker({k: (list(v) if isinstance(v, tuple) else v) for k, v in answers.items()})
    iv.run(asker)
    return [line.strip() for line in asker.transcript if line.strip().startswith("Not accepted")]


@pytest.mark.parametrize("age", ["abc", "12", "31.5"])
def test_a_refused_answer_gets_the_terminals_message(tmp_path, rb, age):
    script = {**QUICK, "age": (age, "31"), "+races": "no", "background": "skimo, road"}
    terminal = _terminal_refusals(script, rb)
    assert terminal, "the terminal refuses it"
    c = client(tmp_path)
    link = start(c)
    r = post_page(c, link, c.get(link).text, {**QUICK, "age": age})
    assert r.status_code == 422
    assert errors(r.text) == [terminal[0]]
    assert f'value="{age}"' in r.text  # what was typed stays in the field
    # The answers before it were kept, as the terminal keeps them.
    assert json.loads(c.get(f"{link}/download.json").text)["profile"]["runner_id"] == "ana"


def test_an_ambiguous_time_is_asked_not_guessed(tmp_path):
    c = client(tmp_path)
    link = start(c)
    assert post_page(c, link, c.get(link).text, dict(QUICK)).status_code == 303
    r = post_page(c, link, c.get(link).text, {**QUICK, "vk_time": "41.10"})
    assert r.status_code == 422
    message = errors(r.text)[0]
    assert "41:10" in message and "41:06" in message


def test_resume_through_the_link_from_another_browser(tmp_path):
    c = client(tmp_path)
    link = start(c)
    post_page(c, link, c.get(link).text, dict(QUICK))
    other = client(tmp_path)  # no cookies from the first: only the link
    html = other.get(link).text
    assert page_form(html)["page"] == "key_numbers"
    review = walk(other, link, QUICK)
    assert "Profile id: ana" in text(review)


def test_the_link_is_unguessable_and_only_its_hash_is_stored(tmp_path):
    c = client(tmp_path)
    links = {start(c) for _ in range(5)}
    tokens = [link.rsplit("/", 1)[1] for link in links]
    assert len(set(tokens)) == 5 and all(len(t) >= 43 for t in tokens)  # 32 bytes of secrets.token_urlsafe
    raw = (tmp_path / "data" / DB_NAME).read_bytes()
    assert not any(t.encode() in raw for t in tokens)
    for wrong in (tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B"), "x" * 43, "short"):
        r = c.get(f"/r/{wrong}")
        assert r.status_code == 404 and "Link not found" in r.text


def test_changing_an_answer_from_the_review_and_removing_a_race(tmp_path):
    c = client(tmp_path)
    link = start(c)
    walk(c, link, QUICK)
    html = c.get(f"{link}?page=about").text
    r = post_page(c, link, html, {**QUICK, "age": "35", "background": ["skimo", "road"]})
    assert r.status_code == 303
    assert "Age: 35 years" in text(c.get(link).text)
    r = c.post(f"{link}/races", data={"csrf": csrf(c), "remove": "1"}, follow_redirects=False)
    assert r.status_code == 303
    assert json.loads(c.get(f"{link}/download.json").text)["profile"].get("races") is None


def test_a_runner_deletes_everything_through_the_link(tmp_path):
    c = client(tmp_path)
    link = start(c)
    walk(c, link, QUICK)
    c.post(f"{link}/finish", data={"csrf": csrf(c)})
    assert "Delete everything" in c.get(f"{link}/delete").text
    r = c.post(f"{link}/delete", data={"csrf": csrf(c)})
    assert r.status_code == 200 and "deleted" in r.text
    assert c.get(link).status_code == 404
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    assert db.execute("SELECT COUNT(*) FROM runners").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 0


def test_a_retest_keeps_the_earlier_report(tmp_path):
    c = client(tmp_path)
    link = start(c)
    walk(c, link, QUICK)
    c.post(f"{link}/finish", data={"csrf": csrf(c)})
    c.post(f"{link}/finish", data={"csrf": csrf(c), "action": "change"})
    c.app.state.settings.as_of = AS_OF.replace(year=2027, month=2)
    html = c.get(f"{link}?page=key_numbers").text
    post_page(c, link, html, {**QUICK, "vk_time": "50:45"})
    c.post(f"{link}/finish", data={"csrf": csrf(c)})
    kept = json.loads(c.get(f"{link}/download.json").text)["assessments"]
    assert [a["as_of"] for a in kept] == ["2026-12-01", "2027-02-01"]
    assert [a["profile"]["vk_time"] for a in kept] == ["52:30", "50:45"]


def test_the_full_questionnaire_starts_too(tmp_path):
    c = client(tmp_path)
    link = start(c, "zegama")
    html = c.get(link).text
    full = load_questionnaire("zegama")
    assert page_form(html)["page"] == full.sections[0].id


def test_the_privacy_page_says_what_is_kept_and_how_long(tmp_path):
    c = client(tmp_path, unfinished_days=30)
    body = text(c.get("/privacy").text)
    assert "30 days" in body and "12 hours" in body and "nothing is sent anywhere else" in body.lower()


def test_old_unfinished_questionnaires_are_purged_finished_ones_kept(tmp_path):
    c = client(tmp_path)
    done = start(c)
    walk(c, done, QUICK)
    c.post(f"{done}/finish", data={"csrf": csrf(c)})
    stale = start(c)
    db = sqlite3.connect(tmp_path / "data" / DB_NAME)
    db.execute("UPDATE runners SET updated_at = '2000-01-01T00:00:00+00:00'")
    db.commit()
    assert c.app.state.store.purge(90) == {"sessions": 0, "runners": 1}
    assert c.get(stale).status_code == 404 and c.get(done).status_code == 200



def test_the_docs_state_the_retention_and_limits_the_app_uses(tmp_path):
    from pathlib import Path

    from assessment.web import Settings

    doc = (Path(__file__).resolve().parent.parent / "docs" / "serve.md").read_text(encoding="utf-8")
    s = Settings(data_dir=tmp_path)
    assert f"**{s.unfinished_days} days**" in doc and f"**{s.session_hours:g} hours**" in doc
    assert f"{s.api_body_bytes // 1024} KB for the API" in doc and f"{s.upload_bytes >> 20} MB for an upload" in doc
    assert f"{s.form_bytes // 1024} KB for a form" in doc
    login, api, form = s.rates["login"], s.rates["api"], s.rates["form"]
    assert f"{login[0]} sign-ins in {login[1] / 60:g} minutes" in doc and f"{api[0]} API requests a minute" in doc
    assert f"{form[0]} form posts a" in doc
