"""Every rule's stored examples, on the real engine and on the plain-Python evaluator."""

import pytest

from assessment.pipeline import default_rulebase
from assessment.rules.examples import run_examples

RULE_IDS = sorted(default_rulebase().rules)


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_examples_on_durable_rules(rb, rule_id):
    results = run_examples(rb, [rule_id])
    assert {r.expectation for r in results} == {"fires", "does_not_fire"}
    bad = [r.detail for r in results if not r.ok]
    assert not bad, bad


def test_rule_examples_agree_on_the_reference_evaluator(rb):
    bad = [r for r in run_examples(rb, engine="reference") if not r.ok]
    assert not bad, bad


def test_a_wrong_expectation_is_caught(rb, tmp_path):
    import shutil

    import yaml

    from assessment.rules.rulebase import builtin_root, load_rulebase

    dest = tmp_path / "zegama"
    shutil.copytree(builtin_root() / "rules" / "zegama", dest)
    path = dest / "rules" / "uphill.yaml"
    doc = yaml.safe_load(path.read_text())
    up001 = next(r for r in doc["rules"] if r["id"] == "UP001")
    up001["examples"]["does_not_fire"].append({"profile": {"runner_id": "t", "sex": "M", "vk_time": "59:00"}})
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    results = run_examples(load_rulebase(dest), ["UP001"])
    assert [r.ok for r in results].count(False) == 1
