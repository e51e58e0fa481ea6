"""zegama serve's defences, one test each: CSRF, escaping, no path from input to files, cookies, rate and size limits, headers, the store."""

from __future__ import annotations

import os
import sqlite3
import stat

import pytest

from assessment.web import pages, security
from assessment.web.store import DB_NAME, MIGRATIONS, SCHEMA_VERSION, Store, StoreError
from tests.test_web_coach import PASSWORD, coach, small_roster
from tests.web_helpers import QUICK, client, csrf, post_page, start, walk

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# ------------------------------------------------------------------ CSRF

@pytest.mark.parametrize("field", [None, "", "forged-token-of-the-right-length-aaaaaaaaaaaaa"])
def test_a_form_without_the_visitors_csrf_token_is_refused(tmp_path, field):
    c = client(tmp_path)
    data = {"questionnaire": "quick"} | ({} if field is None else {"csrf": field})
    r = c.post("/start", data=data, follow_redirects=False)
    assert r.status_code == 403 and "Form expired" in r.text
    assert sqlite3.connect(tmp_path / "data" / DB_NAME).execute("SELECT COUNT(*) FROM runners").fetchone()[0] == 0


def test_every_form_carries_the_token_and_the_answers_and_deletes_check_it(tmp_path):
    c = client(tmp_path)
    link = start(c)
    html = c.get(link).text
    assert f'name="csrf" value="{csrf(c)}"' in html
    token = csrf(c)
    c.cookies.delete("zegama_csrf")
    c.cookies.set("zegama_csrf", "another visitor's token")  # a cross-site post carries no matching pair
    for path in (link, f"{link}/finish", f"{link}/delete", f"{link}/races", "/coach/login"):
        assert c.post(path, data={"csrf": token}).status_code == 403, path
    assert c.get(link).status_code == 200  # nothing was deleted


def test_a_coachs_forms_check_it_too(tmp_path):
    c = coach(tmp_path)
    r = c.post("/coach/upload", data={"csrf": "wrong"}, files={"roster": ("r.csv", small_roster(), "text/csv")})
    assert r.status_code == 403
    assert c.post("/coach/logout", data={}).status_code == 403


# ------------------------------------------------------------------ escaping

def test_what_a_runner_types_is_escaped(tmp_path):
    c = client(tmp_path)
    link = start(c)
    attack = '<script>alert("x")</script>'
    review = walk(c, link, {**QUICK, "runner_id": attack})
    assert attack not in review and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in review
    assert pages.ENV.autoescape("any.html") is True


def test_a_roster_name_is_escaped_on_the_squad_page(tmp_path):
    c = coach(tmp_path)
    roster = small_roster().replace(b"Ane Agirre", b"<img src=x onerror=alert(1)>")
    c.post("/coach/upload", data={"csrf": csrf(c)}, files={"roster": ("r.csv", roster, "text/csv")})
    squad = c.get("/coach").text
    assert "<img src=x" not in squad and "&lt;img src=x onerror=alert(1)&gt;" in squad


# ------------------------------------------------------------------ no path from input to files

def test_no_name_from_a_request_reaches_the_file_system(tmp_path, monkeypatch):
    c = client(tmp_path)
    r = c.post("/start", data={"csrf": csrf(c), "questionnaire": "../../../etc/passwd"})
    assert r.status_code == 400 and "Unknown questionnaire" in r.text
    link = start(c)
    assert c.get(f"{link}?page=../../etc").status_code == 404
    for path in ("/static/../pyproject.toml", "/static/..%2f..%2fpyproject.toml", "/static/store.py",
                 "/r/..%2f..%2fetc%2fpasswd", "/r/../../etc/passwd"):
        r = c.get(path)
        assert r.status_code == 404 and "[project]" not in r.text, path
    assert c.get("/static/web.css").headers["content-type"].startswith("text/css")


def test_an_uploaded_files_name_is_only_shown(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    c = coach(tmp_path)
    r = c.post("/coach/upload", data={"csrf": csrf(c)},
               files={"roster": ("../../escaped.csv", small_roster(), "text/csv")})
    assert r.status_code == 200 and "escaped.csv: 3 runners assessed" in r.text
    assert not any(p.name == "escaped.csv" for p in tmp_path.parent.rglob("escaped.csv"))


# ------------------------------------------------------------------ cookies

def _cookie(response, name: str) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith(name + "="))


def test_cookies_are_httponly_samesite_strict_and_secure_when_asked(tmp_path):
    plain = client(tmp_path / "a")
    fresh = plain.__class__(plain.app).get("/")
    cookie = _cookie(fresh, "zegama_csrf").lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" not in cookie
    Store(tmp_path / "b" / "data").add_coach("maite", security.hash_password(PASSWORD))
    app = client(tmp_path / "b", secure_cookies=True).app
    tls = plain.__class__(app, base_url="https://testserver")  # a Secure cookie comes back over HTTPS only
    first = tls.get("/")
    assert "; secure" in _cookie(first, "zegama_csrf").lower()
    r = tls.post("/coach/login", data={"csrf": csrf(tls), "name": "maite", "password": PASSWORD},
                 follow_redirects=False)
    session = _cookie(r, "zegama_session").lower()
    assert all(part in session for part in ("httponly", "samesite=strict", "secure", "max-age=43200"))


