"""`explain`: why a rule did or did not fire, value by value, and always in agreement with assess()."""

import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings

from assessment import assess
from assessment.cli.main import main
from assessment.rules.explain import ExplainError, explain, to_text
from tests.conftest import AS_OF, ROOT
from tests.test_concurrency import profiles

CUSTOM = str(ROOT / "examples" / "custom_pack")
GTWS = {"race": "GTWS race", "date": "2026-07-10", "distance_km": 21, "dplus_m": 1400,
        "circuit": "golden_trail_series", "position": 20, "finishers": 300}
NATIONALS = {"race": "Nationals", "date": "2026-06-10", "distance_km": 21, "dplus_m": 1400,
             "circuit": "national_championship", "position": 150, "finishers": 300}


def leaves(node):
    if node.kind == "leaf":
        yield node
    for child in node.children:
        yield from leaves(child)


def test_a_rule_that_fires_shows_value_operator_and_target_with_sources(rb):
    e = explain({"runner_id": "a", "sex": "M", "goal": "compete", "vk_time": "48:00"}, "UP001", as_of=AS_OF)
    assert e.fired and e.engine_fired
    [trace] = e.traces
    [leaf] = leaves(trace.tree)
    assert (leaf.field, leaf.value, leaf.display, leaf.op, leaf.result) == ("vk_time", 48.0, "48:00", "gt", True)
    op = leaf.operand
    assert (op.kind, op.name) == ("param", "vk_time")
    # UP001 compares with the target widened by the VK's 2% tolerance, and says so
    target = rb.target("vk_time", {"goal": "compete", "sex": "M"})
    assert op.value == pytest.approx(target * 1.02)
    assert op.display.startswith(f"{rb.format_param('vk_time', target)} + its 2% tolerance = "
                                 f"{rb.format_param('vk_time', op.value)}") and "goal compete, sex M" in op.display
    assert [s["key"] for s in op.sources] == rb.parameters["vk_time"].sources + ["hopkins2001"]
    text = to_text(e)
    assert "[true]    vk_time = 48:00  >  target vk_time = 44:59 + its 2% tolerance = 45:53 (for goal compete, sex M)" in text
    assert "Result: UP001 fires." in text and "agrees" in text


def test_false_and_unknown_are_told_apart():
    fast = explain({"runner_id": "a", "sex": "M", "vk_time": "34:00"}, "UP001", as_of=AS_OF)
    assert not fast.fired and fast.traces[0].result is False and fast.unknown_fields == []
    unknown = explain({"runner_id": "a"}, "UP001", as_of=AS_OF)
    assert not unknown.fired and unknown.traces[0].result is None
    assert unknown.unknown_fields == ["vk_time"]
    text = to_text(unknown)
    assert "[unknown] vk_time = unknown" in text
    assert "Unknown: vk_time" in text and "does not fire" in text


def test_trees_show_every_branch_in_three_valued_logic():
    slow = {**NATIONALS, "time": "3:00:00", "winner_time": "2:00:00"}  # 50% of the field, 1.5 x the winner
    unplaced = {**NATIONALS, "position": None, "finishers": None}          # no place, no times
    e = explain({"runner_id": "a", "races": [GTWS, slow, NATIONALS, unplaced]}, "ELG010", as_of=AS_OF)
    assert [t.subject for t in e.traces] == [
        "race 1: GTWS race (2026-07-10)", "race 2: Nationals (2026-06-10)", "race 3: Nationals (2026-06-10)",
        "race 4: Nationals (2026-06-10)"]
    # GTWS fires. With the place known the place decides: the time behind the winner is not used,
    # so both placed results are false, times or not. Without a place and without times: unknown.
    assert [t.result for t in e.traces] == [True, False, False, None]
    assert e.fired
    for trace in (e.traces[1], e.traces[2]):
        tree = trace.tree
        assert tree.kind == "all" and tree.children[-1].kind == "any"
        by_field = {leaf.field: leaf for leaf in leaves(tree)}
        assert by_field["percentile"].result is False and by_field["percentile"].value == 0.5
        assert by_field["recognised_circuit"].result is True
        assert tree.children[-1].result is False
    body = json.loads(json.dumps(e.to_dict()))
    assert [t["tree"]["result"] for t in body["traces"]] == ["true", "false", "false", "unknown"]


