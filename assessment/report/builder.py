"""Building the gap report from the engine's firings: one builder, plain data.

:func:`build_report_data` assembles the report as plain dicts and lists, in the
schema's field order, from parts computed once per pack (the catalog, the
targets as displayed, the next steps, the lottery); :func:`build_report`
validates it into a :class:`~assessment.report.model.Report` (what ``assess()``
returns) and :func:`report_json` writes it as JSON (what a batch writes) without
building any model. Both paths start from the same data, so they cannot drift.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import string
import threading
from typing import Any

from ..model.profile import Profile
from ..rules.edition import Edition
from ..rules.engine import Match
from ..rules import derive
from ..rules.facts import DERIVED_FROM
from ..estimate.finish import method_info
from ..rules.rulebase import PILLARS, RuleBase, format_value, value_unit, week_of
from .model import SCHEMA_VERSION, Catalog, Report

_CACHE_MAX = 4096  # entries per value cache: memory stays flat whatever the roster
_SUMMARY = {
    "eligible": "Your recent results match the competitive profile organisers look for.",
    "at_risk": "Some results come close to the competitive profile, but none fully matches it.",
    "not_eligible": "Nothing in your history matches the competitive profile yet.",
}
_TAGS = ("zegama_like_background", "road_only", "ultra_only", "ultra_only_history")
#: Entry routes that give a place of their own (the others help only through the organisation's block).
PLACE_ROUTES = frozenset({"elite_invite", "every_edition_finishers", "local", "sponsor_entry"})
#: A profile fit needs at least this share of the benchmarks measured: fewer say too little to score.
FIT_MIN_MEASURED = 1 / 3


# --------------------------------------------------------------------------- small pure parts

def severity(rb: RuleBase, rule, fact: dict, target_values: dict[str, Any]) -> float:
    """0-1: fixed by the rule, or from the distance to the target (``gap``), or the pack's unknown severity."""
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


def severity_label(value: float, kind: str) -> str:
    if kind in ("eligibility", "info") or value == 0:
        return "none"
    return "minor" if value < 0.34 else "moderate" if value < 0.67 else "major"


def share_of_target(value: float, target: float, better: str) -> float:
    """0-100: how much of the target the value reaches (100 when met or beaten)."""
    if better == "higher":
        if value >= target:
            return 100.0
        return round(100 * max(value, 0) / target, 1) if target else 100.0
    if value <= target:
        return 100.0
    return round(100 * target / value, 1) if value else 100.0


def subject(fact: dict) -> str:
    if fact.get("kind") == "runner":
        return "runner"
    if "idx" in fact:
        name = fact.get("race") or "unnamed race"
        date = fact.get("date")
        return f"race {fact['idx']}: {name}" + (f" ({date})" if date else "")
    return fact.get("kind", "fact")


def race_label(fact: dict) -> str:
    parts = [fact.get("race") or "unnamed race"]
    if fact.get("date"):
        parts.append(str(fact["date"]))
    if "percentile" in fact:
        parts.append(format_value("percentile", fact["percentile"]))
    return ", ".join(parts)


def eligibility_status(outcomes: set[str]) -> str:
    """A blocking rule wins; then any qualifying result; then any result close to it."""
    if "blocks" in outcomes:
        return "not_eligible"
    if "qualifies" in outcomes:
        return "eligible"
    if "at_risk" in outcomes:
        return "at_risk"
    return "not_eligible"


def route_applies(route: dict, runner: dict, fired: set[str]) -> bool | None:
    """Does an entry route apply: its rule fired, or its profile field says so (unknown when unanswered,
    or when a rule-based route's rule did not fire); the draw always does."""
    if route["id"] == "lottery":
        return True
    if route.get("rule") and route["rule"] in fired:
        return True
    field = route.get("profile_field")
    if field:
        v = runner.get(field)
        return None if v is None else bool(v)
    return None


