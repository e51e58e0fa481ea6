"""The coach's pages: sign-in, a roster upload through the batch, the squad, each runner's history and trend, downloads, deletion."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import tempfile
import zipfile
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..batch.roster import RosterError
from ..batch.run import run_batch, summary_text
from ..pipeline import AssessmentError
from ..report.html import runner_html
from ..report.model import Report
from . import security
from .pages import FormRefused, client, download, form_data, message_page, render, settings, store
from .trend import trend

router = APIRouter(prefix="/coach", include_in_schema=False)

#: What an upload is read as: a CSV of text, never a path the browser names.
ROSTER_NAME = "roster.csv"
RACES_NAME = "races.csv"


def _coach(request: Request):
    token = request.cookies.get(security.SESSION_COOKIE)
    coach = store(request).session_coach(token) if token else None
    request.state.coach = coach
    return coach


def _sign_in_first() -> RedirectResponse:
    return RedirectResponse("/coach/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request):
    return render(request, "login.html", error=None, name="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request):
    form = await form_data(request, "login")
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    row = store(request).coach_by_name(name) if name else None
    if row is None or not security.check_password(row["password_hash"], password):
        security.check_password(_DUMMY, password) if row is None else None  # the same work either way
        return render(request, "login.html", status=401, error="Wrong name or password.", name=name)
    s = settings(request)
    store(request).purge(s.unfinished_days)
    token = security.new_token()
    store(request).add_session(token, row["id"], s.session_hours)
    response = RedirectResponse("/coach", status_code=303)
    response.set_cookie(security.SESSION_COOKIE, token, max_age=int(s.session_hours * 3600),
                        **request.app.state.cookies.kwargs("strict"))
    return response


_DUMMY = security.hash_password("not a password anyone has")


@router.post("/logout")
async def logout(request: Request):
    await form_data(request)
    token = request.cookies.get(security.SESSION_COOKIE)
    if token:
        store(request).end_session(token)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(security.SESSION_COOKIE, path="/")
    return response


def _squad_rows(rows) -> list[dict]:
    out = []
    for row in rows:
        latest = json.loads(row["latest"]) if row["latest"] else None
        out.append({
            "id": row["id"], "runner_id": row["runner_id"], "name": row["name"], "tests": row["tests"],
            "as_of": latest["as_of"] if latest else "",
            "status": latest["eligibility"]["status"] if latest else "",
            "fit": latest.get("fit_score") if latest else None,
            **_outlook(latest),
        })
    return out


def _outlook(report: dict | None) -> dict:
    """What a coach scans a squad for: the estimate, the chance at the Sancti Spiritu barrier, and
    the pillar to train first (blank where the report has none)."""
    est = (report or {}).get("estimate") or {}
    barriers = est.get("barriers") or []
    first = next((e for e in (report or {}).get("emphases") or [] if e.get("action") != "maintain"), None)
    return {"estimate": (est.get("finish") or {}).get("display", ""),
            "barrier": f"{round(100 * barriers[0]['pass_probability'])}%" if barriers else "",
            "first": first["pillar"] if first else ""}


@router.get("", response_class=HTMLResponse)
def squad(request: Request):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    return _squad_page(request, coach)


def _squad_page(request: Request, coach, status: int = 200, **extra) -> HTMLResponse:
    st = store(request)
    context = {"runners": _squad_rows(st.squad(coach["id"])), "uploads": st.uploads(coach["id"]),
               "outcome": None, "error": None, "invited": None, **extra}
    return render(request, "squad.html", status=status, **context)


def _zip(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                z.write(path, path.relative_to(folder).as_posix())
    return buf.getvalue()


def _batch(roster: bytes, races: bytes | None, rb, day):
    """The batch on the uploaded bytes, in a private temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="zegama-upload-") as tmp:
        folder = Path(tmp)
        (folder / ROSTER_NAME).write_bytes(roster)
        if races is not None:
            (folder / RACES_NAME).write_bytes(races)
        out = folder / "out"
        result = run_batch(folder / ROSTER_NAME, out_dir=out, races=folder / RACES_NAME if races is not None else None,
                           as_of=day, rulebase=rb, html=True, workers=1)
        catalog = json.loads((out / "catalog.json").read_text(encoding="utf-8"))
        reports = []
        for line in (out / "assessments.jsonl").read_text(encoding="utf-8").splitlines():
            if line.strip():
                data = json.loads(line)
                data["catalog"] = catalog
                reports.append((data["runner_id"], data.get("name"), data["as_of"], {}, json.dumps(data, ensure_ascii=False)))
        with open(out / "errors.csv", encoding="utf-8-sig", newline="") as fh:
            problems = list(csv.DictReader(fh))
        return summary_text(result.summary), list(result.summary.warnings), problems, reports, _zip(out)