# ------------------------------------------------------------------ rate and size limits

def test_sign_in_attempts_are_rate_limited(tmp_path):
    c = client(tmp_path)
    codes = [c.post("/coach/login", data={"csrf": csrf(c), "name": "x", "password": "y"}).status_code
             for _ in range(11)]
    assert codes == [401] * 10 + [429]


def test_the_api_is_rate_limited_with_a_json_error(tmp_path):
    c = client(tmp_path, rates={"api": (3, 60.0)})
    codes = [c.post("/api/assess", content='{"runner_id": "a"}').status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = c.post("/api/assess", content='{"runner_id": "a"}')
    assert r.json()["error"]["type"] == "rate_limit" and r.headers["retry-after"] == "60"


def test_the_rate_window_slides():
    now = [0.0]
    limiter = security.RateLimiter({"b": (2, 10.0)}, clock=lambda: now[0])
    assert [limiter.allow("b", "ip") for _ in range(3)] == [True, True, False]
    assert limiter.allow("b", "other") and limiter.allow("unlimited bucket", "ip")
    now[0] = 10.5
    assert limiter.allow("b", "ip")


def test_an_api_body_over_the_limit_is_a_413_json_error(tmp_path):
    c = client(tmp_path, api_body_bytes=1000)
    big = '{"runner_id": "a", "name": "' + "x" * 2000 + '"}'
    r = c.post("/api/assess", content=big)
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"

    def chunks():  # no Content-Length: counted while read
        for _ in range(4):
            yield b" " * 400
        yield b'{"runner_id": "a"}'

    r = c.post("/api/assess", content=chunks())
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"
    assert c.post("/api/assess", content='{"runner_id": "a"}').status_code == 200


def test_forms_and_uploads_have_their_own_limits(tmp_path):
    c = coach(tmp_path, form_bytes=2000, upload_bytes=5000)
    link = start(c)
    r = post_page(c, link, c.get(link).text, {**QUICK, "runner_id": "x" * 5000})
    assert r.status_code == 413
    big = small_roster() + b"\n" * 6000
    r = c.post("/coach/upload", data={"csrf": csrf(c)}, files={"roster": ("r.csv", big, "text/csv")})
    assert r.status_code == 413
    assert c.get("/coach").text.count('href="/coach/runner/') == 0


# ------------------------------------------------------------------ headers and errors

def test_pages_fetch_nothing_from_elsewhere_and_send_no_referrer(tmp_path):
    c = client(tmp_path)
    link = start(c)
    for path in ("/", link, "/coach/login", "/api/docs", "/privacy"):
        r = c.get(path)
        assert r.headers["content-security-policy"].startswith("default-src 'none'")
        assert r.headers["referrer-policy"] == "no-referrer"  # a runner's link must not leak in a Referer
        assert "https://" not in r.text and "//cdn" not in r.text
        assert "<script" not in r.text.lower()  # the pages work without JavaScript: they send none


def test_an_unexpected_failure_is_no_traceback(tmp_path, monkeypatch):
    from assessment.web import api

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(api, "assess", broken)
    c = client(tmp_path)
    c = c.__class__(c.app, raise_server_exceptions=False)
    r = c.post("/api/assess", content='{"runner_id": "a"}')
    assert r.status_code == 500 and r.json()["error"]["type"] == "internal"
    assert "Traceback" not in r.text and "internal detail" not in r.text


# ------------------------------------------------------------------ the store

def test_the_store_is_created_private_and_migrated(tmp_path):
    store = Store(tmp_path / "new" / "data")
    assert store.version() == SCHEMA_VERSION == len(MIGRATIONS)
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(store.folder).st_mode) == 0o700
    Store(tmp_path / "new" / "data")  # opening again applies nothing twice
    assert store.version() == SCHEMA_VERSION


def test_a_store_of_an_earlier_version_is_migrated_and_keeps_its_rows(tmp_path):
    folder = tmp_path / "v1"
    folder.mkdir()
    db = sqlite3.connect(folder / DB_NAME)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO coaches (name, password_hash, created_at) VALUES ('maite', 'h', 'now')")
    db.execute("INSERT INTO uploads (coach_id, created_at, filename, summary, outputs) VALUES (1, 'now', 'a.csv', 's', x'00')")
    db.commit()
    db.close()
    store = Store(folder)
    assert store.version() == SCHEMA_VERSION >= 2
    [up] = store.uploads(1)
    assert up["filename"] == "a.csv" and up["withdrawn"] is None


def test_a_newer_store_or_another_file_is_refused(tmp_path):
    store = Store(tmp_path / "data")
    db = sqlite3.connect(store.path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than this zegama"):
        Store(tmp_path / "data")
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / DB_NAME).write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a zegama store"):
        Store(tmp_path / "junk")