def _placeholders(message: str) -> list[str] | None:
    """The names a message template asks for (``None``: let ``_Fill`` find out)."""
    try:
        names = [f for _, f, _, _ in string.Formatter().parse(message) if f is not None]
    except ValueError:
        return None
    if any(not n or not n.replace("_", "").isalnum() for n in names):
        return None
    return list(dict.fromkeys(names))


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


# --------------------------------------------------------------------------- what a pack's reports share

class _RuleKit:
    __slots__ = ("cr", "rule", "fields", "params", "names", "order")

    def __init__(self, rb: RuleBase, cr, order: int):
        self.cr = cr
        self.rule = cr.rule
        self.fields = [(f, value_unit(f)) for f in cr.fields if not f.startswith("target_")]
        self.params = [(n, bool(rb.parameters[n].by), None if rb.parameters[n].by else rb.constant(n)) for n in cr.params]
        self.names = _placeholders(cr.rule.message)
        self.order = order


def _strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None}


def _num(v: Any) -> Any:
    # Minutes to a ten-thousandth (under a hundredth of a second): no 17-digit floats in the JSON.
    return round(v, 4) if isinstance(v, float) else v


def _shown(value: Any, display: str) -> str | None:
    """A display worth writing: left out when it is just the number (the reader shows the value)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and display == format_value("", value):
        return None
    return display


class _Kit:
    """What every report of one pack shares, computed once."""

    def __init__(self, rb: RuleBase):
        self.rb = rb
        order = {p: i for i, p in enumerate(PILLARS + ("eligibility", "profile"))}
        self.rules = {rid: _RuleKit(rb, cr, order.get(cr.rule.pillar, 9)) for rid, cr in rb.rules.items()}
        self.routes = list(rb.race.get("entry_routes", []))
        self.catalog = self._catalog()
        self._models: Catalog | None = None  # the catalog validated once, for assess()
        self._subsets: dict[tuple, Catalog] = {}  # the part of it a set of fired rules cites
        # which gap rule compares a benchmark with its target
        gap_rules: dict[tuple[str, str], list[str]] = {}
        for rid, cr in sorted(rb.rules.items()):
            if cr.rule.gap is not None:
                gap_rules.setdefault((cr.rule.gap.field, cr.rule.gap.target), []).append(rid)
        self.benchmarks = [
            (b, bool(rb.parameters[b.target].by), None if rb.parameters[b.target].by else rb.constant(b.target),
             tuple(gap_rules.get((b.field, b.target), ())))
            for b in rb.benchmarks
        ]
        self._targets: dict[tuple, dict] = {}
        self._displays: dict[tuple, str] = {}
        self._evidence: dict[tuple, tuple[dict, str]] = {}
        self._bench: dict[tuple, dict] = {}
        self._lottery: dict[int, dict] = {}
        self.steps: dict[tuple, list[str]] = {}

    def _catalog(self) -> dict:
        rb = self.rb
        rules = {
            rid: _strip({"title": r.title, "pillar": r.pillar, "kind": r.kind, "weight": r.weight, "rationale": r.rationale,
                         "prescription": r.default_prescription, "test": r.test, "sources": list(r.sources)})
            for rid, r in ((rid, cr.rule) for rid, cr in sorted(rb.rules.items()))
        }
        targets = {
            n: _strip({"description": p.description, "unit": p.unit, "derivation": p.derivation,
                       "confidence": p.confidence,
                       "sources": list(p.sources) + [s for s in (p.tolerance.sources if p.tolerance else ())
                                                     if s not in p.sources],
                       "tolerance_pct": p.tolerance.pct if p.tolerance else None,
                       "tolerance_derivation": p.tolerance.derivation if p.tolerance else None})
            for n, p in sorted(rb.parameters.items())
        }
        routes = {r["id"]: {"short": r.get("short") or r["id"], "label": r["label"], "detail": r["detail"],
                            "source": r["source"]} for r in self.routes}
        benchmarks = {
            b.field: _strip({"label": b.label, "unit": value_unit(b.field), "target": b.target, "better": b.better,
                             "trait": b.trait, "trait_label": rb.traits.get(b.trait, b.trait)})
            for b in rb.benchmarks
        }
        sources = {k: _strip({"title": s.title, "url": s.url}) for k, s in sorted(rb.sources.items())}
        sessions = {phase: {s["pillar"]: s["session"] for s in mix} for phase, mix in rb.scoring["session_mix"].items()}
        out = {"rules": rules, "targets": targets, "routes": routes, "benchmarks": benchmarks, "sessions": sessions,
               "sources": sources}
        if rb.finish_model is not None:
            out["estimate"] = method_info(rb)
        return out

    def catalog_for(self, rule_ids: set[str], target_names: set[str], extra_sources: set[str]) -> dict:
        """The catalog entries one report cites (shared dicts: read them, never change them)."""
        cat = self.catalog
        rules = {r: cat["rules"][r] for r in sorted(rule_ids)}
        targets = {t: cat["targets"][t] for t in sorted(target_names)}
        keys = set(extra_sources)
        for r in rules.values():
            keys.update(r["sources"])
        for t in targets.values():
            keys.update(t["sources"])
        for r in cat["routes"].values():
            keys.add(r["source"])
        out = {"rules": rules, "targets": targets, "routes": cat["routes"], "benchmarks": cat["benchmarks"],
               "sessions": cat["sessions"]}
        if "estimate" in cat:
            keys.update(cat["estimate"]["sources"])
        out["sources"] = {k: cat["sources"][k] for k in sorted(keys)}
        if "estimate" in cat:
            out["estimate"] = cat["estimate"]
        return out

    def catalog_models(self, rule_ids: set[str], target_names: set[str], extra_sources: set[str]) -> Catalog:
        """:meth:`catalog_for` as models validated once per pack, so a report does not validate them again."""
        key = (frozenset(rule_ids), frozenset(target_names), frozenset(extra_sources))
        cat = self._subsets.get(key)
        if cat is None:
            if self._models is None:
                self._models = Catalog.model_validate(self.catalog)
            full = self._models
            part = self.catalog_for(rule_ids, target_names, extra_sources)
            if len(self._subsets) >= _CACHE_MAX:
                self._subsets.clear()
            cat = self._subsets[key] = Catalog.model_construct(
                rules={r: full.rules[r] for r in part["rules"]},
                targets={n: full.targets[n] for n in part["targets"]},
                routes=full.routes, benchmarks=full.benchmarks, sessions=full.sessions,
                sources={s: full.sources[s] for s in part["sources"]}, estimate=full.estimate,
            )
        return cat

    def target(self, name: str, value: Any) -> tuple[dict, str]:
        """A target as a report cites it, and how it reads (``44:47``, ``1340 m/h``)."""
        key = (name, type(value), value)
        t = self._targets.get(key)
        if t is None:
            if len(self._targets) >= _CACHE_MAX:
                self._targets.clear()
            shown = self.rb.format_param(name, value)
            t = self._targets[key] = (_strip({"name": name, "value": _num(value), "display": _shown(value, shown)}), shown)
        return t

    def evidence(self, field: str, unit: str | None, value: Any) -> tuple[dict, str]:
        """A value as a finding cites it, and how it reads (shared: read it, never change it)."""
        key = (field, type(value), value)
        e = self._evidence.get(key)
        if e is None:
            if len(self._evidence) >= _CACHE_MAX:
                self._evidence.clear()
            shown = self.display(field, value)
            e = self._evidence[key] = (
                _strip({"field": field, "value": _num(value), "display": _shown(value, shown), "unit": unit}), shown)
        return e

    def benchmark(self, b, value: Any, target: Any) -> dict:
        """A benchmark's entry but its gap rule (shared: read it, never change it)."""
        key = (b.field, type(value), value, type(target), target)
        e = self._bench.get(key)
        if e is None:
            if len(self._bench) >= _CACHE_MAX:
                self._bench.clear()
            item: dict[str, Any] = {"field": b.field}
            if value is None or target is None:
                item["state"] = "unknown"
                share = None
            else:
                share = share_of_target(float(value), float(target), b.better)
                # Within the test's tolerance of its target is met, as the gap rules read it.
                gate = self.rb.parameters[b.target].widened(target)
                within = value <= gate if b.better == "lower" else value >= gate
                item["state"] = "met" if share >= 100 or within else "below"
            if value is not None:
                item["value"] = _num(value)
                shown = _shown(value, self.display(b.field, value))
                if shown is not None:
                    item["display"] = shown
            if target is not None:
                item["target"] = _num(target)
                item["target_display"] = self.target(b.target, target)[1]
            if share is not None:
                item["share"] = share
            e = self._bench[key] = item
        return e

    def display(self, field: str, value: Any) -> str:
        key = (field, type(value), value)
        d = self._displays.get(key)
        if d is None:
            if len(self._displays) >= _CACHE_MAX:
                self._displays.clear()
            d = self._displays[key] = format_value(field, value)
        return d

    def lottery(self, edition: Edition, tickets: int = 1) -> dict:
        key = (edition.year, tickets)
        out = self._lottery.get(key)
        if out is None:
            rb = self.rb
            ed = (rb.race.get("editions") or {}).get(edition.year) or {}
            places = (ed.get("lottery_places") or {}).get("value")
            applicants = (ed.get("applicants") or {}).get("value")
            source = (ed.get("applicants") or {}).get("source") or self.routes[0]["source"]
            mean = rb.constant("mean_tickets")
            lot: dict[str, Any] = {"edition": edition.year, "places": places, "applicants": applicants,
                                   "tickets": tickets}
            if places and applicants:
                headline = 100 * places / applicants
                odds = [100 * derive.lottery_odds(tickets, places, applicants, m) for m in (mean, mean + 1, mean - 1)]
                lot.update(headline_pct=round(headline, 2), odds_pct=round(odds[0], 2),
                           odds_low_pct=round(odds[1], 2), odds_high_pct=round(odds[2], 2))
                figures = ", the 2026 figures" if ed.get("estimated") else ""
                note = (f"{places} of {applicants:,} applicants won a place ({pct(headline)}{figures}). Each applicant "
                        f"holds one ticket plus one for every earlier unsuccessful pre-registration, about {mean:g} on "
                        f"average: with {tickets} ticket{'s' if tickets != 1 else ''} your chance is about "
                        f"{pct(odds[0])} ({pct(odds[1])} to {pct(odds[2])} for {mean - 1:g} to {mean + 1:g} tickets on average).")
            else:
                note = f"The numbers of lottery places and applicants for {edition.year} are not known yet."
            lot.update(estimated=bool(ed.get("estimated")), source=source, note=note)
            if len(self._lottery) >= 256:
                self._lottery.clear()
            out = self._lottery[key] = lot
        return out


