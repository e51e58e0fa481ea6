"""zegama serve's HTTP API: the CLI's reports, estimates, schemas and JSON errors, byte for byte."""

from __future__ import annotations

import json

import pytest
import yaml
from click.testing import CliRunner

from assessment.cli import main
from tests.conftest import EXAMPLES
from tests.web_helpers import client

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def cli(*args: str, stdin: str | None = None) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args), input=stdin)
    return r.exit_code, r.stdout


@pytest.fixture
def api(tmp_path):
    return client(tmp_path, as_of=None)  # the API takes its dates from the query, as the CLI its options


@pytest.mark.parametrize("name", ["skimo", "road", "ultra"])
def test_assess_is_byte_for_byte_the_clis_json(api, name):
    path = EXAMPLES / f"{name}.yaml"
    code, expected = cli("assess", str(path), "--format", "json", "--as-of", "2026-12-01")
    assert code == 0
    body = json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str)
    r = api.post("/api/assess?as_of=2026-12-01", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.text == expected


def test_edition_and_race_date_are_the_clis_options(api):
    path = str(EXAMPLES / "skimo.yaml")
    code, expected = cli("assess", path, "--format", "json", "--as-of", "2026-12-01", "--edition", "2028",
                         "--race-date", "2028-05-21")
    assert code == 0
    body = open(path, encoding="utf-8").read()  # YAML is read too, as the CLI reads a .yaml file
    r = api.post("/api/assess?as_of=2026-12-01&edition=2028&race_date=2028-05-21", content=body)
    assert r.status_code == 200 and r.text == expected
    assert json.loads(r.text)["edition"]["year"] == 2028


def test_estimate_is_the_clis_json(api):
    path = str(EXAMPLES / "skimo.yaml")
    code, expected = cli("estimate", path, "--format", "json", "--as-of", "2026-12-01")
    assert code == 0
    r = api.post("/api/estimate?as_of=2026-12-01", content=open(path, encoding="utf-8").read())
    assert r.status_code == 200 and r.text == expected
    code, other = cli("estimate", path, "--format", "json", "--as-of", "2026-12-01", "--course-km", "31",
                      "--course-dplus", "2200")
    r = api.post("/api/estimate?as_of=2026-12-01&course_km=31&course_dplus=2200",
                 content=open(path, encoding="utf-8").read())
    assert r.text == other and other != expected


@pytest.mark.parametrize("name", ["profile", "report"])
def test_schemas_are_the_clis(api, name):
    code, expected = cli("schema", name)
    assert code == 0
    r = api.get(f"/api/schema/{name}")
    assert r.status_code == 200 and r.text == expected


def test_an_invalid_profile_gets_the_clis_error_with_422(api):
    bad = '{"runner_id": "x", "age": 7, "vk_time": "fast"}'
    code, expected = cli("assess", "-", "--format", "json", "--as-of", "2026-12-01", stdin=bad)
    assert code == 1
    r = api.post("/api/assess?as_of=2026-12-01", content=bad)
    assert r.status_code == 422 and r.text == expected
    err = r.json()["error"]
    assert err["type"] == "invalid_profile" and {p["field"] for p in err["problems"]} >= {"age", "vk_time"}


@pytest.mark.parametrize("body, status, kind", [
    ("", 400, "input"),
    ("{not json", 400, "input"),
    (b"\xff\xfe\x00", 400, "input"),
    ('{"runner_id": "a", "runner_id": "b"}', 400, "input"),   # a key given twice, refused as the CLI does
    ('["a list"]', 422, "invalid_profile"),
])
def test_unreadable_bodies_are_4xx_json_errors(api, body, status, kind):
    r = api.post("/api/assess", content=body)
    assert r.status_code == status
    assert set(r.json()) == {"error"} and r.json()["error"]["type"] == kind and r.json()["error"]["message"]


@pytest.mark.parametrize("query, fragment", [
    ("as_of=yesterday", "expected a date as YYYY-MM-DD"),
    ("as_of=1066-10-14", "outside the years"),
    ("edition=soon", "expected a whole number"),
    ("race_date=2027-02-30", "expected a date"),
])
def test_bad_query_parameters_are_usage_errors(api, query, fragment):
    r = api.post(f"/api/assess?{query}", content='{"runner_id": "a"}')
    assert r.status_code == 400 and r.json()["error"]["type"] == "usage" and fragment in r.json()["error"]["message"]


def test_options_that_cannot_work_are_the_assessments_error(api):
    code, expected = cli("assess", "-", "--format", "json", "--as-of", "2026-12-01", "--edition", "2020",
                         stdin='{"runner_id": "a"}')
    assert code == 1
    r = api.post("/api/assess?as_of=2026-12-01&edition=2020", content='{"runner_id": "a"}')
    assert r.status_code == 422 and r.text == expected and r.json()["error"]["type"] == "assessment"


def test_nothing_to_estimate_from_is_a_422(api):
    r = api.post("/api/estimate?as_of=2026-12-01", content='{"runner_id": "a"}')
    assert r.status_code == 422 and r.json()["error"]["type"] == "estimate"


def test_unknown_schema_and_path_are_json_404s(api):
    assert api.get("/api/schema/rules-secret").status_code == 404
    r = api.get("/api/nothing")
    assert r.status_code == 404 and r.json()["error"]["type"] == "http"


def test_openapi_lists_the_api_and_its_docs_fetch_nothing_elsewhere(api):
    spec = api.get("/api/openapi.json").json()
    assert {"/api/assess", "/api/estimate", "/api/schema/{name}"} <= set(spec["paths"])
    params = {p["name"] for p in spec["paths"]["/api/assess"]["post"]["parameters"]}
    assert params == {"as_of", "edition", "race_date"}
    assert not any(p.startswith(("/r/", "/coach")) for p in spec["paths"])  # pages are not API
    docs = api.get("/api/docs").text
    assert "POST /api/assess" in docs and "/api/openapi.json" in docs
    assert "https://" not in docs.replace("http://127.0.0.1", "")  # no CDN: swagger's would load from one
