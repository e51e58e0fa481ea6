"""JSON Schemas: the report schema is versioned and snapshotted; real data validates against all three.

When the report's shape changes, bump ``assessment.report.model.SCHEMA_VERSION`` and
write the new version's snapshot with ``ZEGAMA_WRITE_SCHEMA_SNAPSHOT=1 pytest
tests/test_schema_snapshot.py``; snapshots of earlier versions stay as they are.
"""

import json
import os

import pytest
import yaml
from click.testing import CliRunner

from assessment import assess
from assessment.cli.main import main
from assessment.report.model import SCHEMA_VERSION
from assessment.schemas import SCHEMAS, profile_schema, report_schema, rules_schema, schema
from tests.conftest import AS_OF, EXAMPLES, ROOT

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema is in the test extra: pip install -e '.[test]'")

SNAPSHOTS = ROOT / "tests" / "snapshots"


def snapshot_path(version: str = SCHEMA_VERSION):
    return SNAPSHOTS / f"report-{version}.schema.json"


def differences(old, new, path="$") -> list[str]:
    """JSON paths where two schemas differ, for a failure message a person can act on."""
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new), key=str):
            if key not in new:
                out.append(f"{path}.{key} removed")
            elif key not in old:
                out.append(f"{path}.{key} added")
            else:
                out += differences(old[key], new[key], f"{path}.{key}")
        return out
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new else [f"{path} changed"]


def test_report_schema_matches_the_snapshot_of_its_version():
    path = snapshot_path()
    current = report_schema()
    if not path.exists() and os.environ.get("ZEGAMA_WRITE_SCHEMA_SNAPSHOT"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(current, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), (
        f"no snapshot for report schema {SCHEMA_VERSION}; write it with ZEGAMA_WRITE_SCHEMA_SNAPSHOT=1"
    )
    stored = json.loads(path.read_text(encoding="utf-8"))
    changed = differences(stored, current)
    assert not changed, (
        f"the report schema changed but SCHEMA_VERSION is still {SCHEMA_VERSION}: bump it in "
        f"assessment/report.py and write the new snapshot. Changes: {changed[:10]}"
    )


def test_the_snapshot_check_notices_a_change():
    stored = json.loads(snapshot_path().read_text(encoding="utf-8"))
    changed = json.loads(json.dumps(stored))
    del changed["properties"]["fit_score"]
    changed["$defs"]["Finding"]["properties"]["severity"]["maximum"] = 2
    assert differences(stored, changed) == [
        "$.$defs.Finding.properties.severity.maximum changed",
        "$.properties.fit_score removed",
    ]
    assert differences(stored, stored) == []


def test_every_snapshot_names_its_own_version():
    snaps = sorted(SNAPSHOTS.glob("report-*.schema.json"))
    assert snaps, "no report schema snapshots"
    for snap in snaps:
        version = snap.name[len("report-"):-len(".schema.json")]
        body = json.loads(snap.read_text(encoding="utf-8"))
        assert body["properties"]["schema_version"]["const"] == version
        assert body["$id"].endswith(f":{version}")


def test_every_schema_is_a_valid_json_schema():
    for name in SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(schema(name))
    with pytest.raises(ValueError):
        schema("roster")


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_the_schema_command_prints_the_library_schema(name, tmp_path):
    res = CliRunner().invoke(main, ["schema", name])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == schema(name)
    out = tmp_path / f"{name}.json"
    res = CliRunner().invoke(main, ["schema", name, "-o", str(out)])
    assert res.exit_code == 0 and json.loads(out.read_text()) == schema(name)


def test_unknown_schema_name_is_a_usage_error():
    res = CliRunner().invoke(main, ["schema", "roster"])
    assert res.exit_code == 2


def _example_profiles():
    return [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.yaml"))]


def _as_json(data):
    # YAML reads dates as dates; JSON carries them as ISO strings.
    return json.loads(json.dumps(data, default=str))


def test_example_profiles_and_their_reports_validate():
    profiles = _example_profiles()
    assert len(profiles) >= 3
    pv = jsonschema.Draft202012Validator(profile_schema())
    rv = jsonschema.Draft202012Validator(report_schema())
    for data in profiles:
        pv.validate(_as_json(data))
        report = assess(data, as_of=AS_OF)
        rv.validate(json.loads(report.to_json()))
        # What we write back (durations as h:mm:ss) is valid input too.
        from assessment import load_profile

        pv.validate(load_profile(data).model_dump(mode="json", exclude_none=True))


def test_the_profile_schema_refuses_what_assess_refuses():
    pv = jsonschema.Draft202012Validator(profile_schema())
    assert not pv.is_valid({"name": "no id"})
    assert not pv.is_valid({"runner_id": "x", "colour": "red"})
    assert not pv.is_valid({"runner_id": "x", "sex": "Q"})
    assert not pv.is_valid({"runner_id": "x", "downhill_confidence": 9})
    assert pv.is_valid({"runner_id": "x", "vk_time": "48:30", "flat_10k_time": 41.5})


def test_a_report_of_another_version_does_not_validate():
    report = json.loads(assess({"runner_id": "v"}, as_of=AS_OF).to_json())
    report["schema_version"] = "0.9"
    assert not jsonschema.Draft202012Validator(report_schema()).is_valid(report)


def test_rule_files_validate_and_broken_rules_do_not():
    rv = jsonschema.Draft202012Validator(rules_schema())
    files = sorted((ROOT / "rules" / "zegama" / "rules").glob("*.yaml")) + sorted(
        (ROOT / "examples" / "custom_pack" / "rules").glob("*.yaml"))
    assert len(files) >= 6
    for f in files:
        rv.validate(_as_json(yaml.safe_load(f.read_text(encoding="utf-8"))))
    broken = _as_json(yaml.safe_load((ROOT / "tests" / "fixtures" / "broken_pack" / "rules" / "bad.yaml").read_text()))
    invalid_ids = set()
    for rule in broken["rules"]:
        if not rv.is_valid({"rules": [rule]}):
            invalid_ids.add(rule["id"])
    # Schema-level problems: an unknown key, `in` without a list, no non-firing example.
    # (Types, parameters, placeholders and sources need `zegama rules validate`.)
    assert {"BRK001", "BRK002", "BRK005"} <= invalid_ids
    assert "BRK004" not in invalid_ids