def pct(value: float) -> str:
    """A percentage as a person reads it: 1.95 -> '2.0%', 0.65 -> '0.65%' (two figures below 1%)."""
    if value < 1:
        return f"{value:.2f}%"
    return f"{value:.1f}%"


_kits: dict[int, _Kit] = {}
_kits_lock = threading.Lock()


def _fresh_lock_after_fork() -> None:
    # Another thread of the parent may have held the lock when it forked.
    global _kits_lock
    _kits_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fresh_lock_after_fork)


def kit(rb: RuleBase) -> _Kit:
    # Keyed by the pack object (a pack is not modified once loaded); a few packs at most per process.
    k = _kits.get(id(rb))
    if k is None or k.rb is not rb:
        with _kits_lock:
            if len(_kits) > 16:
                _kits.clear()
            k = _kits[id(rb)] = _Kit(rb)
    return k


def catalog_data(rb: RuleBase) -> dict:
    """The pack's whole catalog as plain data (what a batch writes once, in ``catalog.json``)."""
    return kit(rb).catalog


# --------------------------------------------------------------------------- the report's parts

def _finding(k: _Kit, rk: _RuleKit, fact: dict, runner: dict,
             imported: dict[str, str] | None = None) -> tuple[dict, list[str], set[str]]:
    rb = k.rb
    target_values = {}
    targets = []
    shown_targets = []
    for name, by, constant in rk.params:
        value = runner.get(f"target_{name}") if by else constant
        target_values[name] = value
        cited, shown = k.target(name, value)
        targets.append(cited)
        shown_targets.append(shown)
    evidence = []
    shown_values = []
    for f, unit in rk.fields:
        item, shown = k.evidence(f, unit, fact.get(f))
        if imported and fact.get("kind") == "runner":
            if f in imported:
                item = {**item, "source": f"activity files: {imported[f]}"}  # a copy: the cached item is shared
            elif any(b in imported for b in DERIVED_FROM.get(f, ())):
                item = {**item, "source": "activity files: " + "; ".join(
                    f"{b} from {imported[b]}" for b in DERIVED_FROM[f] if b in imported)}
        evidence.append(item)
        shown_values.append(shown)
    # The message's placeholders: the rule's targets, the first target and value, then any fact field.
    if rk.names is None:
        fill: dict = _Fill(rb, fact)
        for t, shown in zip(targets, shown_targets):
            fill[f"target_{t['name']}"] = shown
        if targets:
            fill["target"] = shown_targets[0]
        if evidence:
            fill["value"] = shown_values[0]
    else:
        fill = {}
        for n in rk.names:
            if n == "target" and targets:
                fill[n] = shown_targets[0]
            elif n == "value" and evidence:
                fill[n] = shown_values[0]
            elif n.startswith("target_") and n[7:] in target_values:
                fill[n] = k.target(n[7:], target_values[n[7:]])[1]
            elif n.startswith("target_") and n[7:] in rb.parameters:
                fill[n] = rb.format_param(n[7:], fact.get(n))
            else:
                fill[n] = k.display(n, fact.get(n))
    rule = rk.rule
    sev = severity(rb, rule, fact, target_values)
    finding = {"rule_id": rule.id, "pillar": rule.pillar, "kind": rule.kind, "severity": sev,
               "severity_label": severity_label(sev, rule.kind)}
    if rule.outcome is not None:
        finding["outcome"] = rule.outcome
    if fact.get("kind") != "runner":
        finding["subject"] = subject(fact)
    finding["evidence"] = evidence
    finding["targets"] = targets
    finding["message"] = rule.message.format_map(fill)
    advice = rule.prescription_for(runner["phase"], runner["weeks_to_race"])
    if advice is not None and "{retest}" in advice:
        advice = advice.replace("{retest}", retest_advice(runner["weeks_to_race"]))
    if advice != rule.default_prescription:
        finding["prescription"] = advice  # the phase's own advice, or the default with its dates filled in
    return finding, [f for f, _ in rk.fields], set(target_values)


