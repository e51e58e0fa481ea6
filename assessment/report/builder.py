"""Building the gap report from the engine's firings.

Two builders give the same report: :func:`build_report_plain` constructs the
pydantic models one by one (the straightforward reference), and
:func:`build_report_data` assembles plain data from per-pack cached parts and
lets pydantic validate it once (:func:`build_report`), which is what
``assess()`` and the batch use. ``tests/test_performance_paths.py`` keeps them
equal.
"""

from __future__ import annotations

import datetime as dt
import os
import string
import threading
from typing import Any

from ..rules.engine import Match
from ..model.profile import Profile
from .model import (
    Edition,
    Eligibility,
    EligibilityReason,
    Emphasis,
    EmphasisPart,
    Evidence,
    Finding,
    Lottery,
    MissingTest,
    PackInfo,
    SCHEMA_VERSION,
    Report,
    Route,
    SessionSlot,
    SourceRef,
    Target,
)
from ..rules.rulebase import PILLARS, RuleBase, format_value, value_unit


# --------------------------------------------------------------------------- report

def _sources(rb: RuleBase, keys: list[str]) -> list[SourceRef]:
    return [SourceRef(title=rb.sources[k].title, url=rb.sources[k].url) for k in keys]


def _target(rb: RuleBase, name: str, value: Any) -> Target:
    p = rb.parameters[name]
    return Target(
        name=name,
        value=value,
        display=rb.format_param(name, value),
        unit=p.unit,
        description=p.description,
        derivation=p.derivation,
        confidence=p.confidence,
        sources=_sources(rb, p.sources),
    )


def _severity(rb: RuleBase, cr, fact: dict, target_values: dict[str, Any]) -> float:
    rule = cr.rule
    if rule.kind == "missing":
        return float(rule.severity if rule.severity is not None else rb.scoring["unknown_severity"])
    if rule.gap is not None:
        value = fact.get(rule.gap.field)
        target = target_values.get(rule.gap.target)
        if value is None or not target:
            return 0.0
        rel = (value - target) / target if rule.gap.better == "lower" else (target - value) / target
        return round(min(1.0, max(0.05, rel / rule.gap.full_at)), 2)
    if rule.severity is not None:
        return float(rule.severity)
    return 0.5 if rule.kind == "gap" else 0.0


def _label(severity: float, kind: str) -> str:
    if kind in ("eligibility", "info") or severity == 0:
        return "none"
    return "minor" if severity < 0.34 else "moderate" if severity < 0.67 else "major"


class _Fill(dict):
    """Message placeholders, formatted only when a message asks for them."""

    def __init__(self, rb: RuleBase, fact: dict):
        super().__init__()
        self._rb = rb
        self._fact = fact

    def __missing__(self, key: str) -> str:
        value = self._fact.get(key)
        if key.startswith("target_") and key[7:] in self._rb.parameters:
            return self._rb.format_param(key[7:], value)
        return format_value(key, value)


def _subject(fact: dict) -> str:
    if fact.get("kind") == "runner":
        return "runner"
    if "idx" in fact:
        name = fact.get("race") or "unnamed race"
        date = fact.get("date")
        return f"race {fact['idx']}: {name}" + (f" ({date})" if date else "")
    return fact.get("kind", "fact")


def _finding(rb: RuleBase, m: Match, runner: dict) -> Finding:
    cr = rb.rules[m.rule_id]
    rule = cr.rule
    fact = m.fact
    target_values = {
        name: (runner.get(f"target_{name}") if rb.parameters[name].by else rb.constant(name)) for name in cr.params
    }
    evidence = [
        Evidence(field=f, value=fact.get(f), display=format_value(f, fact.get(f)), unit=value_unit(f))
        for f in cr.fields
        if not f.startswith("target_")
    ]
    targets = [_target(rb, n, v) for n, v in target_values.items()]
    fill = _Fill(rb, fact)
    for n, v in target_values.items():
        fill[f"target_{n}"] = rb.format_param(n, v)
    if targets:
        fill["target"] = targets[0].display
    if evidence:
        fill["value"] = evidence[0].display
    severity = _severity(rb, cr, fact, target_values)
    return Finding(
        rule_id=rule.id,
        title=rule.title,
        pillar=rule.pillar,
        kind=rule.kind,
        severity=severity,
        severity_label=_label(severity, rule.kind),
        outcome=rule.outcome,
        subject=_subject(fact),
        evidence=evidence,
        targets=targets,
        message=rule.message.format_map(fill),
        rationale=rule.rationale,
        prescription=rule.prescription,
        sources=_sources(rb, rule.sources),
    )


