"""What the web tests share: an app over a fresh store, and a walk through the questionnaire's pages."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import warnings

from assessment.web import Settings, create_app
from tests.conftest import AS_OF

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette's note that httpx2 may replace httpx
    from fastapi.testclient import TestClient

#: The quick questionnaire's answers, by the answer keys the interview uses; a tuple is used in turn.
QUICK = {
    "runner_id": "ana", "sex": "F", "age": "31", "goal": "compete", "background": ["skimo", "road"],
    "vk_time": "52:30", "flat_10k_time": "?", "downhill_confidence": "3", "weekly_km": "60",
    "weekly_dplus_m": "2500", "strength_sessions_per_week": "1", "+races": ("yes", "no"),
    "races[1].race": "Transvulcania", "races[1].date": "2026-05-09", "races[1].distance_km": "45",
    "races[1].dplus_m": "4350", "races[1].position": "180", "races[1].finishers": "700",
}


def client(tmp_path, **settings) -> TestClient:
    settings.setdefault("as_of", AS_OF)
    c = TestClient(create_app(Settings(data_dir=tmp_path / "data", **settings)))
    c.get("/")  # the CSRF cookie
    return c


def csrf(c) -> str:
    return c.cookies.get("zegama_csrf")


def start(c, questionnaire: str = "quick") -> str:
    r = c.post("/start", data={"csrf": csrf(c), "questionnaire": questionnaire}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return r.headers["location"]


def page_form(html: str) -> dict:
    return {"page": re.search(r'name="page" value="([^"]*)"', html).group(1),
            "item": re.search(r'name="item" value="([^"]*)"', html).group(1),
            "shown": re.findall(r'name="shown" value="([^"]*)"', html)}


def post_page(c, link: str, html: str, answers: dict):
    f = page_form(html)
    data = {"csrf": csrf(c), **f}
    for key in f["shown"]:
        value = answers.get(key, "")
        if isinstance(value, tuple):
            answers[key] = value[1:] if len(value) > 1 else value
            value = value[0]
        data[key] = value
    return c.post(link, data=data, follow_redirects=False)


def walk(c, link: str, answers: dict, pages: int = 40) -> str:
    """Answer every page until the review; returns the review page."""
    answers = dict(answers)
    for _ in range(pages):
        html = c.get(link).text
        if 'name="page"' not in html:
            return html
        r = post_page(c, link, html, answers)
        assert r.status_code == 303, errors(r.text)
    raise AssertionError("the questionnaire did not end")


def errors(html: str) -> list[str]:
    import html as h

    return [h.unescape(m) for m in re.findall(r'class="error" role="alert">([^<]*)<', html)]


def text(html: str) -> str:
    import html as h

    return h.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(app, backlog: int = 2048):
    """``app`` on uvicorn at a free loopback port, in a thread: yields the port."""
    import uvicorn

    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", backlog=backlog))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(3000):  # until it listens: a bound on tries, not a timing assert
        if srv.started or not thread.is_alive():
            break
        threading.Event().wait(0.01)
    assert srv.started, "uvicorn did not start"
    try:
        yield port
    finally:
        srv.should_exit = True
        thread.join(60)