def retest_advice(weeks: float) -> str:
    """When to re-test, for the weeks left: never a re-test that falls in the taper or after race day."""
    if weeks > 10:
        return "re-test in 6-8 weeks"
    if weeks >= 4:
        return f"re-test once, about {int(weeks) - 2} weeks from now, before the taper"
    return "there is no time left to re-test before race day"


def _eligibility(k: _Kit, matches: list[Match], findings: list[dict], runner: dict, edition: Edition,
                 as_of: dt.date) -> dict:
    reasons = []
    outcomes: set[str] = set()
    fired: set[str] = set()
    for m, f in zip(matches, findings):
        if f["kind"] != "eligibility":
            continue
        outcome = f.get("outcome") or ""
        outcomes.add(outcome)
        fired.add(f["rule_id"])
        used = [race_label(m.fact)] if m.fact.get("kind") != "runner" and ("race" in m.fact or "idx" in m.fact) else []
        reasons.append({"rule_id": f["rule_id"], "outcome": outcome, "message": f["message"], "results_used": used,
                        "targets": f["targets"]})
    status = eligibility_status(outcomes)
    routes = [_strip({"id": r["id"], "applies": route_applies(r, runner, fired)}) for r in k.routes]
    applying = [r for r, x in zip(k.routes, routes) if x.get("applies") and r["id"] != "lottery"]
    summary = _SUMMARY[status]
    placed = [r for r in applying if r["id"] in PLACE_ROUTES]
    if placed and status != "eligible":
        summary = (f"A reserved route gives you a place ({placed[0]['short']}): the competitive profile is not "
                   "needed for it. " + summary)
    return {"status": status, "summary": summary, "reasons": reasons, "routes": routes,
            "lottery": k.lottery(edition, runner.get("tickets", 1)),
            "next_steps": next_steps(k.rb, edition, as_of, status, "blocks" in outcomes, applying)}