@router.post("/upload", response_class=HTMLResponse)
async def upload(request: Request):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    form = await form_data(request, "upload")
    roster = form.get("roster")
    races = form.get("races")
    if roster is None or isinstance(roster, str) or not roster.filename:
        return _squad_page(request, coach, 400, error="Choose a roster CSV file to upload.")
    roster_bytes = await roster.read()
    races_bytes = await races.read() if races is not None and not isinstance(races, str) and races.filename else None
    label = Path(roster.filename.replace("\\", "/")).name[:100] or ROSTER_NAME  # shown only, never opened
    s = settings(request)
    day = s.day()
    tested = str(form.get("as_of") or "").strip()
    if tested:
        try:
            day = dt.date.fromisoformat(tested)
        except ValueError:
            return _squad_page(request, coach, 422, error=f"The tests' date: expected YYYY-MM-DD, got {tested!r}.")
        if day > s.day():
            return _squad_page(request, coach, 422, error=f"The tests' date {day} is after today ({s.day()}).")
    try:
        text, warnings, problems, reports, outputs = await run_in_threadpool(_batch, roster_bytes, races_bytes,
                                                                             request.app.state.rulebase, day)
    except (RosterError, AssessmentError) as exc:
        return _squad_page(request, coach, 422, error=str(exc))
    store(request).add_upload(coach["id"], label, text, outputs, reports)
    return _squad_page(request, coach, outcome={"summary": text, "warnings": warnings, "problems": problems, "file": label,
                                                "assessed": len(reports)})


#: A runner_id as the roster and the profile read it: a short id, no spaces or markup.
RUNNER_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


@router.post("/invite", response_class=HTMLResponse)
async def invite(request: Request):
    """A private questionnaire link for a runner of the squad: their answers in the browser join
    their history beside the roster's tests. Shown once (only its hash is kept)."""
    from . import forms
    from .security import new_token

    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    form = await form_data(request, "start")
    runner_id = str(form.get("runner_id") or "").strip()
    name = str(form.get("name") or "").strip()[:200] or None
    ref = form.get("questionnaire") or "quick"
    if not RUNNER_ID.match(runner_id):
        return _squad_page(request, coach, 422, error="The runner's id: letters, digits, '.', '-' or '_' "
                                                      f"(as in the roster), got {runner_id[:60]!r}.")
    if ref not in forms.QUESTIONNAIRES:
        return _squad_page(request, coach, 422, error="Choose the quick or the full questionnaire.")
    token = new_token()
    state = forms.InterviewState(values={"runner_id": runner_id, **({"name": name} if name else {})})
    store(request).invite(coach["id"], runner_id, name, token, ref, forms.state_to_dict(state))
    link = str(request.base_url).rstrip("/") + f"/r/{token}"
    return _squad_page(request, coach, invited={"runner_id": runner_id, "link": link})


def _runner(request: Request, coach, runner: int):
    return store(request).coach_runner_row(coach["id"], runner)


@router.get("/runner/{runner}", response_class=HTMLResponse)
def runner_page(request: Request, runner: int):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    row = _runner(request, coach, runner)
    if row is None:
        return message_page(request, 404, "No such runner", "This runner is not in your squad.")
    tests = store(request).assessments(runner)
    reports = [Report.model_validate_json(a["report"]) for a in tests]
    t = trend(reports) if reports else None
    return render(request, "coach_runner.html", row=row, tests=list(zip(tests, reports)), trend=t,
                  trait_chart=t.trait_chart() if t else "", benchmark_chart=t.benchmark_chart() if t else "",
                  pillar_chart=t.pillar_chart() if t else "")


@router.get("/runner/{runner}/report/{assessment}.html", response_class=HTMLResponse)
def runner_report(request: Request, runner: int, assessment: int):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    row = _runner(request, coach, runner)
    found = [a for a in store(request).assessments(runner) if a["id"] == assessment] if row else []
    if not found:
        return message_page(request, 404, "No such report", "This report is not in your squad.")
    profile = json.loads(found[0]["profile"]) or None
    return HTMLResponse(runner_html(Report.model_validate_json(found[0]["report"]), profile, request.app.state.rulebase))


@router.post("/runner/{runner}/delete", response_class=HTMLResponse)
async def delete_runner(request: Request, runner: int):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    await form_data(request)
    row = _runner(request, coach, runner)
    if row is None:
        return message_page(request, 404, "No such runner", "This runner is not in your squad.")
    store(request).delete_runner(runner)
    return RedirectResponse("/coach", status_code=303)


@router.get("/uploads/{upload}/outputs.zip")
def outputs(request: Request, upload: int):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    row = store(request).upload_outputs(coach["id"], upload)
    if row is None:
        return message_page(request, 404, "No such upload", "This upload is not yours, or was deleted.")
    if row["withdrawn"]:
        return message_page(request, 410, "Outputs withdrawn",
                            f"This upload's outputs were {row['withdrawn']}. Upload the roster again for new ones.")
    return download(bytes(row["outputs"]), f"zegama-batch-{upload}.zip", "application/zip")


@router.post("/uploads/{upload}/delete")
async def delete_upload(request: Request, upload: int):
    coach = _coach(request)
    if coach is None:
        return _sign_in_first()
    await form_data(request)
    store(request).delete_upload(coach["id"], upload)
    return RedirectResponse("/coach", status_code=303)


__all__ = ["router", "FormRefused", "client"]
