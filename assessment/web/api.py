"""The HTTP API: ``POST /api/assess`` and ``/api/estimate``, ``GET /api/schema/{name}``, errors as the CLI's JSON."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..estimate.finish import EstimateError
from ..estimate.render import render_estimate
from ..model.io import InputError, parse_document
from ..model.profile import ProfileError
from ..pipeline import AssessmentError, assess, estimate_finish
from ..report.render import render
from ..schemas import schema
from .pages import json_error, settings

router = APIRouter(prefix="/api", tags=["api"])

DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2200, 12, 31))
SCHEMAS = ("profile", "report")
_PROFILE_BODY = {"content": {"application/json": {"schema": {"$ref": "/api/schema/profile"}}}, "required": True}


class ApiError(Exception):
    def __init__(self, status: int, kind: str, message: str, problems: list | None = None):
        self.status, self.kind, self.message, self.problems = status, kind, message, problems


def _date(name: str, value: str | None) -> dt.date | None:
    """A query date as the CLI reads its options (same messages)."""
    if value is None or value == "":
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "usage", f"{name}: expected a date as YYYY-MM-DD, got {value!r}") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise ApiError(400, "usage", f"{name}: {value} is outside the years this tool knows "
                                     f"({DATE_RANGE[0].year} to {DATE_RANGE[1].year})")
    return day


def _number(name: str, value: str | None, lo: float, hi: float, integer: bool = False) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = int(value) if integer else float(value)
    except ValueError:
        raise ApiError(400, "usage", f"{name}: expected {'a whole number' if integer else 'a number'}, "
                                     f"got {value!r}") from None
    if not lo <= number <= hi:
        raise ApiError(400, "usage", f"{name}: {value} is not in the range {lo:g} to {hi:g}")
    return number


async def _profile(request: Request):
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "input", "request body: empty; send a profile as JSON")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(400, "input", "request body: not UTF-8 text") from None
    try:
        return parse_document(text, "request body")
    except InputError as exc:
        raise ApiError(400, "input", str(exc)) from None


def _profile_error(exc: ProfileError) -> ApiError:
    return ApiError(422, "invalid_profile", f"invalid profile: {exc}", [{"field": f, "message": m} for f, m in exc.problems])


@router.post("/assess", summary="Assess one profile: the report JSON of `zegama assess --format json`",
             openapi_extra={"requestBody": _PROFILE_BODY},
             responses={200: {"description": "The gap report (see /api/schema/report)"},
                        400: {"description": "Not a readable document, or a bad query parameter"},
                        413: {"description": "Body too large"}, 422: {"description": "Invalid profile or options"},
                        429: {"description": "Too many requests"}})
async def api_assess(request: Request, as_of: str | None = None, edition: str | None = None,
                     race_date: str | None = None) -> Response:
    day = _date("as_of", as_of) or settings(request).as_of
    year = _number("edition", edition, 1900, 2200, integer=True)
    rd = _date("race_date", race_date)
    data = await _profile(request)
    rb = request.app.state.rulebase

    def run() -> str:
        try:
            report = assess(data, as_of=day, rulebase=rb, edition=year, race_date=rd)
        except ProfileError as exc:
            raise _profile_error(exc) from None
        except AssessmentError as exc:
            raise ApiError(422, "assessment", str(exc)) from None
        return render(report, "json")

    return Response(await run_in_threadpool(run), media_type="application/json")


@router.post("/estimate", summary="A finish-time estimate: the JSON of `zegama estimate --format json`",
             openapi_extra={"requestBody": _PROFILE_BODY},
             responses={400: {"description": "Unreadable body or bad parameter"},
                        422: {"description": "Invalid profile, or nothing to estimate from"}})
async def api_estimate(request: Request, as_of: str | None = None, course_km: str | None = None,
                       course_dplus: str | None = None) -> Response:
    day = _date("as_of", as_of) or settings(request).as_of
    km = _number("course_km", course_km, 1, 400)
    dplus = _number("course_dplus", course_dplus, 0, 30000)
    if dplus is not None and km is None:
        raise ApiError(400, "usage", "course_dplus needs course_km")
    course = None if km is None else {"distance_km": km, "dplus_m": dplus or 0}
    data = await _profile(request)
    rb = request.app.state.rulebase

    def run() -> str:
        try:
            est = estimate_finish(data, as_of=day, course=course, rulebase=rb)
        except ProfileError as exc:
            raise _profile_error(exc) from None
        except EstimateError as exc:
            raise ApiError(422, "estimate", str(exc)) from None
        return render_estimate(est, "json")

    return Response(await run_in_threadpool(run), media_type="application/json")


@router.get("/schema/{name}", summary="The JSON Schema of profiles or reports (as `zegama schema NAME`)")
def api_schema(name: str) -> Response:
    if name not in SCHEMAS:
        raise ApiError(404, "usage", f"no schema {name!r}: profile or report")
    return Response(json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n", media_type="application/schema+json")


def api_error_response(exc: ApiError):
    return json_error(exc.status, exc.kind, exc.message, exc.problems)