def entry_stage(edition: Edition, as_of: dt.date) -> str:
    """Where the date stands in the entry calendar: before, during or after pre-registration, after the draw."""
    opens, closes, draw = edition.preregistration_opens, edition.preregistration_closes, edition.draw
    if opens and as_of < opens:
        return "before"
    if closes and as_of <= closes:
        return "open"
    if draw and as_of < draw:
        return "closed"
    return "drawn" if draw or closes else "unknown"


def next_steps(rb: RuleBase, edition: Edition, as_of: dt.date, status: str, blocks: bool,
               routes: list[dict]) -> list[str]:
    """What to do next, in order: a route that gives a place first, then the draw as the calendar stands.

    No step names a window that has passed."""
    est = ", estimated" if edition.estimated else ""
    opens, closes, draw = edition.preregistration_opens, edition.preregistration_closes, edition.draw
    stage = entry_stage(edition, as_of)
    steps: list[str] = []
    if status == "not_eligible" and blocks:
        steps.append("Resolve the blocking condition listed above first; no result can make up for it.")
    steps += [r["next_step"] for r in routes if r.get("next_step")]
    place_given = any(r.get("id") in PLACE_ROUTES for r in routes)
    if stage in ("before", "open", "closed") and status != "eligible" and not place_given:
        pct = rb.constant("competitive_percentile")
        steps.append(
            f"To show the competitive profile organisers look for (it does not change your odds in the draw), race a "
            f"short or medium mountain race (under {rb.constant('short_medium_max_km'):g} km, "
            f"{rb.constant('short_medium_min_km_effort'):g} to {rb.constant('short_medium_max_km_effort'):g} km-effort, "
            f"at least {rb.constant('mountain_min_dplus_per_km'):g} m D+ per km) in a recognised circuit (Golden Trail "
            f"World Series, Skyrunner World Series or a national championship) and finish in the top "
            f"{pct * 100:.0f}% of the field; results count up to race day.")
    draw_txt = f" The draw is on {draw}{est}." if draw else ""
    fallback = " as well, in case that place falls through" if place_given else ""
    if stage == "before":
        steps.append(f"Pre-register for the draw{' as well' if place_given else ''} between {opens} and {closes}{est}"
                     f"{', in case that place falls through' if place_given else ''}.{draw_txt}")
    elif stage == "open":
        steps.append(f"Pre-registration is open until {closes}{est}: pre-register for the draw now{fallback}.{draw_txt}")
    elif stage == "closed":
        steps.append(f"Pre-registration closed on {closes}{est}; the draw is on {draw}{est}. If you pre-registered, "
                     "you will know then; if not, only a reserved route above can give you a place this year.")
    elif stage == "drawn":
        steps.append(f"The draw for {edition.year} was held on {draw or closes}{est}: if you won a place, you are in. "
                     "Without one, what is left is a reserved route above or a place given up by another runner "
                     "(more women than men are taken from the waiting list); pre-register again next January: "
                     "each unsuccessful year adds a ticket.")
    else:
        steps.append("Pre-register for the draw when the organisers open it; selection is never guaranteed.")
    return steps


