"""`zegama rules …`, JSON errors of `zegama assess - --format json`, and a custom pack that changes a report."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest
import yaml
from click.testing import CliRunner

from assessment.pipeline import build_facts, run_engine, select_edition
from assessment.cli.main import main
from assessment.rules.compiler import derivations, export_durable, ruleset_name
from assessment.model.profile import load_profile
from assessment.report.model import Report
from assessment.rules.rulebase import load_rulebase
from tests.conftest import AS_OF, EXAMPLES, ROOT

CUSTOM = str(ROOT / "examples" / "custom_pack")
BROKEN = str(ROOT / "tests" / "fixtures" / "broken_pack")


def zegama(*args, input=None):
    return CliRunner().invoke(main, [str(a) for a in args], input=input)


# --------------------------------------------------------------------------- list

def test_list_shows_every_rule_and_filters_by_pillar(rb):
    res = zegama("rules", "list")
    assert res.exit_code == 0, res.output
    listed = [line.split()[0] for line in res.output.splitlines() if line[:1].isupper() and line.split()[0] in rb.rules]
    assert sorted(listed) == sorted(rb.rules)
    assert all(len(line) <= 80 for line in res.output.splitlines())

    res = zegama("rules", "list", "--pillar", "strength", "--format", "json")
    rows = json.loads(res.output)["rules"]
    assert rows and {r["pillar"] for r in rows} == {"strength"}
    assert {r["id"] for r in rows} == {rid for rid, cr in rb.rules.items() if cr.rule.pillar == "strength"}
    assert all(r["title"] == rb.rules[r["id"]].rule.title for r in rows)


def test_list_of_a_custom_pack_includes_its_rule_and_unknown_pillar_fails():
    res = zegama("rules", "list", "--rules", CUSTOM, "--pillar", "race_specificity")
    assert res.exit_code == 0 and "CLB001" in res.output
    res = zegama("rules", "list", "--pillar", "speed")
    assert res.exit_code == 1 and "unknown pillar" in res.output


# --------------------------------------------------------------------------- show

def test_show_gives_condition_targets_sources_rationale_and_examples(rb):
    res = zegama("rules", "show", "up001")
    assert res.exit_code == 0, res.output
    out = res.output
    rule = rb.rules["UP001"].rule
    assert "vk_time > target vk_time" in out
    # targets per goal and sex, formatted as durations, with their sources
    for goal in ("podium", "compete", "finish"):
        for sex in ("M", "F"):
            assert rb.format_param("vk_time", rb.target("vk_time", {"goal": goal, "sex": sex})) in out
    assert all(rb.sources[k].url in out for k in rb.parameters["vk_time"].sources)
    assert " ".join(rule.rationale.split()[:6]) in " ".join(out.split())
    fires, not_fires = out.split("Example profiles that fire it:")[1].split("Example profiles that do not fire it:")
    assert '"vk_time": "50:00"' in fires and '"vk_time": "34:55"' in not_fires
    assert "Angermund-Vik" in not_fires  # a real athlete's figures, with their source


def test_show_as_json_carries_the_rule_data(rb):
    d = json.loads(zegama("rules", "show", "ELG010", "--format", "json").output)
    rule = rb.rules["ELG010"].rule
    assert d["fact"] == "race" and d["asserts"]["kind"] == "qualifying_result"
    assert len(d["examples"]["fires"]) == len(rule.examples.fires)
    assert len(d["examples"]["does_not_fire"]) == len(rule.examples.does_not_fire)
    assert {t["name"] for t in d["targets"]} == set(rb.rules["ELG010"].params)


def test_show_of_a_custom_pack_shows_the_overridden_target():
    out = zegama("rules", "show", "UP001", "--rules", CUSTOM).output
    assert "47:51" in out and "club_vk_trials" in out
    assert "47:51" not in zegama("rules", "show", "UP001").output


def test_show_unknown_rule():
    res = zegama("rules", "show", "UP999")
    assert res.exit_code == 1 and "no rule 'UP999'" in res.output
    res = zegama("rules", "show", "UP999", "--format", "json")
    assert res.exit_code == 1 and json.loads(res.output)["error"]["type"] == "unknown_rule"


# --------------------------------------------------------------------------- validate

def test_validate_good_packs():
    res = zegama("rules", "validate")
    assert res.exit_code == 0 and res.output.startswith("OK: zegama")
    res = zegama("rules", "validate", CUSTOM, "--format", "json")
    body = json.loads(res.output)
    assert res.exit_code == 0 and body["ok"] and body["pack"] == "club-example"
    assert body["rules"] == len(load_rulebase().rules) + 1


EXPECTED_BROKEN = [
    ("rules/syntax.yaml", None, "not valid YAML"),
    ("rules/bad.yaml", "BRK001", "colour: unknown field"),
    ("rules/bad.yaml", "BRK002", "'in' takes a non-empty list"),
    ("rules/bad.yaml", "BRK003", "'lt' only compares numbers"),
    ("rules/bad.yaml", "BRK004", "unresolved parameter 'club_vk_target'"),
    ("rules/bad.yaml", "BRK004", "unknown placeholder {club_target}"),
    ("rules/bad.yaml", "BRK005", "duplicate rule id"),
    ("rules/bad.yaml", "BRK005", "examples.does_not_fire"),
    ("rules/bad.yaml", "BRK006", "unknown field 'vk_speed'"),
    ("rules/bad.yaml", "BRK006", "'eq' against 'often' (text) can never match"),
    ("rules/bad.yaml", "BRK006", "unknown source 'nowhere2020'"),
    ("rules/bad.yaml", "BRK007", "goal (text): 'elite' is not one of finish, compete, podium"),
    ("rules/bad.yaml", "BRK007", "uses_poles (bool): 'eq' against 'yes' (text) can never match"),
]


def test_validate_reports_every_problem_of_a_broken_pack_at_once():
    res = zegama("rules", "validate", BROKEN, "--format", "json")
    assert res.exit_code == 1
    problems = json.loads(res.output)["error"]["problems"]
    for file, rid, text in EXPECTED_BROKEN:
        assert any(p["file"].endswith(file) and p["rule_id"] == rid and text in p["message"] for p in problems), (
            file, rid, text, problems)
    assert len(problems) == len(EXPECTED_BROKEN)

    text = zegama("rules", "validate", BROKEN)
    assert text.exit_code == 1
    lines = [line for line in text.output.splitlines() if line.startswith("broken_pack/")]
    assert len(lines) == len(EXPECTED_BROKEN)
    assert "broken_pack/rules/bad.yaml: BRK003: when: sex (text): 'lt' only compares numbers" in lines


def test_validate_a_missing_folder_and_a_broken_parameter(tmp_path):
    assert zegama("rules", "validate", tmp_path / "nowhere").exit_code == 1
    pack = tmp_path / "club"
    shutil.copytree(CUSTOM, pack)
    params = yaml.safe_load((pack / "parameters.yaml").read_text())
    params["parameters"]["club_min_weekly_dplus_m"]["value"] = "lots"
    params["parameters"]["club_min_weekly_dplus_m"]["sources"] = ["unknown_source"]
    (pack / "parameters.yaml").write_text(yaml.safe_dump(params))
    res = zegama("rules", "validate", pack)
    assert res.exit_code == 1
    assert "parameter club_min_weekly_dplus_m: unknown source 'unknown_source'" in res.output
    assert "parameter club_min_weekly_dplus_m: value 'lots' is not a number" in res.output


# --------------------------------------------------------------------------- test

def test_every_rule_of_our_pack_has_firing_and_non_firing_examples(rb):
    for rid, cr in rb.rules.items():
        assert len(cr.rule.examples.fires) >= 1, rid
        assert len(cr.rule.examples.does_not_fire) >= 1, rid


@pytest.mark.parametrize("engine", ["durable", "reference"])
def test_rules_test_passes_on_our_pack(rb, engine):
    res = zegama("rules", "test", "--engine", engine)
    assert res.exit_code == 0, res.output
    passed = {line.split()[1] for line in res.output.splitlines() if line.startswith("PASS")}
    assert passed == set(rb.rules)
    assert "FAIL" not in res.output


def test_rules_test_on_the_custom_pack_and_one_rule():
    res = zegama("rules", "test", CUSTOM, "--rule", "CLB001", "--format", "json")
    body = json.loads(res.output)
    assert res.exit_code == 0 and body["failed"] == 0
    assert [r["id"] for r in body["rules"]] == ["CLB001"]
    assert [c["expectation"] for c in body["rules"][0]["cases"]] == ["fires", "does_not_fire", "does_not_fire"]
    assert zegama("rules", "test", CUSTOM, "--rule", "XYZ001").exit_code == 1


def test_rules_test_fails_on_a_wrong_example(tmp_path):
    pack = tmp_path / "club"
    shutil.copytree(CUSTOM, pack)
    doc = yaml.safe_load((pack / "rules" / "club.yaml").read_text())
    # Claim that a runner climbing 800 m a week does NOT fire the rule: false.
    doc["rules"][0]["examples"]["does_not_fire"].append({"profile": {"runner_id": "t", "weekly_dplus_m": 800}})
    (pack / "rules" / "club.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    res = zegama("rules", "test", pack)
    assert res.exit_code == 1
    assert "FAIL  CLB001" in res.output
    assert "does_not_fire #3: expected CLB001 to not fire" in res.output
    assert "PASS  UP001" in res.output


# --------------------------------------------------------------------------- export

def test_export_writes_the_compiled_ruleset(rb, tmp_path):
    res = zegama("rules", "export", "--format", "durable-json")
    assert res.exit_code == 0
    data = json.loads(res.output)
    assert data == json.loads(json.dumps(export_durable(rb)))
    [(name, rules)] = data.items()
    assert name == ruleset_name(rb)
    assert set(rules) == set(rb.rules) and all(r["run"] == rid for rid, r in rules.items())
    out = tmp_path / "club.json"
    assert zegama("rules", "export", "--rules", CUSTOM, "-o", out).exit_code == 0
    assert "CLB001" in next(iter(json.loads(out.read_text()).values()))


OTHER_HOST = textwrap.dedent(
    """
    # A durable-rules host that knows nothing of zegama: it loads the exported
    # ruleset and attaches its own actions by name.
    import json, sys
    from durable import engine

    exported = json.load(open(sys.argv[1]))
    asserts = json.load(open(sys.argv[2]))
    cases = json.load(open(sys.argv[3]))
    [(name, rules)] = exported.items()
    fired = {}

    def action_for(rule_id):
        def action(c):
            fact = dict(c.m.items())
            fired.setdefault(c.s.sid, set()).add((rule_id, fact.get("kind"), fact.get("idx")))
            spec = asserts.get(rule_id)
            if spec:
                derived = {"kind": spec["kind"], "source_rule": rule_id}
                derived.update({f: fact[f] for f in spec["copy"] if f in fact})
                c.assert_fact(derived)
        return action

    for rule_id, rule in rules.items():
        rule["run"] = action_for(rule["run"])
    rules["catch_all"] = {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 1000000, "run": lambda c: None}
    host = engine.Host()
    host.register_rulesets({name: rules})
    for i, facts in enumerate(cases):
        host.assert_facts(name, [{**f, "sid": f"s{i}"} for f in facts])
    print(json.dumps([sorted(map(list, fired.get(f"s{i}", ()))) for i in range(len(cases))]))
    """
)


def test_a_fresh_durable_host_fires_the_exported_rules_like_our_engine(rb, tmp_path):
    exported = tmp_path / "ruleset.json"
    assert zegama("rules", "export", "-o", exported).exit_code == 0
    asserts = {rid: {"kind": d.kind, "copy": list(d.copy_fields)} for rid, d in derivations(rb).items()}
    (tmp_path / "asserts.json").write_text(json.dumps(asserts))
    profiles = [yaml.safe_load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
    profiles.append({"runner_id": "q", "races": [
        {"race": "GTWS", "date": "2026-07-01", "distance_km": 21, "dplus_m": 1400,
         "circuit": "golden_trail_series", "position": 5, "finishers": 200},
        {"race": "Nationals", "date": "2026-05-01", "distance_km": 30, "dplus_m": 2000,
         "circuit": "national_championship", "position": 3, "finishers": 90}]})
    edition = select_edition(rb, AS_OF)
    cases = [build_facts(rb, load_profile(p), AS_OF, edition) for p in profiles]
    (tmp_path / "cases.json").write_text(json.dumps(cases, default=str))
    out = subprocess.run(
        [sys.executable, "-c", OTHER_HOST, str(exported), str(tmp_path / "asserts.json"), str(tmp_path / "cases.json")],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert out.returncode == 0, out.stderr
    theirs = [{tuple(x) for x in case} for case in json.loads(out.stdout)]
    ours = [{(m.rule_id, m.fact.get("kind"), m.fact.get("idx")) for m in run_engine(rb, facts)} for facts in cases]
    assert theirs == ours
    assert any(("ELG020", "qualifying_result", 1) in case for case in ours)  # forward chaining was exercised
    assert all(case for case in ours)


# --------------------------------------------------------------------------- assess: JSON in and out

PROFILE = {"runner_id": "ane", "sex": "M", "goal": "compete", "vk_time": "46:00", "weekly_dplus_m": 900}


def test_assess_reads_json_or_yaml_from_stdin_and_writes_a_json_report():
    res = zegama("assess", "-", "--format", "json", "--as-of", AS_OF, input=json.dumps(PROFILE))
    assert res.exit_code == 0, res.output
    report = Report.model_validate_json(res.output)
    assert report.runner_id == "ane" and "UP001" in report.fired_rules
    res_yaml = zegama("assess", "-", "--format", "json", "--as-of", AS_OF, input=yaml.safe_dump(PROFILE))
    assert res_yaml.output == res.output


@pytest.mark.parametrize("args, stdin, kind, code", [
    ([], '{"runner_id": "x", ', "input", 1),                                   # invalid JSON
    ([], "runner_id: [unclosed", "input", 1),                                  # invalid YAML
    ([], '["not", "a", "mapping"]', "invalid_profile", 1),
    ([], '{"runner_id": "x", "vk_time": "4:30", "colour": "red"}', "invalid_profile", 1),
    (["--rules", BROKEN], '{"runner_id": "x"}', "rule_pack", 1),               # bad rule pack
    (["--rules", "/nonexistent/pack"], '{"runner_id": "x"}', "rule_pack", 1),
    (["--edition", "1999"], '{"runner_id": "x"}', "assessment", 1),            # options that cannot work
    (["--as-of", "2031-01-01"], '{"runner_id": "x"}', "assessment", 1),
])
def test_assess_errors_are_json_with_format_json(args, stdin, kind, code):
    res = zegama("assess", "-", "--format", "json", *args, input=stdin)
    assert res.exit_code == code
    body = json.loads(res.output)
    assert set(body) == {"error"} and body["error"]["type"] == kind and body["error"]["message"]


def test_json_error_details():
    res = zegama("assess", "-", "--format", "json", input='{"runner_id": "x", "vk_time": "4:30", "colour": "red"}')
    problems = json.loads(res.output)["error"]["problems"]
    assert {p["field"] for p in problems} == {"vk_time", "colour"}
    res = zegama("assess", "-", "--format", "json", "--rules", BROKEN, input='{"runner_id": "x"}')
    problems = json.loads(res.output)["error"]["problems"]
    assert len(problems) == len(EXPECTED_BROKEN)
    assert {"file", "rule_id", "message"} == set(problems[0])


def test_a_malformed_option_is_a_usage_error():
    res = zegama("assess", "-", "--format", "json", "--as-of", "1 May", input='{"runner_id": "x"}')
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output


def test_the_json_round_trip_through_a_real_shell(tmp_path):
    # What the README shows: a program pipes JSON in and parses the JSON that comes out.
    cmd = [sys.executable, "-m", "assessment", "assess", "-", "--format", "json", "--as-of", AS_OF.isoformat()]
    ok = subprocess.run(cmd, input=json.dumps(PROFILE), capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["schema_version"] == Report.model_fields["schema_version"].default
    bad = subprocess.run(cmd, input='{"runner_id": "x", "vk_time": "4:30"}', capture_output=True, text=True, cwd=ROOT,
                         timeout=120)
    assert bad.returncode == 1 and json.loads(bad.stdout)["error"]["type"] == "invalid_profile"


# --------------------------------------------------------------------------- a custom pack changes a report

def _report(*extra, profile=PROFILE):
    res = zegama("assess", "-", "--format", "json", "--as-of", AS_OF, *extra, input=json.dumps(profile))
    assert res.exit_code == 0, res.output
    return Report.model_validate_json(res.output)


def test_the_custom_pack_changes_the_report():
    builtin, club = _report(), _report("--rules", CUSTOM)
    assert club.pack.name == "club-example" and builtin.pack.name == "zegama"
    # The club's own VK target (47:51 for a man who competes, on its slower VK) clears a 46:00 VK ...
    assert "UP001" in builtin.fired_rules and "UP001" not in club.fired_rules
    # ... and the club's rule fires on 900 m of weekly climbing.
    assert "CLB001" in club.fired_rules and "CLB001" not in builtin.fired_rules
    finding = next(f for f in club.findings if f.rule_id == "CLB001")
    assert finding.pillar == "race_specificity" and "900 m a week" in finding.message
    source = club.source(club.target_info("club_min_weekly_dplus_m").sources[0])
    assert finding.targets[0].shown == "1500 m" and source.url.startswith("https://example.org")


def test_an_overridden_target_changes_a_finding_that_fires_in_both():
    slow = {**PROFILE, "vk_time": "50:00"}
    builtin, club = _report(profile=slow), _report("--rules", CUSTOM, profile=slow)
    b = next(f for f in builtin.findings if f.rule_id == "UP001")
    c = next(f for f in club.findings if f.rule_id == "UP001")
    assert (b.targets[0].shown, c.targets[0].shown) == ("44:59", "47:51")
    assert c.severity < b.severity
    assert any(club.source(k).title.startswith("Example club: VK time trials") for k in club.target_info("vk_time").sources)
