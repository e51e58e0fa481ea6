"""What the web's pages share: the app's settings, the template environment, CSRF checks, errors as the CLI's JSON."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from ..report.names import PHASE_NAMES, PILLAR_NAMES, STATUS_NAMES
from . import security
from .store import Store


@dataclass
class Settings:
    """How one app runs: where its store is, the cookies, the limits, the assessment date."""

    data_dir: Path
    secure_cookies: bool = False
    as_of: dt.date | None = None          # every report's date (default: today, each time)
    rulebase: Any = None                  # a loaded pack (default: the built-in one)
    session_hours: float = 12.0
    unfinished_days: int = 90             # an unfinished questionnaire untouched this long is deleted
    api_body_bytes: int = 256 * 1024
    upload_bytes: int = 4 * 1024 * 1024
    form_bytes: int = 64 * 1024
    #: bucket -> (requests, seconds) per client address
    rates: dict[str, tuple[int, float]] = field(default_factory=lambda: {
        "login": (10, 300.0), "api": (600, 60.0), "form": (240, 60.0), "start": (30, 600.0), "upload": (20, 600.0)})

    def day(self) -> dt.date:
        return self.as_of or dt.date.today()


def environment() -> Environment:
    env = Environment(loader=PackageLoader("assessment.web"), autoescape=select_autoescape(default=True,
                      default_for_string=True), undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(status=lambda s: STATUS_NAMES.get(s, s), phase=lambda p: PHASE_NAMES.get(p, p),
                       pillar=lambda p: PILLAR_NAMES.get(p, p))
    return env


ENV = environment()


def error_body(kind: str, message: str, problems: list | None = None) -> dict:
    """The CLI's JSON error (``zegama ... --format json``): {"error": {"type", "message", "problems"?}}."""
    body: dict = {"error": {"type": kind, "message": message}}
    if problems:
        body["error"]["problems"] = problems
    return body


def json_error(status: int, kind: str, message: str, problems: list | None = None,
               headers: dict | None = None) -> Response:
    """The error as the CLI prints it, byte for byte (indented, UTF-8, a final newline)."""
    return Response(json_text(error_body(kind, message, problems)), status_code=status, media_type="application/json",
                    headers=headers)


def client(request: Request) -> str:
    return request.client.host if request.client else "-"


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token (set as a cookie on the response by the middleware when new)."""
    token = request.cookies.get(security.CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = request.state.new_csrf = security.new_token()
    return token


def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
    ctx = {"csrf": csrf_token(request), "coach": getattr(request.state, "coach", None), **context}
    return HTMLResponse(ENV.get_template(template).render(**ctx), status_code=status)


def message_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    return render(request, "message.html", status=status, title=title, message=message)


class FormRefused(Exception):
    """A form that cannot be accepted (a CSRF mismatch, too many posts): shown as a page."""

    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message


async def form_data(request: Request, bucket: str = "form"):
    """The posted form, after the CSRF and rate checks."""
    app = request.app
    if not app.state.limiter.allow(bucket, client(request)):
        raise FormRefused(429, "Too many requests", "Too many requests from your address: wait a few minutes.")
    form = await request.form()
    if not security.same(form.get(security.CSRF_FIELD), request.cookies.get(security.CSRF_COOKIE)):
        raise FormRefused(403, "Form expired", "This form could not be checked (its security token is missing "
                                               "or stale). Go back, reload the page and send it again.")
    return form


def store(request: Request) -> Store:
    return request.app.state.store


def settings(request: Request) -> Settings:
    return request.app.state.settings


def download(body: str | bytes, filename: str, media_type: str) -> Response:
    return Response(body, media_type=media_type, headers={"content-disposition": f'attachment; filename="{filename}"'})


def json_text(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
