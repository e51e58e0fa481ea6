"""The contract of our durable-rules adapter, and the engine traps it exists for."""

import subprocess
import sys
import textwrap

import pytest

from assessment.rules import engine as adapter
from assessment.pipeline import assess, build_facts, run_engine, select_edition
from assessment.rules.compiler import compile_rules, derivations
from assessment.model.profile import load_profile
from tests.conftest import AS_OF, ROOT


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_session_cap_is_real_and_we_stay_under_it(rb):
    # The trap: without deleting state, the 1,025th live session of a ruleset fails.
    raw = run_python(
        """
        import os, threading

        # Host() starts timer threads that dispatch the ruleset concurrently with
        # this loop; near the cap that race can crash the process (seen in CI),
        # so the timers are kept from starting: the cap is what is measured here.
        class NoTimer:
            def __init__(self, *a, **k):
                self.daemon = True
            def start(self):
                pass
            def cancel(self):
                pass

        threading.Timer = NoTimer
        from durable import engine
        h = engine.Host()
        h.register_rulesets({"cap": {"r": {"all": [{"m": {"kind": "x"}}], "run": lambda c: None}}})
        for i in range(1100):
            try:
                h.assert_fact("cap", {"kind": "x", "sid": str(i)})
            except MemoryError:
                os.write(1, f"MemoryError at {i}\\n".encode())
                break
        os._exit(0)
        """
    )
    assert "MemoryError at 1024" in raw.stdout, raw.stderr
    # Our adapter deletes every session in `finally`: 1,500 assessments in one process are fine.
    eng = adapter.get_engine()
    profile = {"runner_id": "cap", "vk_time": "50:00"}
    for i in range(1500):
        assess(profile, as_of=AS_OF, rulebase=rb)
    assert eng.live_sessions() == 0


def test_facts_are_seen_by_every_rule_not_consumed_by_the_first():
    eng = adapter.get_engine()
    rules = {
        "A001": {"all": [{"m": {"$and": [{"kind": "f"}, {"$gt": {"x": 1}}]}}], "pri": 1},
        "A002": {"all": [{"m": {"$and": [{"kind": "f"}, {"$gt": {"x": 2}}]}}], "pri": 2},
    }
    eng.register("adapter-facts", rules, {})
    fired = sorted(m.rule_id for m in eng.run("adapter-facts", [{"kind": "f", "x": 5}]))
    assert fired == ["A001", "A002"]
    # As events, the first rule would consume the message and the second never fire.
    raw = run_python(
        """
        from durable import engine
        fired = []
        h = engine.Host()
        h.register_rulesets({"ev": {
            "A001": {"all": [{"m": {"$gt": {"x": 1}}}], "pri": 1, "run": lambda c: fired.append("A001")},
            "A002": {"all": [{"m": {"$gt": {"x": 2}}}], "pri": 2, "run": lambda c: fired.append("A002")}}})
        h.post("ev", {"x": 5, "sid": "1"})
        print(fired)
        """
    )
    assert raw.stdout.strip() == "['A001']", raw.stderr


def test_exceptions_inside_actions_are_re_raised(monkeypatch):
    eng = adapter.get_engine()
    eng.register("adapter-boom", {"B001": {"all": [{"m": {"kind": "boom"}}], "pri": 1}}, {})

    def explode(*args, **kwargs):
        raise ValueError("broken action")

    monkeypatch.setattr(adapter, "Match", explode)
    with pytest.raises(adapter.EngineError, match="broken action"):
        eng.run("adapter-boom", [{"kind": "boom"}])
    monkeypatch.undo()
    assert eng.live_sessions() == 0
    assert [m.rule_id for m in eng.run("adapter-boom", [{"kind": "boom"}])] == ["B001"]


def test_registration_does_not_mutate_the_compiled_pack(rb):
    compiled = compile_rules(rb)
    before = repr(compiled)
    adapter.get_engine().register("adapter-copy", compiled, derivations(rb))
    assert repr(compiled) == before


def test_a_name_cannot_be_reused_for_another_definition():
    eng = adapter.get_engine()
    eng.register("adapter-name", {"N001": {"all": [{"m": {"kind": "n"}}], "pri": 1}}, {})
    eng.register("adapter-name", {"N001": {"all": [{"m": {"kind": "n"}}], "pri": 1}}, {})  # same: fine
    with pytest.raises(adapter.EngineError, match="already registered"):
        eng.register("adapter-name", {"N001": {"all": [{"m": {"kind": "other"}}], "pri": 1}}, {})


def test_unmatched_facts_and_none_values_are_harmless(rb):
    eng = adapter.get_engine()
    eng.register("adapter-sink", {"S001": {"all": [{"m": {"kind": "wanted"}}], "pri": 1}}, {})
    for _ in range(50):
        assert eng.run("adapter-sink", [{"kind": "unwanted", "y": 1}]) == []
    facts = build_facts(rb, load_profile({"runner_id": "n", "age": None}), AS_OF, select_edition(rb, AS_OF))
    assert all(v is not None for f in facts for v in f.values())


def test_forward_chaining_derives_facts_other_rules_consume(rb):
    profile = load_profile(
        {"runner_id": "c", "races": [{"race": "GTWS", "date": "2026-07-01", "distance_km": 21, "dplus_m": 1400,
                                       "circuit": "golden_trail_series", "position": 5, "finishers": 200}]}
    )
    facts = build_facts(rb, profile, AS_OF, select_edition(rb, AS_OF))
    matches = run_engine(rb, facts)
    chained = [m for m in matches if m.rule_id == "ELG020"]
    assert chained and chained[0].fact["kind"] == "qualifying_result"
    assert chained[0].fact["source_rule"] == "ELG010"


def test_one_host_per_process_and_no_threads_at_import():
    out = run_python(
        """
        import threading
        base = threading.active_count()
        import assessment, assessment.rules.engine, assessment.pipeline
        after_import = threading.active_count()
        from assessment import assess
        for i in range(20):
            assess({"runner_id": str(i)}, as_of="2026-12-01")
        fast = threading.active_count()
        for i in range(20):
            assess({"runner_id": str(i)}, as_of="2026-12-01", engine="durable-host")
        print(base, after_import, fast, threading.active_count())
        """
    )
    base, after_import, after_fast, after_host = map(int, out.stdout.split())
    assert after_import == base, out.stderr
    assert after_fast == base  # the fast path drives the native engine: no host, no thread
    assert after_host - base == 2  # the one host's two timer threads, not two per assessment
