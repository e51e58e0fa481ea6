"""A bounded load check on a real server: 200 concurrent POST /api/assess on loopback give exactly the library's reports."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import uvicorn
import yaml

from assessment import assess
from assessment.report.render import render
from assessment.web import Settings, create_app
from tests.conftest import AS_OF, EXAMPLES

REQUESTS = 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    app = create_app(Settings(data_dir=tmp_path / "data", rates={"api": (10 * REQUESTS, 60.0)}))
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", backlog=REQUESTS * 2))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(2000):  # until it listens (a bound on tries, not a timing assert)
        if srv.started:
            break
        threading.Event().wait(0.01)
    assert srv.started, "uvicorn did not start"
    yield port
    srv.should_exit = True
    thread.join(60)


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