def _race_label(fact: dict) -> str:
    parts = [fact.get("race") or "unnamed race"]
    if fact.get("date"):
        parts.append(str(fact["date"]))
    if "percentile" in fact:
        parts.append(format_value("percentile", fact["percentile"]))
    return ", ".join(parts)


def _status(outcomes: set[str]) -> str:
    """A blocking rule wins; then any qualifying result; then any result close to it."""
    if "blocks" in outcomes:
        return "not_eligible"
    if "qualifies" in outcomes:
        return "eligible"
    if "at_risk" in outcomes:
        return "at_risk"
    return "not_eligible"


def _route_applies(route: dict, runner: dict, applies_routes: set[str]) -> bool | None:
    """Does an entry route apply: from its profile field (unknown when unanswered); the draw always does."""
    field = route.get("profile_field")
    if field:
        v = runner.get(field)
        return None if v is None else bool(v) or route["id"] in applies_routes
    return True if route["id"] == "lottery" else None


def _eligibility(rb: RuleBase, matches: list[Match], findings: list[Finding], runner: dict, edition: Edition) -> Eligibility:
    reasons: list[EligibilityReason] = []
    outcomes: set[str] = set()
    applies_routes: set[str] = set()
    for m, f in zip(matches, findings):
        if f.kind != "eligibility":
            continue
        outcomes.add(f.outcome or "")
        used = [_race_label(m.fact)] if m.fact.get("kind") != "runner" and ("race" in m.fact or "idx" in m.fact) else []
        reasons.append(EligibilityReason(rule_id=f.rule_id, outcome=f.outcome or "", message=f.message, results_used=used))
        if f.outcome == "route":
            for route in rb.race.get("entry_routes", []):
                if route.get("profile_field") and route["profile_field"] in {e.field for e in f.evidence}:
                    applies_routes.add(route["id"])
    status = _status(outcomes)

    ed = (rb.race.get("editions") or {}).get(edition.year) or {}
    places = int(ed.get("lottery_places", {}).get("value", 0))
    applicants = int(ed.get("applicants", {}).get("value", 0))
    src_key = ed.get("applicants", {}).get("source", "sport2026")
    odds = round(100 * places / applicants, 2) if applicants else 0.0
    lottery = Lottery(
        edition=edition.year,
        places=places,
        applicants=applicants,
        odds_pct=odds,
        estimated=bool(ed.get("estimated")),
        source=_sources(rb, [src_key])[0],
        note=(
            "Entry is decided by a public draw: about "
            f"{odds:.1f}% of applicants got a lottery place ({places} of {applicants:,}"
            f"{', the 2026 figures' if ed.get('estimated') else ''}). "
            "Public reports found no index or result requirement for the draw; the competitive profile "
            "assessed here is what organisers look for, not a guarantee of a place."
        ),
    )
    routes = []
    for r in rb.race.get("entry_routes", []):
        applies = _route_applies(r, runner, applies_routes)
        routes.append(Route(id=r["id"], label=r["label"], detail=r["detail"], applies=applies, source=_sources(rb, [r["source"]])[0]))

    steps = _next_steps(rb, edition, status, "blocks" in outcomes)
    summary = {
        "eligible": "Your recent results match the competitive profile organisers look for.",
        "at_risk": "Some results come close to the competitive profile, but none fully matches it.",
        "not_eligible": "Nothing in your history matches the competitive profile yet.",
    }[status]
    return Eligibility(status=status, summary=summary, reasons=reasons, routes=routes, lottery=lottery, next_steps=steps)


