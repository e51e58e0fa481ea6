"""The example report in a real browser: headless Chromium loads it without errors or
network requests, and draws the charts.

Chromium is Debian's ``chromium`` package (``.ci/run`` installs it when absent).
Where it is not installed these tests skip and say so. Set ZEGAMA_CHROMIUM to
use another binary, and ZEGAMA_UPDATE_SCREENSHOT=1 to rewrite docs/report.png.
"""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

from assessment import assess
from assessment.report.charts import BLUE
from assessment.report.html import runner_html
from tests.conftest import AS_OF, EXAMPLES, ROOT

SCREENSHOT = ROOT / "docs" / "report.png"
WINDOW = (1200, 2000)
TIMEOUT = 300     # seconds; a loaded CI machine can be slow to start a browser


def find_chromium():
    for name in filter(None, [os.environ.get("ZEGAMA_CHROMIUM"), "chromium", "chromium-browser",
                              "google-chrome", "google-chrome-stable"]):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None,
    reason="headless Chromium not found: install Debian's chromium package (apt-get install -y chromium; "
           ".ci/run does it) or set ZEGAMA_CHROMIUM",
)


def browse(page: Path, *extra: str) -> dict:
    """Open ``page`` in headless Chromium; return its console messages and the page's own network requests."""
    with tempfile.TemporaryDirectory() as profile:
        netlog = Path(profile) / "netlog.json"
        cmd = [
            CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}/data",
            # Nothing may reach the network: every host name fails to resolve, and the net log shows any attempt.
            "--host-resolver-rules=MAP * ~NOTFOUND", f"--log-net-log={netlog}",
            "--enable-logging=stderr", "--v=0", "--hide-scrollbars",
            *extra, page.resolve().as_uri(),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"Chromium did not finish within {TIMEOUT} s: {' '.join(cmd)}")
        console = [line for line in proc.stderr.splitlines() if ":CONSOLE" in line]
        requests = []
        if netlog.exists():
            log = json.loads(netlog.read_text(encoding="utf-8", errors="replace") or "{}")
            start = log.get("constants", {}).get("logEventTypes", {}).get("URL_REQUEST_START_JOB")
            for event in log.get("events", []):
                params = event.get("params") or {}
                # The page's requests carry its origin (file://); the browser's own housekeeping does not.
                if event.get("type") == start and "file://" in str(params.get("network_isolation_key", "")):
                    requests.append(params.get("url"))
        return {"returncode": proc.returncode, "stdout": proc.stdout, "console": console, "requests": requests,
                "stderr": proc.stderr}


def colour_pixels(png: Path, hex_colour: str, tolerance: int = 24, box=None) -> int:
    import numpy as np
    from PIL import Image

    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    image = Image.open(png).convert("RGB")
    if box:
        image = image.crop(box)
    pixels = np.asarray(image, dtype=int)
    return int((np.abs(pixels - target) <= tolerance).all(axis=-1).sum())


@pytest.fixture(scope="module")
def report_page(tmp_path_factory):
    profile = yaml.safe_load((EXAMPLES / "skimo.yaml").read_text(encoding="utf-8"))
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(runner_html(assess(profile, as_of=AS_OF), profile), encoding="utf-8")
    return path


@needs_chromium
def test_the_checks_catch_a_broken_page(tmp_path):
    # The detector itself: a script error and an external image must both show.
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
                   '<script>throw new Error("deliberate")</script></body></html>', encoding="utf-8")
    seen = browse(bad, "--dump-dom")
    assert any("deliberate" in line for line in seen["console"]), seen["stderr"][-2000:]
    assert "http://example.invalid/x.png" in seen["requests"]


@needs_chromium
def test_report_loads_without_errors_or_requests_and_draws_the_charts(report_page, tmp_path):
    shot = tmp_path / "report.png"
    seen = browse(report_page, f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}")
    assert seen["returncode"] == 0, seen["stderr"][-2000:]
    assert seen["console"] == []
    assert seen["requests"] == []
    assert shot.exists()
    # The radar sits at the top left: the runner's outline (blue) is drawn there.
    assert colour_pixels(shot, BLUE, box=(0, 250, 700, 900)) > 400
    # The emphases bars further down use the dark end of the ramp.
    assert colour_pixels(shot, "#08306b", box=(0, 900, 1200, 2000)) > 1000
    if os.environ.get("ZEGAMA_UPDATE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


@needs_chromium
def test_dom_has_the_charts_with_their_shapes(report_page):
    seen = browse(report_page, "--dump-dom")
    dom = seen["stdout"]
    assert seen["returncode"] == 0 and dom.rstrip().endswith("</html>")
    assert seen["console"] == []
    for kind in ("radar", "emphases", "phases"):
        start = dom.index(f"chart chart-{kind}")
        chart = dom[start:dom.index("</svg>", start)]
        assert chart.count("<path") > 10, kind


def test_committed_screenshot_shows_the_report():
    # docs/report.png (shown in docs/report.md) is a screenshot of this example report.
    from PIL import Image

    image = Image.open(SCREENSHOT)
    assert image.format == "PNG" and image.size == WINDOW
    assert colour_pixels(SCREENSHOT, BLUE, box=(0, 250, 700, 900)) > 400
