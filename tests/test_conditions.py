"""The condition language: parsing, and the compiler checked against plain Python."""

import hashlib
import json

import pytest
from hypothesis import given, settings, strategies as st

from assessment.rules import conditions as C
from assessment.rules.engine import get_engine


def test_parse_builds_a_tree():
    cond = C.parse({"all": [{"field": "a", "gt": 1}, {"not": {"field": "b", "in": ["x", "y"]}}]})
    assert isinstance(cond, C.All)
    assert C.fields_read(cond) == ["a", "b"]


@pytest.mark.parametrize(
    "raw, words",
    [
        ({"field": "a", "between": [1, 2]}, "unknown operator 'between'"),
        ({"field": "a", "gt": 1, "lt": 3}, "exactly one operator"),
        ({"field": "a", "in": "x"}, "non-empty list"),
        ({"field": "a", "exists": "yes"}, "true or false"),
        ({"field": "a", "eq": None}, "null never matches"),
        ({"field": "a", "eq": {"param": 3}}, "operand mapping"),
        ({"all": []}, "non-empty list"),
        ({"all": [{"field": "a", "eq": 1}], "any": []}, "cannot be mixed"),
        ({"whatever": 1}, "expected 'all', 'any', 'not'"),
        ([1, 2], "must be a mapping"),
    ],
)
def test_bad_conditions_are_refused_with_a_path(raw, words):
    with pytest.raises(C.ConditionError, match=words):
        C.parse(raw)


def test_unknown_does_not_fire_even_under_not():
    cond = C.parse({"not": {"field": "a", "lt": 5}})
    no_params = lambda name, fact: None
    assert C.evaluate(cond, {"a": 7}, no_params) is True
    assert C.evaluate(cond, {"a": 3}, no_params) is False
    assert C.evaluate(cond, {}, no_params) is False
    assert C.evaluate3(cond, {}, no_params) is None


# --------------------------------------------------------------------------- differential test

FIELDS = ["a", "b", "c"]
values = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 1.5]))


@st.composite
def leaves(draw):
    field = draw(st.sampled_from(FIELDS))
    op = draw(st.sampled_from(C.OPERATORS))
    if op == "exists":
        return {"field": field, "exists": draw(st.booleans())}
    if op in ("in", "not_in"):
        return {"field": field, op: draw(st.lists(st.integers(-3, 3), min_size=1, max_size=3))}
    operand = draw(st.one_of(values, st.sampled_from([{"field": f} for f in FIELDS])))
    return {"field": field, op: operand}


conditions = st.recursive(
    leaves(),
    lambda inner: st.one_of(
        st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
        st.builds(lambda x: {"not": x}, inner),
    ),
    max_leaves=6,
)
facts = st.fixed_dictionaries({}, optional={f: values for f in FIELDS})


def _render(operand):
    if isinstance(operand, C.Lit):
        return operand.value
    return {"$m": operand.field}


def _fires_on_engine(raw_cond, fact_list):
    cond = C.parse(raw_cond)
    expr = C.to_durable(cond, _render)
    rules = {"R001": {"all": [{"m": {"$and": [{"kind": "t"}, expr]}}], "pri": 1}}
    name = "cond-" + hashlib.sha256(json.dumps(rules, sort_keys=True).encode()).hexdigest()[:16]
    engine = get_engine()
    engine.register(name, rules, {})
    out = []
    for i, fact in enumerate(fact_list):
        matches = engine.run(name, [{"kind": "t", "i": i, **fact}])
        out.append(any(m.rule_id == "R001" for m in matches))
    return out


@settings(max_examples=300)
@given(conditions, st.lists(facts, min_size=1, max_size=6))
def test_compiled_conditions_agree_with_plain_python(raw_cond, fact_list):
    cond = C.parse(raw_cond)
    expected = [C.evaluate(cond, f, lambda n, fact: None) for f in fact_list]
    assert _fires_on_engine(raw_cond, fact_list) == expected


def test_describe_reads_like_words():
    text = C.describe(C.parse({"all": [{"field": "vk_time", "gt": {"param": "vk_time"}}, {"field": "x", "exists": False}]}))
    assert "vk_time > target vk_time" in text and "x is unknown" in text