def _emphases(rb: RuleBase, findings: list[Finding], phase: str) -> list[Emphasis]:
    weights = rb.scoring["phase_weights"][phase]
    out = []
    for pillar in PILLARS:
        best: dict[str, tuple[float, float]] = {}
        for f in findings:
            if f.pillar != pillar or f.kind not in ("gap", "missing"):
                continue
            w = rb.rules[f.rule_id].rule.weight
            if f.rule_id not in best or f.severity > best[f.rule_id][0]:
                best[f.rule_id] = (f.severity, w)
        remaining = 1.0
        parts = []
        for rid in sorted(best):
            sev, w = best[rid]
            share = min(1.0, sev * w)
            parts.append(EmphasisPart(rule_id=rid, severity=sev, weight=w, contribution=round(share * remaining, 3)))
            remaining *= 1 - share
        gap = round(1 - remaining, 3)
        pw = float(weights[pillar])
        out.append(Emphasis(rank=0, pillar=pillar, score=round(100 * gap * pw, 1), gap=gap, phase_weight=pw, breakdown=parts))
    order = {p: i for i, p in enumerate(PILLARS)}
    out.sort(key=lambda e: (-e.score, order[e.pillar]))
    for i, e in enumerate(out, start=1):
        e.rank = i
    return out


def _sessions(rb: RuleBase, phase: str, emphases: list[Emphasis]) -> list[SessionSlot]:
    rank = {e.pillar: e.rank for e in emphases}
    focus = {e.pillar for e in emphases[:2] if e.score > 0}
    slots = [
        SessionSlot(pillar=s["pillar"], session=s["session"], per_week=float(s["per_week"]), focus=s["pillar"] in focus)
        for s in rb.scoring["session_mix"][phase]
    ]
    slots.sort(key=lambda s: (rank.get(s.pillar, 99), s.session))
    return slots


def build_report_plain(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition, facts: list[dict], matches: list[Match]) -> Report:
    """The report built model by model: the readable specification.

    :func:`build_report` is the fast equivalent used by :func:`assess`; a test
    checks that both give equal reports on generated rosters.
    """
    runner = facts[0]
    order = {p: i for i, p in enumerate(PILLARS + ("eligibility", "profile"))}
    # Deterministic order whatever order the engine fired in.
    matches = sorted(
        matches,
        key=lambda m: (order.get(rb.rules[m.rule_id].rule.pillar, 9), m.rule_id, m.fact.get("idx", 0), m.fact.get("kind", "")),
    )
    findings = [_finding(rb, m, runner) for m in matches]
    eligibility = _eligibility(rb, matches, findings, runner, edition)
    emphases = _emphases(rb, findings, runner["phase"])
    missing = [
        MissingTest(field=rb.rules[f.rule_id].fields[0], rule_id=f.rule_id, pillar=f.pillar, test=rb.rules[f.rule_id].rule.test or "")
        for f in findings
        if f.kind == "missing"
    ]
    gaps = [e.gap for e in emphases]
    tags = [t for t in ("zegama_like_background", "road_only", "ultra_only", "ultra_only_history") if runner.get(t)]
    note = None
    if profile.sex not in ("F", "M"):
        note = "Sex not given as F or M: targets use the women's reference values."
    return Report(
        pack=PackInfo(name=rb.name, version=rb.version, digest=rb.digest),
        runner_id=profile.runner_id,
        name=profile.name,
        as_of=as_of,
        edition=edition,
        weeks_to_race=runner["weeks_to_race"],
        phase=runner["phase"],
        goal=profile.goal,
        sex=profile.sex,
        targets_note=note,
        fit_score=round(100 * (1 - sum(gaps) / len(gaps))),
        tags=tags,
        eligibility=eligibility,
        findings=findings,
        emphases=emphases,
        missing=missing,
        weekly_sessions=_sessions(rb, runner["phase"], emphases),
        fired_rules=sorted({m.rule_id for m in matches}),
    )


