"""The web app: ``create_app(settings)`` puts the store, the pages, the API and the defences together."""

from __future__ import annotations

from importlib import metadata, resources

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..rules.rulebase import default_rulebase
from . import api, coach, runner, security
from .pages import FormRefused, Settings, client, json_error, message_page
from .store import Store

#: The only static file: read from the package once, served from memory (no path from a URL).
STYLE = resources.files("assessment.web").joinpath("static/web.css").read_text(encoding="utf-8")

DESCRIPTION = ("The Zegama-Aizkorri assessment over HTTP. Bodies are profiles as JSON (see /api/schema/profile); "
               "answers are exactly what `zegama assess --format json` and `zegama estimate --format json` print; "
               "errors are the CLI's JSON errors, {\"error\": {\"type\", \"message\", \"problems\"?}}, with 4xx codes.")


def _too_large(scope, limit: int):
    path = scope.get("path", "")
    message = f"request body larger than {limit // 1024} KB"
    if path.startswith("/api/"):
        return json_error(413, "too_large", message, headers=security.HEADERS)
    return HTMLResponse(f"<!doctype html><title>Too large</title><p>{message}: nothing was saved.</p>",
                        status_code=413, headers=security.HEADERS)


def create_app(settings: Settings) -> FastAPI:
    """The app over the store in ``settings.data_dir`` (created and migrated on first use)."""
    store = Store(settings.data_dir)
    store.purge(settings.unfinished_days)
    app = FastAPI(title="zegama serve", version=metadata.version("zegama-assess"), description=DESCRIPTION, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.settings = settings
    app.state.store = store
    app.state.rulebase = settings.rulebase or default_rulebase()
    app.state.limiter = security.RateLimiter(settings.rates)
    app.state.cookies = security.CookiePolicy(settings.secure_cookies)

    @app.middleware("http")
    async def defences(request: Request, call_next):
        request.state.coach = None
        if request.url.path.startswith("/api/") and request.method == "POST":
            if not app.state.limiter.allow("api", client(request)):
                return json_error(429, "rate_limit", "too many requests: wait a minute",
                                  headers={**security.HEADERS, "retry-after": "60"})
        response = await call_next(request)
        for name, value in security.HEADERS.items():
            response.headers.setdefault(name, value)
        new = getattr(request.state, "new_csrf", None)
        if new and not request.cookies.get(security.CSRF_COOKIE):
            response.set_cookie(security.CSRF_COOKIE, new, **app.state.cookies.kwargs("strict"))
        return response

    @app.exception_handler(api.ApiError)
    async def api_error(request: Request, exc: api.ApiError):
        return api.api_error_response(exc)

    @app.exception_handler(FormRefused)
    async def refused(request: Request, exc: FormRefused):
        return message_page(request, exc.status, exc.title, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError):
        problems = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
                    for e in exc.errors()]
        if request.url.path.startswith("/api/"):
            return json_error(400, "usage", "invalid request", problems)
        return message_page(request, 400, "Bad request", "; ".join(f"{p['field']}: {p['message']}" for p in problems))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        message = {404: "not found", 405: "method not allowed"}.get(exc.status_code, str(exc.detail))
        if request.url.path.startswith("/api/"):
            return json_error(exc.status_code, "http", message)
        return message_page(request, exc.status_code, message.capitalize(), f"Nothing here: {message}.")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        # Never a traceback to a user; the server's log has it.
        if request.url.path.startswith("/api/"):
            return json_error(500, "internal", "the server could not answer this request")
        return HTMLResponse("<!doctype html><title>Error</title><p>Something went wrong on the server.</p>",
                            status_code=500)

    @app.get("/static/web.css", include_in_schema=False)
    def style() -> Response:
        return Response(STYLE, media_type="text/css", headers={"cache-control": "max-age=3600"})

    @app.get("/api/docs", response_class=HTMLResponse, include_in_schema=False)
    def api_docs(request: Request):
        from .pages import render

        return render(request, "api_docs.html", spec=app.openapi())

    app.include_router(api.router)
    app.include_router(runner.router)
    app.include_router(coach.router)
    limits = [("/api/", settings.api_body_bytes), ("/coach/upload", settings.upload_bytes)]
    app.add_middleware(security.BodyLimit, limits=limits, default=settings.form_bytes, on_too_large=_too_large)
    return app