def _session_mix(rb: RuleBase, phase: str, weeks: float | None) -> list[dict]:
    """The suggested week: the final weeks' own where the pack has one, else the phase's."""
    mix = rb.scoring["session_mix"]
    return mix.get(week_of(phase, weeks)) or mix[phase]


def _emphases(k: _Kit, findings: list[dict], phase: str) -> list[dict]:
    """The five pillars ranked by what the phase demands, raised by the runner's gaps (scoring.yaml)."""
    demand = k.rb.scoring["phase_demand"][phase]
    keep = float(k.rb.scoring["maintenance"])
    best_by_pillar: dict[str, dict[str, tuple[float, float]]] = {p: {} for p in PILLARS}
    for f in findings:
        if f["kind"] not in ("gap", "missing"):
            continue
        best = best_by_pillar.get(f["pillar"])
        if best is None:
            continue
        rid = f["rule_id"]
        if rid not in best or f["severity"] > best[rid][0]:
            best[rid] = (f["severity"], k.rules[rid].rule.weight)
    out = []
    for pillar in PILLARS:
        best = best_by_pillar[pillar]
        remaining = 1.0
        parts = []
        for rid in sorted(best):
            sev, w = best[rid]
            share = min(1.0, sev * w)
            parts.append({"rule_id": rid, "contribution": round(share * remaining, 3)})
            remaining *= 1 - share
        gap = round(1 - remaining, 3)
        d = float(demand[pillar])
        score = round(100 * d * (keep + (1 - keep) * gap), 1)
        out.append({"rank": 0, "pillar": pillar, "score": score, "gap": gap, "demand": d,
                    "base": round(100 * d * keep, 1), "action": "build" if gap > 0 else "maintain", "breakdown": parts})
    # Highest score first; on equal scores the phase's demand, then a shared rank (never the list order).
    out.sort(key=lambda e: (-e["score"], -e["demand"], e["pillar"]))
    for i, e in enumerate(out):
        prev = out[i - 1] if i else None
        e["rank"] = prev["rank"] if prev is not None and prev["score"] == e["score"] else i + 1
    return out