# --------------------------------------------------------------------------- report, fast

# The fast builder computes the same report as build_report_plain, with the
# parts that do not depend on the runner computed once per pack, and the whole
# report validated by pydantic in one call from plain dicts. Building ~150
# nested models one by one, each with its own Python-level constructor call and
# its own formatting, was most of an assessment's time.

_CACHE_MAX = 4096  # entries per value cache: memory stays flat whatever the roster


def _placeholders(message: str) -> list[str] | None:
    """The names a message template asks for (``None``: let ``_Fill`` find out)."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError:
        return None
    if any(not n or not n.replace("_", "").isalnum() for n in names):
        return None  # positional, attribute or index fields: the slow way
    return list(dict.fromkeys(names))


class _RuleKit:
    __slots__ = ("cr", "static", "fields", "params", "message", "names", "order")

    def __init__(self, rb: RuleBase, cr, order: int):
        rule = cr.rule
        self.cr = cr
        self.static = {
            "rule_id": rule.id, "title": rule.title, "pillar": rule.pillar, "kind": rule.kind,
            "outcome": rule.outcome, "rationale": rule.rationale, "prescription": rule.prescription,
        }
        self.fields = [(f, value_unit(f)) for f in cr.fields if not f.startswith("target_")]
        self.params = [(n, bool(rb.parameters[n].by), None if rb.parameters[n].by else rb.constant(n)) for n in cr.params]
        self.message = rule.message
        self.names = _placeholders(rule.message)
        self.order = order


class _Kit:
    """What every report of one pack shares, computed once."""

    def __init__(self, rb: RuleBase):
        self.rb = rb
        order = {p: i for i, p in enumerate(PILLARS + ("eligibility", "profile"))}
        self.rules = {rid: _RuleKit(rb, cr, order.get(cr.rule.pillar, 9)) for rid, cr in rb.rules.items()}
        self.sources = {k: {"title": s.title, "url": s.url} for k, s in rb.sources.items()}
        self.rule_sources = {rid: [self.sources[k] for k in cr.rule.sources] for rid, cr in rb.rules.items()}
        self._targets: dict[tuple, dict] = {}
        self._displays: dict[tuple, str] = {}
        self._lottery: dict[int, dict] = {}
        self.steps: dict[tuple, list[str]] = {}  # a few (edition, status) pairs
        self.editions: dict[tuple, Edition] = {}  # (as_of, edition, race_date) -> the target edition
        self._targets_by_dims: dict[tuple, dict] = {}

    def target(self, name: str, value: Any) -> dict:
        key = (name, type(value), value)
        t = self._targets.get(key)
        if t is None:
            if len(self._targets) >= _CACHE_MAX:
                self._targets.clear()
            p = self.rb.parameters[name]
            t = self._targets[key] = {
                "name": name, "value": value, "display": self.rb.format_param(name, value), "unit": p.unit,
                "description": p.description, "derivation": p.derivation, "confidence": p.confidence,
                "sources": [self.sources[k] for k in p.sources],
            }
        return t

    def display(self, field: str, value: Any) -> str:
        key = (field, type(value), value)
        d = self._displays.get(key)
        if d is None:
            if len(self._displays) >= _CACHE_MAX:
                self._displays.clear()
            d = self._displays[key] = format_value(field, value)
        return d

    def targets_for(self, dims: dict[str, Any]) -> dict[str, Any]:
        """The runner's targets: a handful of (goal, sex, age band) combinations, computed once each.

        The dict is shared between runners: read it, never change it.
        """
        key = tuple(sorted(dims.items()))
        t = self._targets_by_dims.get(key)
        if t is None:
            if len(self._targets_by_dims) >= _CACHE_MAX:
                self._targets_by_dims.clear()
            t = self._targets_by_dims[key] = self.rb.targets_for(dims)
        return t

    def lottery(self, edition: Edition) -> dict:
        if edition.year not in self._lottery:
            rb = self.rb
            ed = (rb.race.get("editions") or {}).get(edition.year) or {}
            places = int(ed.get("lottery_places", {}).get("value", 0))
            applicants = int(ed.get("applicants", {}).get("value", 0))
            src_key = ed.get("applicants", {}).get("source", "sport2026")
            odds = round(100 * places / applicants, 2) if applicants else 0.0
            self._lottery[edition.year] = {
                "edition": edition.year, "places": places, "applicants": applicants, "odds_pct": odds,
                "estimated": bool(ed.get("estimated")), "source": self.sources[src_key],
                "note": (
                    "Entry is decided by a public draw: about "
                    f"{odds:.1f}% of applicants got a lottery place ({places} of {applicants:,}"
                    f"{', the 2026 figures' if ed.get('estimated') else ''}). "
                    "Public reports found no index or result requirement for the draw; the competitive profile "
                    "assessed here is what organisers look for, not a guarantee of a place."
                ),
            }
        return self._lottery[edition.year]


_kits: dict[int, _Kit] = {}
_kits_lock = threading.Lock()


def _fresh_lock_after_fork() -> None:
    # Another thread of the parent may have held the lock when it forked.
    global _kits_lock
    _kits_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_after_fork)


def _kit(rb: RuleBase) -> _Kit:
    # Keyed by the pack object (a pack is not modified once loaded); a few packs at most per process.
    kit = _kits.get(id(rb))
    if kit is None or kit.rb is not rb:
        with _kits_lock:
            if len(_kits) > 16:
                _kits.clear()
            kit = _kits[id(rb)] = _Kit(rb)
    return kit


def _fast_finding(kit: _Kit, rk: _RuleKit, fact: dict, runner: dict) -> tuple[dict, list[str]]:
    rb = kit.rb
    target_values = {}
    targets = []
    for name, by, constant in rk.params:
        value = runner.get(f"target_{name}") if by else constant
        target_values[name] = value
        targets.append(kit.target(name, value))
    evidence = []
    for f, unit in rk.fields:
        v = fact.get(f)
        evidence.append({"field": f, "value": v, "display": kit.display(f, v), "unit": unit})
    # The message's placeholders, filled as _Fill fills them: the rule's
    # targets, the first target and evidence, then any fact field.
    if rk.names is None:
        fill = _Fill(rb, fact)
        for t in targets:
            fill[f"target_{t['name']}"] = t["display"]
        if targets:
            fill["target"] = targets[0]["display"]
        if evidence:
            fill["value"] = evidence[0]["display"]
    else:
        fill = {}
        for n in rk.names:
            if n == "target" and targets:
                fill[n] = targets[0]["display"]
            elif n == "value" and evidence:
                fill[n] = evidence[0]["display"]
            elif n.startswith("target_") and n[7:] in target_values:
                fill[n] = kit.target(n[7:], target_values[n[7:]])["display"]
            elif n.startswith("target_") and n[7:] in rb.parameters:
                fill[n] = rb.format_param(n[7:], fact.get(n))
            else:
                fill[n] = kit.display(n, fact.get(n))
    severity = _severity(rb, rk.cr, fact, target_values)
    st = rk.static
    finding = {  # the order of Finding's fields: the JSON is written from this dict
        "rule_id": st["rule_id"], "title": st["title"], "pillar": st["pillar"], "kind": st["kind"],
        "severity": severity, "severity_label": _label(severity, st["kind"]), "outcome": st["outcome"],
        "subject": _subject(fact), "evidence": evidence, "targets": targets,
        "message": rk.message.format_map(fill), "rationale": st["rationale"], "prescription": st["prescription"],
        "sources": kit.rule_sources[st["rule_id"]],
    }
    return finding, [e["field"] for e in evidence]


def _fast_eligibility(kit: _Kit, matches: list[Match], findings: list[dict], fields_read: list[list[str]],
                      runner: dict, edition: Edition) -> dict:
    rb = kit.rb
    reasons = []
    outcomes: set[str] = set()
    applies_routes: set[str] = set()
    for m, f, read in zip(matches, findings, fields_read):
        if f["kind"] != "eligibility":
            continue
        outcome = f["outcome"] or ""
        outcomes.add(outcome)
        used = [_race_label(m.fact)] if m.fact.get("kind") != "runner" and ("race" in m.fact or "idx" in m.fact) else []
        reasons.append({"rule_id": f["rule_id"], "outcome": outcome, "message": f["message"], "results_used": used})
        if f["outcome"] == "route":
            for route in rb.race.get("entry_routes", []):
                if route.get("profile_field") and route["profile_field"] in read:
                    applies_routes.add(route["id"])
    status = _status(outcomes)
    routes = []
    for r in rb.race.get("entry_routes", []):
        applies = _route_applies(r, runner, applies_routes)
        routes.append({"id": r["id"], "label": r["label"], "detail": r["detail"], "applies": applies,
                       "source": kit.sources[r["source"]]})
    blocks = "blocks" in outcomes
    key = (edition.year, edition.preregistration_opens, edition.preregistration_closes, edition.estimated, status, blocks)
    steps = kit.steps.get(key)
    if steps is None:
        if len(kit.steps) >= 256:
            kit.steps.clear()
        steps = kit.steps[key] = _next_steps(rb, edition, status, blocks)
    summary = {
        "eligible": "Your recent results match the competitive profile organisers look for.",
        "at_risk": "Some results come close to the competitive profile, but none fully matches it.",
        "not_eligible": "Nothing in your history matches the competitive profile yet.",
    }[status]
    return {"status": status, "summary": summary, "reasons": reasons, "routes": routes,
            "lottery": kit.lottery(edition), "next_steps": list(steps)}


def _next_steps(rb: RuleBase, edition: Edition, status: str, blocks: bool) -> list[str]:
    """What to do next: depends on the edition and the status only (computed once per pair)."""
    pct = rb.constant("competitive_percentile")
    steps: list[str] = []
    closes = edition.preregistration_closes
    when = f"before pre-registration closes ({closes}{', estimated' if edition.estimated else ''})" if closes else "before pre-registration"
    if status == "not_eligible" and blocks:
        steps.append("Resolve the blocking condition listed above first; no result can make up for it.")
    if status != "eligible":
        steps.append(
            f"Run a short or medium mountain race (km-effort {rb.constant('short_medium_min_km_effort'):g} to "
            f"under {rb.constant('short_medium_max_km_effort'):g}, at least {rb.constant('mountain_min_dplus_per_km'):g} m "
            f"D+ per km) in a recognised circuit (Golden Trail World Series, "
            f"Skyrunner World Series or a national championship) and finish in the top {pct * 100:.0f}% of the field, "
            f"{when}."
        )
    steps.append(
        f"Pre-register for the draw ({edition.preregistration_opens} to {closes}"
        f"{', estimated' if edition.estimated else ''}); selection is never guaranteed."
        if closes and edition.preregistration_opens
        else "Pre-register for the draw; selection is never guaranteed."
    )
    return steps


def _fast_emphases(kit: _Kit, findings: list[dict], phase: str) -> list[dict]:
    weights = kit.rb.scoring["phase_weights"][phase]
    best_by_pillar: dict[str, dict[str, tuple[float, float]]] = {p: {} for p in PILLARS}
    for f in findings:
        if f["kind"] not in ("gap", "missing"):
            continue
        best = best_by_pillar.get(f["pillar"])
        if best is None:
            continue
        rid = f["rule_id"]
        if rid not in best or f["severity"] > best[rid][0]:
            best[rid] = (f["severity"], kit.rules[rid].cr.rule.weight)
    out = []
    for i, pillar in enumerate(PILLARS):
        best = best_by_pillar[pillar]
        remaining = 1.0
        parts = []
        for rid in sorted(best):
            sev, w = best[rid]
            share = min(1.0, sev * w)
            parts.append({"rule_id": rid, "severity": sev, "weight": w, "contribution": round(share * remaining, 3)})
            remaining *= 1 - share
        gap = round(1 - remaining, 3)
        pw = float(weights[pillar])
        out.append((-round(100 * gap * pw, 1), i, {"rank": 0, "pillar": pillar, "score": round(100 * gap * pw, 1),
                                                    "gap": gap, "phase_weight": pw, "breakdown": parts}))
    out.sort(key=lambda t: (t[0], t[1]))
    ranked = [e for _, _, e in out]
    for rank, e in enumerate(ranked, start=1):
        e["rank"] = rank
    return ranked


def build_report_data(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition, facts: list[dict], matches: list[Match]) -> dict:
    """The gap report as plain data: every field of :class:`Report`, nested, in the models' order.

    ``Report.model_validate`` of it is the report; ``report_json`` of it is
    byte for byte ``Report.model_dump_json()`` (what a batch writes, without
    building the models).
    """
    kit = _kit(rb)
    runner = facts[0]
    rules = kit.rules
    # Deterministic order whatever order the engine fired in.
    matches = sorted(
        matches,
        key=lambda m: (rules[m.rule_id].order, m.rule_id, m.fact.get("idx", 0), m.fact.get("kind", "")),
    )
    findings = []
    fields_read = []
    for m in matches:
        f, read = _fast_finding(kit, rules[m.rule_id], m.fact, runner)
        findings.append(f)
        fields_read.append(read)
    phase = runner["phase"]
    emphases = _fast_emphases(kit, findings, phase)
    rank = {e["pillar"]: e["rank"] for e in emphases}
    focus = {e["pillar"] for e in emphases[:2] if e["score"] > 0}
    slots = [
        {"pillar": s["pillar"], "session": s["session"], "per_week": float(s["per_week"]), "focus": s["pillar"] in focus}
        for s in rb.scoring["session_mix"][phase]
    ]
    slots.sort(key=lambda s: (rank.get(s["pillar"], 99), s["session"]))
    gaps = [e["gap"] for e in emphases]
    note = None
    if profile.sex not in ("F", "M"):
        note = "Sex not given as F or M: targets use the women's reference values."
    return {
        "schema_version": SCHEMA_VERSION,
        "pack": {"name": rb.name, "version": rb.version, "digest": rb.digest},
        "runner_id": profile.runner_id,
        "name": profile.name,
        "as_of": as_of,
        "edition": edition,
        "weeks_to_race": float(runner["weeks_to_race"]),
        "phase": phase,
        "goal": profile.goal,
        "sex": profile.sex,
        "targets_note": note,
        "fit_score": round(100 * (1 - sum(gaps) / len(gaps))),
        "tags": [t for t in ("zegama_like_background", "road_only", "ultra_only", "ultra_only_history") if runner.get(t)],
        "eligibility": _fast_eligibility(kit, matches, findings, fields_read, runner, edition),
        "findings": findings,
        "emphases": emphases,
        "missing": [
            {"field": rules[f["rule_id"]].cr.fields[0], "rule_id": f["rule_id"], "pillar": f["pillar"],
             "test": rules[f["rule_id"]].cr.rule.test or ""}
            for f in findings
            if f["kind"] == "missing"
        ],
        "weekly_sessions": slots,
        "fired_rules": sorted({m.rule_id for m in matches}),
    }


def build_report(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition, facts: list[dict], matches: list[Match]) -> Report:
    """The gap report from the engine's firings (equal to :func:`build_report_plain`, faster)."""
    return Report.model_validate(build_report_data(rb, profile, as_of, edition, facts, matches))


def report_json(data: dict) -> bytes:
    """The JSON of :func:`build_report_data`'s result: ``Report.model_dump_json()``, as UTF-8."""
    import pydantic_core

    return pydantic_core.to_json(data)
