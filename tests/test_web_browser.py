"""zegama serve in a real headless browser (Debian's chromium through Playwright, never a downloaded one):
a runner fills the quick questionnaire and reads the report; a coach uploads a roster and sees the squad.

Skips, saying why, where chromium or Playwright is missing. ZEGAMA_UPDATE_SCREENSHOT=1 rewrites docs/serve.png.
"""

from __future__ import annotations

import os

import pytest

from assessment.web import Settings, create_app
from assessment.web.security import hash_password
from assessment.web.store import Store
from tests.conftest import AS_OF, ROOT
from tests.test_browser import CHROMIUM
from tests.test_web_coach import PASSWORD, small_roster
from tests.web_helpers import QUICK, serving

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install -e '.[test]')")

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not found: install Debian's chromium package "
                                                "(apt-get install -y chromium; .ci/run does it) or set ZEGAMA_CHROMIUM"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]

SCREENSHOT = ROOT / "docs" / "serve.png"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--host-resolver-rules=MAP * ~NOTFOUND, "
        "EXCLUDE 127.0.0.1"]
TIMEOUT_MS = 120_000   # a loaded CI machine can be slow; a bound, not a timing assert


@pytest.fixture
def site(tmp_path):
    data = tmp_path / "data"
    Store(data).add_coach("maite", hash_password(PASSWORD))
    with serving(create_app(Settings(data_dir=data, as_of=AS_OF))) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _page(browser, site, requests: list[str]):
    context = browser.new_context(viewport={"width": 1100, "height": 1400}, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    return page


def _answer(page, answers: dict) -> None:
    for key in [e.get_attribute("value") for e in page.locator('input[name="shown"]').all()]:
        value = answers.get(key, "")
        if isinstance(value, tuple):
            answers[key] = value[1:] if len(value) > 1 else value
            value = value[0]
        field = page.locator(f'[name="{key}"]')
        kind = field.first.get_attribute("type")
        if kind == "text":
            field.fill(value)
        elif kind in ("radio", "checkbox"):
            for v in ([value] if isinstance(value, str) else value):
                if v:
                    page.locator(f'[name="{key}"][value="{v}"]').check()


def test_a_runner_fills_the_quick_questionnaire_and_reads_the_report(browser, site):
    requests: list[str] = []
    page = _page(browser, site, requests)
    page.goto(site + "/")
    page.get_by_role("button", name="Start the quick questionnaire").click()
    answers = dict(QUICK)
    for _ in range(20):
        if page.locator('input[name="shown"]').count() == 0:
            break
        _answer(page, answers)
        page.get_by_role("button", name="Next").click()
    assert page.get_by_role("heading", name="Review your answers").is_visible()
    assert "Race 1 - Race: Transvulcania" in page.content()
    page.get_by_role("button", name="Get my report").click()
    assert page.get_by_role("heading", name="Your Zegama report").is_visible()
    report = page.frame_locator("iframe.report")
    assert "Zegama gap report" in report.locator("h1").first.inner_text()
    assert report.locator("svg.chart").count() >= 2  # the report's charts drew inside the page
    if os.environ.get("ZEGAMA_UPDATE_SCREENSHOT") == "1":
        page.screenshot(path=str(SCREENSHOT))
    assert requests and all(u.startswith(site) for u in requests), [u for u in requests if not u.startswith(site)]


def test_a_refused_answer_shows_its_message_in_the_page(browser, site):
    page = _page(browser, site, [])
    page.goto(site + "/")
    page.get_by_role("button", name="Start the quick questionnaire").click()
    _answer(page, {**QUICK, "age": "twelve"})
    page.get_by_role("button", name="Next").click()
    alert = page.get_by_role("alert")
    assert alert.count() == 1 and alert.inner_text().startswith("Not accepted:")
    assert page.locator('[name="runner_id"]').input_value() == "ana"


def test_a_coach_uploads_a_roster_and_sees_the_squad(browser, site, tmp_path):
    roster = tmp_path / "club.csv"
    roster.write_bytes(small_roster())
    page = _page(browser, site, [])
    page.goto(site + "/coach/login")
    page.get_by_label("Name").fill("maite")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", name="Squad").is_visible()
    page.locator('input[name="roster"]').set_input_files(str(roster))
    page.get_by_role("button", name="Upload and assess").click()
    assert "club.csv: 3 runners assessed" in page.content()
    rows = page.locator("table.squad tbody tr")
    assert rows.count() == 3 and "Ane Agirre" in rows.first.inner_text()
    rows.first.locator("a").click()
    assert page.locator("svg.chart").count() == 3
