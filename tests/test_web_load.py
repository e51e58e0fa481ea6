"""zegama serve on a real server: 200 concurrent POST /api/assess on loopback give exactly the library's reports; the command starts and stops cleanly."""

from __future__ import annotations

import http.client
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from assessment import assess
from assessment.report.render import render
from assessment.web import Settings, create_app
from tests.conftest import AS_OF, EXAMPLES
from tests.web_helpers import serving

REQUESTS = 200


@pytest.fixture
def server(tmp_path):
    with serving(create_app(Settings(data_dir=tmp_path / "data", rates={"api": (10 * REQUESTS, 60.0)})),
                 backlog=REQUESTS * 2) as port:
        yield port


def profiles() -> list[dict]:
    base = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))]
    out = []
    for i in range(REQUESTS):
        p = json.loads(json.dumps(base[i % len(base)], default=str))
        p["runner_id"] = f"load-{i}"
        p["weekly_km"] = 20 + i % 90          # every report differs from the others
        out.append(p)
    return out


def test_200_concurrent_assessments_are_exactly_the_librarys(server):
    bodies = profiles()
    expected = [render(assess(p, as_of=AS_OF), "json") for p in bodies]
    barrier = threading.Barrier(REQUESTS)

    def post(i: int) -> tuple[int, str]:
        conn = http.client.HTTPConnection("127.0.0.1", server, timeout=300)
        conn.connect()
        barrier.wait(300)  # all 200 connected before any sends: they are in flight together
        conn.request("POST", f"/api/assess?as_of={AS_OF}", body=json.dumps(bodies[i]),
                     headers={"content-type": "application/json"})
        r = conn.getresponse()
        out = r.status, r.read().decode("utf-8")
        conn.close()
        return out

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        results = list(pool.map(post, range(REQUESTS)))
    assert [s for s, _ in results] == [200] * REQUESTS
    mismatched = [i for i, ((_, got), want) in enumerate(zip(results, expected)) if got != want]
    assert not mismatched, f"{len(mismatched)} reports differ from the library's, e.g. request {mismatched[0]}"
    assert len(set(expected)) == REQUESTS


def test_the_command_serves_and_stops_cleanly_on_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    from tests.web_helpers import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assessment", "serve", "--data", str(tmp_path / "data"),
                             "--port", str(port), "--as-of", "2026-12-01"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, "CI": "true"})
    try:
        body = None
        for _ in range(600):  # until it listens: a bound on tries, not a timing assert
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as r:
                    body = r.read().decode("utf-8")
                break
            except OSError:
                if proc.poll() is not None:
                    break
                threading.Event().wait(0.05)
        assert body is not None, proc.stderr.read() if proc.poll() is not None else "no answer"
        assert "Start the quick questionnaire" in body
        assert (tmp_path / "data" / "zegama.sqlite3").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and f"http://127.0.0.1:{port}/" in err
    assert "GET / " not in err  # no access log unless --access-log: runners' links are in paths