def test_rules_on_derived_facts_and_missing_facts():
    chained = explain({"runner_id": "a", "races": [GTWS]}, "ELG020", as_of=AS_OF)
    assert chained.fired and chained.traces[0].subject.startswith("qualifying_result from ELG010")
    none = explain({"runner_id": "a"}, "ELG020", as_of=AS_OF)
    assert not none.fired and none.traces == [] and "ELG010" in none.note
    no_races = explain({"runner_id": "a"}, "ELG010", as_of=AS_OF)
    assert not no_races.fired and no_races.traces == [] and "has none" in no_races.note


def test_a_field_reference_and_a_not_are_explained(rb):
    # A hand-made condition: the pack need not use `not` or field references for these to work.
    from assessment.rules import conditions as C
    from assessment.rules.explain import _trace

    cond = C.parse({"all": [{"not": {"field": "uses_poles", "eq": True}}, {"field": "aet_hr", "lt": {"field": "threshold_hr"}}]})
    fact = {"kind": "runner", "uses_poles": False, "aet_hr": 150, "threshold_hr": 170}
    node = _trace(rb, cond, fact)
    assert node.result is True
    negation, compare = node.children
    assert negation.kind == "not" and negation.result is True and negation.children[0].result is False
    assert compare.operand.kind == "field" and compare.operand.name == "threshold_hr" and compare.operand.value == 170


def test_unknown_rule():
    with pytest.raises(ExplainError):
        explain({"runner_id": "a"}, "ZZ999", as_of=AS_OF)


@settings(max_examples=20)
@given(profiles())
def test_explain_agrees_with_assess_for_every_rule(rb, profile):
    fired = set(assess(profile, as_of=AS_OF).fired_rules)
    for rule_id in rb.rules:
        e = explain(profile, rule_id, as_of=AS_OF, rulebase=rb, check_engine=False)
        assert e.fired == (rule_id in fired), rule_id


# --------------------------------------------------------------------------- CLI

def run(*args, input=None):
    return CliRunner().invoke(main, ["explain", *map(str, args)], input=input)


def test_explain_command(tmp_path):
    profile = tmp_path / "ane.yaml"
    profile.write_text('runner_id: ane\nsex: M\nvk_time: "46:00"\n')
    res = run(profile, "up001", "--as-of", AS_OF)
    assert res.exit_code == 0, res.output
    assert "target vk_time = 44:59" in res.output and "Result: UP001 fires." in res.output
    res = run(profile, "UP001", "--as-of", AS_OF, "--rules", CUSTOM)
    assert "[false]   vk_time = 46:00  >  target vk_time = 47:51" in res.output
    assert "Result: UP001 does not fire." in res.output
    body = json.loads(run("-", "DH001", "--as-of", AS_OF, "--format", "json", input='{"runner_id": "x"}').output)
    assert body["fired"] is False and body["unknown_fields"] == ["downhill_confidence"]
    assert body["traces"][0]["tree"]["result"] == "unknown"


def test_explain_command_errors(tmp_path):
    res = run("-", "ZZ999", "--format", "json", input='{"runner_id": "x"}')
    assert res.exit_code == 1 and json.loads(res.output)["error"]["type"] == "unknown_rule"
    res = run("-", "UP001", "--format", "json", input='{"runner_id": "x", "age": 3}')
    assert res.exit_code == 1 and json.loads(res.output)["error"]["type"] == "invalid_profile"
    res = run(tmp_path / "missing.yaml", "UP001")
    assert res.exit_code == 1 and "file not found" in res.output
