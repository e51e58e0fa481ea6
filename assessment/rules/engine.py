"""The only module that talks to durable-rules.

durable-rules is unmaintained (2.0.28, 2020) and has traps we measured; this
adapter contains them and ``tests/test_engine_adapter.py`` checks its contract:

* facts, not events: every fact stays visible to every rule of the session;
* one ``sid`` per assessment, deleted in ``finally``: a ruleset holds at most
  1,024 live sessions, then raises ``MemoryError``;
* exceptions raised while handling a firing are collected and re-raised as
  :class:`EngineError` once the session is drained and deleted;
* registration never mutates the caller's definition: the compiled JSON stays
  pure data;
* a fact that no rule matches raises ``MessageNotHandledException`` (for a
  whole batch of facts, before any action runs), and deleting a session that
  holds one crashes the process: every ruleset gets a sink rule that fires,
  last, on every fact (see :func:`sink_rule`);
* ``Host()`` starts two threads that never stop: the fast path below needs no
  host at all; the host path creates one per process, lazily, behind a lock.

Two ways to drive the same Rete network (durable-rules' native engine):

``run``
    The fast path, used by :func:`assessment.pipeline.assess`. It asserts the
    facts in one call and then drains the session's queued firings with the
    engine's own primitives (``start_action_for_state`` and
    ``complete_and_start_action``), parsing each firing's fact once. It skips
    what durable-rules' Python host does around every firing and we never use:
    a ``Closure``, two clock reads, a JSON round trip of the session state
    (``update_state``) and a callback. About three times faster (see the
    docs/performance.md).
``run_via_host``
    The straightforward path through ``durable.engine.Host``, with a Python
    callback per firing. Kept as the reference the fast path is tested
    against (``tests/test_performance_paths.py``).
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from dataclasses import dataclass
from typing import Any, Callable

SINK_RULE = "__sink__"
# json.dumps(x, ensure_ascii=False) as durable-rules' host writes facts, without a new encoder per call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode
_SINK_PREFIX = '{"' + SINK_RULE + '":'

# Result codes of the native engine's assert calls (durable's rules.h).
_NOT_HANDLED = 1
_OBSERVED = 2


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

    def derive(self, fact: dict) -> dict:
        """The fact this rule asserts when it fires on ``fact``."""
        derived = {"kind": self.kind, "source_rule": self.source_rule}
        derived.update({f: fact[f] for f in self.copy_fields if f in fact})
        return derived


def sink_rule() -> dict:
    """A rule every fact fires, last, so that no fact is ever left unhandled.

    A fact that no rule matches makes the engine skip the batch's actions, and
    deleting such a session later crashes the process (segmentation fault, seen
    with 2.0.28). A join that never completes is not enough either: deleting a
    session with a half-joined fact crashes the same way. A rule that fires on
    every fact costs one firing per fact and is safe.
    """
    return {"all": [{"m": {"$ex": {"kind": 1}}}], "pri": 1_000_000}


@dataclass
class _Ruleset:
    digest: str
    definition: dict[str, dict]
    derivations: dict[str, Derivation]
    handle: int | None = None  # the native engine's handle (fast path)
    on_host: bool = False  # registered on the host too (reference path)


class _Session:
    """What one assessment collects while its firings are handled."""

    __slots__ = ("matches", "seen", "errors", "derived")

    def __init__(self) -> None:
        self.matches: list[Match] = []
        self.seen: set = set()
        self.errors: list[BaseException] = []
        self.derived: list[dict] = []

    def fired(self, rule_id: str, fact: dict, key: Any, derivation: Derivation | None) -> None:
        # durable-rules expands `$or` into one path per branch, so a fact that
        # satisfies two branches fires the rule twice: keep one.
        if key in self.seen:
            return
        self.seen.add(key)
        self.matches.append(Match(rule_id, fact))
        if derivation is not None:
            self.derived.append(derivation.derive(fact))


class _Engine:
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._host = None
        self._rulesets: dict[str, _Ruleset] = {}
        self._sids = itertools.count(1)
        self._sessions: dict[str, _Session] = {}

    # ------------------------------------------------------------------ registration

    def register(self, name: str, definition: dict[str, dict], derivations: dict[str, Derivation]) -> None:
        """Register a compiled ruleset once per process under ``name``.

        Registering the same name with a different definition is refused:
        durable-rules cannot replace a ruleset, so callers must version names.
        """
        import durable_rules_engine as native  # imported late: importing this module loads nothing

        digest = json.dumps(definition, sort_keys=True)
        with self._lock:
            known = self._rulesets.get(name)
            if known is not None:
                if known.digest != digest:
                    raise EngineError(f"ruleset {name!r} is already registered with another definition")
                return
            live = copy.deepcopy(definition)
            live[SINK_RULE] = sink_rule()
            rs = _Ruleset(digest, copy.deepcopy(definition), dict(derivations))
            rs.handle = native.create_ruleset(name, json.dumps(live, ensure_ascii=False))
            self._rulesets[name] = rs

    def _ruleset(self, name: str) -> _Ruleset:
        try:
            return self._rulesets[name]
        except KeyError:
            raise EngineError(f"ruleset {name!r} is not registered") from None

    # ------------------------------------------------------------------ the fast path

    def run(self, name: str, facts: list[dict]) -> list[Match]:
        """Assert all facts of one assessment in a fresh session; return the firings."""
        import durable_rules_engine as native

        with self._lock:
            rs = self._ruleset(name)
            handle = rs.handle
            sid = f"a{next(self._sids)}"
            session = self._sessions[sid] = _Session()
            try:
                if facts:
                    code, state = native.assert_facts(handle, _to_json([{**f, "sid": sid} for f in facts]))
                    if code == _NOT_HANDLED:  # the sink rule makes this impossible
                        raise EngineError("the rule engine did not handle the facts")
                    self._drain(native, rs, sid, state, session)  # even on error: never delete a busy session
                    if code == _OBSERVED:
                        raise EngineError("the rule engine was given the same fact twice")
                if session.errors:
                    first = session.errors[0]
                    raise EngineError(f"a rule action failed: {first!r}") from first
                return session.matches
            finally:
                del self._sessions[sid]
                try:
                    native.delete_state(handle, sid)
                except Exception:
                    pass  # a session that never got state has nothing to delete

    def _drain(self, native, rs: _Ruleset, sid: str, state: int, session: _Session) -> None:
        """Handle every queued firing of the session, including those of derived facts.

        Hot loop (about twenty firings an assessment): the rule id is read from
        the message's first key and a fact's JSON is parsed once however many
        rules it fires; the facts of matches are shared, to be read only.
        """
        handle = rs.handle
        derivations = rs.derivations
        seen = session.seen
        matches = session.matches
        complete = native.complete_and_start_action
        parsed: dict[str, dict] = {}
        started = native.start_action_for_state(handle, state)
        message = started[1] if started else None
        while message:
            if not message.startswith(_SINK_PREFIX):
                try:
                    rule_id, body = _split(message)
                    key = (rule_id, body)
                    # durable-rules expands `$or` into one path per branch, so a
                    # fact that satisfies two branches fires the rule twice: keep one.
                    if key not in seen:
                        seen.add(key)
                        fact = parsed.get(body)
                        if fact is None:
                            fact = parsed[body] = json.loads(body)["m"]
                            fact.pop("sid", None)
                        matches.append(Match(rule_id, fact))
                        derivation = derivations.get(rule_id)
                        if derivation is not None:
                            item = derivation.derive(fact)
                            item["sid"] = sid
                            code, _ = native.assert_fact(handle, _to_json(item))
                            if code == _OBSERVED:
                                raise EngineError(f"derived fact already known: {item}")
                except BaseException as exc:  # finish the session first, then raise (see run)
                    session.errors.append(exc)
            message = complete(handle, state)

    # ------------------------------------------------------------------ the host path

    def _get_host(self):
        if self._host is None:
            from durable import engine as durable_engine  # imported late: no threads at import

            self._host = durable_engine.Host()
        return self._host

    def run_via_host(self, name: str, facts: list[dict]) -> list[Match]:
        """The same as :meth:`run` through durable-rules' ``Host``: a callback per firing."""
        from durable import engine as durable_engine

        with self._lock:
            rs = self._ruleset(name)
            host = self._get_host()
            host_name = f"{name}~host"
            if not rs.on_host:
                live = copy.deepcopy(rs.definition)
                for rule_id, rule in live.items():
                    rule["run"] = self._callback(rule_id, rs.derivations.get(rule_id))
                live[SINK_RULE] = {**sink_rule(), "run": lambda c: None}
                host.register_rulesets({host_name: live})
                rs.on_host = True
            sid = f"a{next(self._sids)}"
            self._sessions[sid] = _Session()
            payload = [{**f, "sid": sid} for f in facts]
            try:
                try:
                    state = host.assert_facts(host_name, payload) if payload else None
                except durable_engine.MessageNotHandledException:
                    state = None
                errors = self._sessions[sid].errors
                if errors:
                    raise EngineError(f"a rule action failed: {errors[0]!r}") from errors[0]
                if isinstance(state, dict) and state.get("exception"):
                    raise EngineError(f"the rule engine reported: {state['exception']}")
                return self._sessions[sid].matches
            finally:
                del self._sessions[sid]
                try:
                    host.delete_state(host_name, sid)
                except Exception:
                    pass

    def _callback(self, rule_id: str, derivation: Derivation | None) -> Callable[[Any], None]:
        # durable-rules decides sync/async from the argument count: exactly one.
        def action(c):
            session = self._sessions[c.s.sid]
            try:
                fact = dict(c._m["m"]) if "m" in c._m else {}
                fact.pop("sid", None)
                session.fired(rule_id, fact, (rule_id, json.dumps(fact, sort_keys=True, default=str)), derivation)
                while session.derived:
                    c.assert_fact(session.derived.pop(0))
            except BaseException as exc:  # the engine would swallow it: keep it for run_via_host()
                session.errors.append(exc)
                raise

        return action

    def live_sessions(self) -> int:
        return len(self._sessions)


def _split(message: str) -> tuple[str, str]:
    """``{"RULE":{"m":{...}}}`` -> ``("RULE", '{"m":{...}}')`` without parsing the fact."""
    end = message.find('":', 2)
    if message.startswith('{"') and end > 2 and message.endswith("}"):
        rule_id, body = message[2:end], message[end + 2:-1]
        if body.startswith('{"m":') and '"' not in rule_id:
            return rule_id, body
    # Not the shape we know: parse it all (slower, same result).
    (rule_id, payload), = json.loads(message).items()
    return rule_id, json.dumps(payload)


_ENGINE: _Engine | None = None
_ENGINE_LOCK = threading.Lock()


def get_engine() -> _Engine:
    """The process's single engine (rulesets registered once, host started on first use)."""
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