def _benchmarks(k: _Kit, runner: dict, fired: dict[str, int]) -> tuple[list[dict], set[str]]:
    out = []
    cited: set[str] = set()
    for b, by, constant, gap_rules in k.benchmarks:
        item = k.benchmark(b, runner.get(b.field), runner.get(f"target_{b.target}") if by else constant)
        rid = next((r for r in gap_rules if r in fired), None)
        out.append({**item, "rule_id": rid} if rid else item)
        cited.add(b.target)
    return out, cited


def _estimate_data(est: Any) -> dict:
    f = est.finish
    return {
        "finish": {"low": f.low, "mid": f.mid, "high": f.high, "interval": f.interval, "display": f.display},
        "barriers": [{"name": b.name, "km": b.km, "cutoff_min": b.cutoff_min,
                      "arrival": {"low": b.arrival.low, "mid": b.arrival.mid, "high": b.arrival.high},
                      "pass_probability": b.pass_probability} for b in est.barriers],
        "inputs": [{"kind": u.kind, "label": u.label, "weight": u.weight} for u in est.inputs_used],
        "notes": list(est.notes),
    }


def build_report_data(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition, facts: list[dict],
                      matches: list[Match], *, catalog: bool | str = True, estimate: Any = None,
                      estimate_note: str | None = None) -> dict:
    """The gap report as plain data: every field of :class:`Report`, nested, in the schema's order.

    ``Report.model_validate`` of it is the report; :func:`report_json` of it is its
    JSON. With ``catalog=False`` the catalog is left out (a batch writes it once).
    (``catalog="models"``: the catalog as validated models, for :func:`build_report`.)
    Parts are shared with other reports of the pack: read the result, never change it.
    """
    k = kit(rb)
    runner = facts[0]
    rules = k.rules
    # Deterministic order whatever order the engine fired in.
    matches = sorted(
        matches,
        key=lambda m: (rules[m.rule_id].order, m.rule_id, m.fact.get("idx", 0), m.fact.get("kind", "")),
    )
    findings = []
    target_names: set[str] = set()
    for m in matches:
        f, _, names = _finding(k, rules[m.rule_id], m.fact, runner, profile.from_activities)
        findings.append(f)
        target_names |= names
    phase = runner["phase"]
    fired = {m.rule_id: 1 for m in matches}
    emphases = _emphases(k, findings, phase)
    rank = {e["pillar"]: e["rank"] for e in emphases}
    focus = {e["pillar"] for e in emphases if e["rank"] <= 2 and e["action"] == "build"}
    slots = [
        {"pillar": s["pillar"], "per_week": float(s["per_week"]), "focus": s["pillar"] in focus}
        for s in _session_mix(rb, phase, runner.get("weeks_to_race"))
    ]
    slots.sort(key=lambda s: rank.get(s["pillar"], 99))
    benchmarks, bench_targets = _benchmarks(k, runner, fired)
    shares = [b["share"] for b in benchmarks if b["state"] != "unknown"]
    eligibility = _eligibility(k, matches, findings, runner, edition, as_of)
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "pack": {"name": rb.name, "version": rb.version, "digest": rb.digest},
        "runner_id": profile.runner_id,
    }
    if profile.name is not None:
        data["name"] = profile.name
    data.update(as_of=as_of, edition=edition.model_dump(exclude_none=True), weeks_to_race=float(runner["weeks_to_race"]),
                phase=phase, goal=profile.goal)
    if runner.get("target_goal_time") is not None:
        data["goal_time"] = _num(runner["target_goal_time"])
    data["goal_time_given"] = profile.goal_time is not None
    if profile.sex is not None:
        data["sex"] = profile.sex
    if profile.sex not in ("F", "M"):
        data["targets_note"] = "Sex not given as F or M: targets use the women's reference values."
    if shares and len(shares) >= FIT_MIN_MEASURED * len(benchmarks):
        data["fit_score"] = round(sum(shares) / len(shares))
    data.update(
        fit_measured=len(shares),
        fit_of=len(benchmarks),
        tags=[t for t in _TAGS if runner.get(t)],
        eligibility=eligibility,
        findings=[f for f in findings if f["kind"] in ("gap", "info")],
        benchmarks=benchmarks,
        emphases=emphases,
        missing=[
            {"rule_id": f["rule_id"], "field": rules[f["rule_id"]].cr.fields[0], "pillar": f["pillar"],
             "severity": f["severity"], "message": f["message"]}
            for f in findings
            if f["kind"] == "missing"
        ],
        weekly_sessions=slots,
    )
    if estimate is not None:
        data["estimate"] = _estimate_data(estimate)
    elif estimate_note:
        data["estimate_note"] = estimate_note
    data["fired_rules"] = sorted(fired)
    if catalog:
        cite = (set(fired), target_names | bench_targets, {eligibility["lottery"]["source"]})
        data["catalog"] = k.catalog_models(*cite) if catalog == "models" else k.catalog_for(*cite)
    return data


def build_report(rb: RuleBase, profile: Profile, as_of: dt.date, edition: Edition, facts: list[dict],
                 matches: list[Match], *, estimate: Any = None, estimate_note: str | None = None) -> Report:
    """The gap report from the engine's firings, validated (its catalog was, once per pack)."""
    return Report.model_validate(build_report_data(rb, profile, as_of, edition, facts, matches, catalog="models",
                                                   estimate=estimate, estimate_note=estimate_note))


def report_json(data: dict) -> bytes:
    """The JSON of :func:`build_report_data`'s result, as UTF-8 (what ``Report.to_json()`` writes)."""
    import pydantic_core

    return pydantic_core.to_json(data)
