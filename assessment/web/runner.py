"""The runner's pages: start a questionnaire, answer it page by page through a private link, review, the report, download, delete."""

from __future__ import annotations

import json
import re

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from ..model.profile import ProfileError
from ..pipeline import AssessmentError, assess
from ..plan import PlanError, build_plan
from ..plan.ics import to_ics
from ..plan.render import to_html as plan_html
from ..report.html import runner_html
from ..report.model import Report
from ..report.render import render as render_report
from ..report.text import estimate_line
from . import forms
from .pages import FormRefused, download, form_data, json_text, message_page, render, settings, store
from .security import new_token

router = APIRouter(include_in_schema=False)

#: A link's token: what secrets.token_urlsafe(32) gives; anything else is not looked up.
TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def _runner(request: Request, token: str):
    if not TOKEN.match(token):
        return None
    return store(request).runner_by_token(token)


_GONE = ("Link not found", "This link does not open any answers: it may be mistyped, or the answers were deleted.")


def _gone(request: Request) -> HTMLResponse:
    return message_page(request, 404, *_GONE)


def _open(request: Request, token: str):
    """The link's runner and their interview; a link that opens nothing is the 'not found' page."""
    row = _runner(request, token)
    if row is None:
        raise FormRefused(404, *_GONE)
    return row, _interview(request, row)


def _interview(request: Request, row):
    s = settings(request)
    iv = forms.interview(row["questionnaire"], json.loads(row["state"]), request.app.state.rulebase, s.day())
    if row["coach_id"] is not None and row["runner_id"]:
        iv.state.values["runner_id"] = row["runner_id"]  # a coach's invitation: the id the squad knows
    return iv


def _save(request: Request, row, iv) -> None:
    runner_id, name = forms.runner_names(iv)
    store(request).save_state(row["id"], forms.state_to_dict(iv.state), runner_id, name)


def _latest(request: Request, row):
    rows = store(request).assessments(row["id"])
    return rows[-1] if rows else None


@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    qs = [forms.questionnaire(ref) for ref in forms.QUESTIONNAIRES]
    return render(request, "home.html", questionnaires=qs)


@router.get("/privacy", response_class=HTMLResponse)
def privacy(request: Request):
    s = settings(request)
    return render(request, "privacy.html", days=s.unfinished_days, hours=f"{s.session_hours:g}")


@router.post("/start")
async def start(request: Request):
    form = await form_data(request, "start")
    ref = form.get("questionnaire")
    if ref not in forms.QUESTIONNAIRES:
        return message_page(request, 400, "Unknown questionnaire", "Choose one of the questionnaires on the home page.")
    token = new_token()
    store(request).add_link_runner(token, ref, forms.state_to_dict(forms.InterviewState()))
    return RedirectResponse(f"/r/{token}", status_code=303)


@router.get("/r/{token}", response_class=HTMLResponse)
def answers_page(request: Request, token: str, page: str | None = None, item: int | None = None):
    row, iv = _open(request, token)
    if page is None and iv.state.complete:
        return _result(request, token, row, iv)
    if page is not None:
        index = None if item is None else item - 1
        if not forms.valid_page(iv, page, index):
            return message_page(request, 404, "No such page", "This questionnaire has no such page.")
        where = (page, index)
    else:
        where = forms.current_page(iv)
    if where is None:
        return render(request, "review.html", token=token, title=iv.q.title, lines=forms.review(iv),
                      item=forms.repeat_label(iv), races=len(iv.state.races), missing=iv.missing_required())
    return render(request, "page.html", token=token, title=iv.q.title, page=forms.build_page(iv, *where),
                  editing=page is not None)


@router.post("/r/{token}", response_class=HTMLResponse)
async def answers_post(request: Request, token: str):
    form = await form_data(request)
    row, iv = _open(request, token)
    section = form.get("page") or ""
    item = form.get("item") or ""
    index = int(item) - 1 if item.isdigit() else None
    if not forms.valid_page(iv, section, index):
        return message_page(request, 400, "No such page", "This questionnaire has no such page.")
    shown = form.getlist("shown")
    raw = {k: form.getlist(k) for k in shown}
    errors = forms.submit(iv, section, index, form.getlist, shown)
    _save(request, row, iv)
    if errors:
        return render(request, "page.html", status=422, token=token, title=iv.q.title,
                      page=forms.build_page(iv, section, index, raw, errors), editing=bool(form.get("editing")))
    if form.get("editing") and forms.current_page(iv) is None:
        return RedirectResponse(f"/r/{token}#review", status_code=303)
    return RedirectResponse(f"/r/{token}", status_code=303)


