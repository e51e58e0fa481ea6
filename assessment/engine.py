"""The only module that talks to durable-rules.

durable-rules is unmaintained (2.0.28, 2020) and has traps we measured; this
adapter contains them and ``tests/test_engine_adapter.py`` checks its contract:

* facts, not events: every fact stays visible to every rule of the session;
* one ``sid`` per assessment, deleted in ``finally``: a ruleset holds at most
  1,024 live sessions, then raises ``MemoryError``;
* exceptions raised inside actions are swallowed into the session state by the
  engine: we look for them and re-raise them as :class:`EngineError`;
* registration mutates the definition: we register a deep copy, with actions
  attached as callables, so the compiled JSON stays pure data;
* a fact that no rule matches raises ``MessageNotHandledException`` (for a
  whole batch of facts, before any action runs): every ruleset gets a sink rule
  that makes any fact "handled" without ever firing;
* each ``Host()`` starts two threads that never stop: one host per process,
  created lazily (importing this module starts nothing), used behind a lock.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, Callable

SINK_RULE = "__sink__"


class EngineError(RuntimeError):
    """The rule engine failed; the message carries what the engine said."""


@dataclass(frozen=True)
class Match:
    """One rule firing: which rule, on which fact."""

    rule_id: str
    fact: dict


@dataclass(frozen=True)
class Derivation:
    """A fact a rule asserts when it fires (forward chaining)."""

    kind: str
    copy_fields: tuple[str, ...]
    source_rule: str


def sink_rule() -> dict:
    """A rule every fact fires, last, so that no fact is ever left unhandled.

    A fact that no rule matches makes the engine skip the batch's actions, and
    deleting such a session later crashes the process (segmentation fault, seen
    with 2.0.28). A join that never completes is not enough either: deleting a
    session with a half-joined fact crashes the same way. A rule that fires on
    every fact costs one callback per fact and is safe.
    """
    return {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 1_000_000}


class _Engine:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._host = None
        self._registered: dict[str, str] = {}  # ruleset name -> digest of its definition
        self._sids = itertools.count(1)
        self._matches: dict[str, list[Match]] = {}
        self._errors: dict[str, list[BaseException]] = {}
        self._seen: dict[str, set] = {}

    def _get_host(self):
        if self._host is None:
            from durable import engine as durable_engine  # imported late: no threads at import

            self._host = durable_engine.Host()
        return self._host

    def register(self, name: str, definition: dict[str, dict], derivations: dict[str, Derivation]) -> None:
        """Register a compiled ruleset once per process under ``name``.

        Registering the same name with a different definition is refused:
        durable-rules cannot replace a ruleset, so callers must version names.
        """
        digest = json.dumps(definition, sort_keys=True)
        with self._lock:
            if name in self._registered:
                if self._registered[name] != digest:
                    raise EngineError(f"ruleset {name!r} is already registered with another definition")
                return
            live = copy.deepcopy(definition)
            for rule_id, rule in live.items():
                rule["run"] = self._action(rule_id, derivations.get(rule_id))
            live[SINK_RULE] = {**sink_rule(), "run": self._action(SINK_RULE, None)}
            self._get_host().register_rulesets({name: live})
            self._registered[name] = digest

    def _action(self, rule_id: str, derivation: Derivation | None) -> Callable[[Any], None]:
        # durable-rules decides sync/async from the argument count: exactly one.
        if rule_id == SINK_RULE:
            return lambda c: None

        def action(c):
            sid = c.s.sid
            try:
                fact = dict(c._m["m"]) if "m" in c._m else {}
                fact.pop("sid", None)
                # durable-rules expands `$or` into one path per branch, so a fact
                # that satisfies two branches fires the rule twice: keep one.
                key = (rule_id, json.dumps(fact, sort_keys=True, default=str))
                seen = self._seen.setdefault(sid, set())
                if key in seen:
                    return
                seen.add(key)
                self._matches.setdefault(sid, []).append(Match(rule_id, fact))
                if derivation is not None:
                    derived = {"kind": derivation.kind, "source_rule": derivation.source_rule}
                    derived.update({f: fact[f] for f in derivation.copy_fields if f in fact})
                    c.assert_fact(derived)
            except BaseException as exc:  # the engine would swallow it: keep it for run()
                self._errors.setdefault(sid, []).append(exc)
                raise

        return action

    def run(self, name: str, facts: list[dict]) -> list[Match]:
        """Assert all facts of one assessment in a fresh session; return the firings."""
        from durable import engine as durable_engine

        with self._lock:
            host = self._get_host()
            sid = f"a{next(self._sids)}"
            payload = [{**f, "sid": sid} for f in facts]
            try:
                try:
                    state = host.assert_facts(name, payload) if payload else None
                except durable_engine.MessageNotHandledException:
                    state = None
                errors = self._errors.pop(sid, [])
                if errors:
                    raise EngineError(f"a rule action failed: {errors[0]!r}") from errors[0]
                if isinstance(state, dict) and state.get("exception"):
                    raise EngineError(f"the rule engine reported: {state['exception']}")
                return list(self._matches.get(sid, []))
            finally:
                self._matches.pop(sid, None)
                self._errors.pop(sid, None)
                self._seen.pop(sid, None)
                try:
                    host.delete_state(name, sid)
                except Exception:
                    pass  # a session that never got state has nothing to delete

    def live_sessions(self) -> int:
        return len(self._matches)


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine() -> _Engine:
    """The process's single engine (one durable Host, started on first use)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = _Engine()
        return _ENGINE


def _reset_after_fork() -> None:
    # A forked child inherits the parent's host without its threads and maybe a
    # held lock: give it a fresh engine of its own.
    global _ENGINE, _ENGINE_LOCK
    _ENGINE = None
    _ENGINE_LOCK = threading.Lock()


if hasattr(__import__("os"), "register_at_fork"):
    __import__("os").register_at_fork(after_in_child=_reset_after_fork)