@router.post("/r/{token}/races", response_class=HTMLResponse)
async def races_post(request: Request, token: str):
    """Add a race, or remove race N, from the review page."""
    form = await form_data(request)
    row, iv = _open(request, token)
    action = form.get("action")
    if action == "add":
        index = iv.add_item()
        _save(request, row, iv)
        return RedirectResponse(f"/r/{token}?page={_repeat_section(iv)}&item={index + 1}", status_code=303)
    n = form.get("remove") or ""
    if n.isdigit() and 1 <= int(n) <= len(iv.state.races):
        try:
            iv.remove_item(int(n) - 1)
        except forms.AnswerError as exc:
            return message_page(request, 422, "Not possible", f"Not possible: {exc}.")
        _save(request, row, iv)
    return RedirectResponse(f"/r/{token}", status_code=303)


def _repeat_section(iv) -> str:
    return next(s.id for s in iv.q.sections if s.repeat is not None)


@router.post("/r/{token}/finish", response_class=HTMLResponse)
async def finish(request: Request, token: str):
    form = await form_data(request)
    row, iv = _open(request, token)
    if form.get("action") == "change":
        iv.state.complete = False
        _save(request, row, iv)
        return RedirectResponse(f"/r/{token}", status_code=303)
    missing = iv.missing_required()
    if missing or forms.current_page(iv) is not None:
        return RedirectResponse(f"/r/{token}", status_code=303)
    s = settings(request)
    rb = request.app.state.rulebase

    def run():
        return assess(iv.profile(), as_of=s.day(), rulebase=rb)

    try:
        report = await run_in_threadpool(run)
    except (ProfileError, AssessmentError) as exc:
        return message_page(request, 422, "No report", f"The answers could not be assessed: {exc}")
    iv.state.complete = True
    store(request).add_assessment(row["id"], report.as_of.isoformat(), f"questionnaire {row['questionnaire']}",
                                  iv.profile_data(), render_report(report, "json"))
    _save(request, row, iv)
    return RedirectResponse(f"/r/{token}", status_code=303)


def _plan(report: Report, rb):
    try:
        return build_plan(report, rb)
    except PlanError:
        return None  # a pack without plan rules: no plan, as ``zegama assess --format summary``


def _result(request: Request, token: str, row, iv) -> HTMLResponse:
    latest = _latest(request, row)
    if latest is None:
        iv.state.complete = False
        _save(request, row, iv)
        return RedirectResponse(f"/r/{token}", status_code=303)
    report = Report.model_validate_json(latest["report"])
    plan = _plan(report, request.app.state.rulebase)
    tests = store(request).assessments(row["id"])
    return render(request, "result.html", token=token, title=iv.q.title, r=report, plan=plan, estimate=estimate_line(report),
                  week=plan.weeks[0] if plan and plan.weeks else None, tests=tests)


def _latest_report(request: Request, token: str):
    row = _runner(request, token)
    if row is None:
        return None, None
    latest = _latest(request, row)
    return row, (None if latest is None else (latest, Report.model_validate_json(latest["report"])))


@router.get("/r/{token}/report.html", response_class=HTMLResponse)
def report_page(request: Request, token: str):
    row, found = _latest_report(request, token)
    if found is None:
        return _gone(request)
    latest, report = found
    return HTMLResponse(runner_html(report, json.loads(latest["profile"]), request.app.state.rulebase))


@router.get("/r/{token}/plan.html", response_class=HTMLResponse)
def plan_page(request: Request, token: str):
    row, found = _latest_report(request, token)
    plan = None if found is None else _plan(found[1], request.app.state.rulebase)
    if plan is None:
        return _gone(request)
    return HTMLResponse(plan_html(plan))


@router.get("/r/{token}/plan.ics")
def plan_calendar(request: Request, token: str):
    row, found = _latest_report(request, token)
    plan = None if found is None else _plan(found[1], request.app.state.rulebase)
    if plan is None:
        return _gone(request)
    return download(to_ics(plan), "zegama-plan.ics", "text/calendar")


@router.get("/r/{token}/download.json")
def download_all(request: Request, token: str):
    """Everything kept for this link: the answers as a profile, the questionnaire's progress, every report."""
    row, iv = _open(request, token)
    body = {
        "questionnaire": row["questionnaire"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "profile": iv.profile_data(),
        "progress": forms.state_to_dict(iv.state),
        "assessments": [{"as_of": a["as_of"], "created_at": a["created_at"], "source": a["source"],
                         "profile": json.loads(a["profile"]), "report": json.loads(a["report"])}
                        for a in store(request).assessments(row["id"])],
    }
    return download(json_text(body), "zegama-answers.json", "application/json")


@router.get("/r/{token}/delete", response_class=HTMLResponse)
def delete_page(request: Request, token: str):
    if _runner(request, token) is None:
        return _gone(request)
    return render(request, "delete.html", token=token)


@router.post("/r/{token}/delete", response_class=HTMLResponse)
async def delete(request: Request, token: str):
    await form_data(request)
    row = _runner(request, token)
    if row is None:
        return _gone(request)
    store(request).delete_runner(row["id"])
    return message_page(request, 200, "Deleted", "Your answers and reports are deleted from this site's store. "
                                                 "This link opens nothing any more.")

