"""``zegama rules …``, ``zegama schema`` and ``zegama explain``: a thin layer over the library.

Modelled on how linters treat their rules: list them, show one with its
rationale and fixtures, validate a pack, run the fixtures, export the compiled
form. Exit codes: 0 ok, 1 invalid input or failing checks, 2 usage error.
"""

from __future__ import annotations

import json
from typing import Any

import click

from .main import common_assess_options, fail, load_pack_or_exit, write_output

FORMATS = click.Choice(["text", "json"])


def _emit(text: str, output: str | None, fmt: str = "text") -> None:
    if output:
        write_output("json" if fmt == "json" else "table", output, text)
    else:
        click.echo(text, nl=False)


def _pack_label(rb) -> str:
    from pathlib import Path

    parent = f", extends {', '.join(Path(layer).name for layer in rb.layers[:-1])}" if len(rb.layers) > 1 else ""
    return f"{rb.name} {rb.version} ({rb.digest}{parent})"


# =========================================================================== rules

@click.group("rules")
def rules_group() -> None:
    """List, show, validate, test and export rule packs.

    \b
    Examples:
        zegama rules list --pillar strength
        zegama rules show UP001
        zegama rules validate examples/custom_pack
        zegama rules test examples/custom_pack
        zegama rules export --format durable-json -o ruleset.json
    """


@rules_group.command("list")
@click.option("--pillar", help="Only the rules of this pillar (e.g. uphill_power, eligibility).")
@click.option("--rules", "rules_path", metavar="PATH", help="A rule pack folder (default: the built-in pack).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def list_cmd(pillar, rules_path, fmt):
    """List the rules of a pack: id, pillar, kind and title."""
    from tabulate import tabulate

    from ..rules.rulebase import RULE_PILLARS

    if pillar is not None and pillar not in RULE_PILLARS:
        fail(fmt, "options", f"unknown pillar {pillar!r} (known: {', '.join(RULE_PILLARS)})")
    rb = load_pack_or_exit(rules_path, fmt)
    rules = [cr for _, cr in sorted(rb.rules.items()) if pillar is None or cr.rule.pillar == pillar]
    if fmt == "json":
        rows = [{"id": cr.id, "pillar": cr.rule.pillar, "kind": cr.rule.kind, "title": cr.rule.title, "file": cr.file}
                for cr in rules]
        click.echo(json.dumps({"pack": rb.name, "version": rb.version, "rules": rows}, indent=2, ensure_ascii=False))
        return
    rows = [[cr.id, cr.rule.pillar, cr.rule.kind, cr.rule.title] for cr in rules]
    # Fit 80 columns: the title gets what the other columns leave.
    used = sum(max([len(h)] + [len(r[i]) for r in rows]) + 2 for i, h in enumerate(["id", "pillar", "kind"]))
    click.echo(tabulate(rows, headers=["id", "pillar", "kind", "title"], tablefmt="simple",
                        maxcolwidths=[None, None, None, max(30, 80 - used)]))
    click.echo(f"\n{len(rules)} rule(s) in {_pack_label(rb)}")


def _target_values(rb, name: str) -> dict[str, Any]:
    """A parameter's value for every combination of what it depends on, formatted (scaled ones computed)."""
    p = rb.parameters[name]
    if not p.by:
        return {"": rb.format_param(name, rb.constant(name))}
    return {" ".join(f"{d}={v}" for d, v in zip(p.by, key)): rb.format_param(name, value)
            for key, value in rb.level_table(name).items()}


def _target_grid(rb, name: str) -> list[str]:
    from tabulate import tabulate

    p = rb.parameters[name]
    if not p.by:
        return [f"value: {rb.format_param(name, rb.constant(name))}"]
    table = rb.level_table(name)
    if len(p.by) == 2:
        rows_keys = list(dict.fromkeys(k[0] for k in table))
        col_keys = list(dict.fromkeys(k[1] for k in table))
        grid = [[r] + [rb.format_param(name, table[(r, c)]) for c in col_keys] for r in rows_keys]
        return tabulate(grid, headers=[f"{p.by[0]} \\ {p.by[1]}"] + col_keys, tablefmt="simple").splitlines()
    return [f"{k}: {v}" for k, v in _target_values(rb, name).items()]


def target_details(rb, name: str) -> dict:
    """A target as data: its values by goal, sex or age band, how they are computed, and why."""
    p = rb.parameters[name]
    return {
        "name": name,
        "description": p.description,
        "unit": p.unit,
        "by": list(p.by),
        "values": _target_values(rb, name),
        "scale": p.scale.model_dump() if p.scale else None,
        "override": p.override,
        "derivation": " ".join(p.derivation.split()) if p.derivation else None,
        "confidence": p.confidence,
        "sources": [{"key": k, "title": rb.sources[k].title, "url": rb.sources[k].url} for k in p.sources],
        "rules": sorted(rid for rid, cr in rb.rules.items() if name in cr.params),
    }


def _target_text(rb, t: dict) -> list[str]:
    import textwrap

    out = [f"  {t['name']}: {t['description']} ({t['unit']})"]
    out += ["    " + line for line in _target_grid(rb, t["name"])]
    if t.get("override"):
        out.append(f"    a runner's own {t['override']} replaces it")
    if t.get("scale"):
        s = t["scale"]
        factor = ", ".join(f"{k} {v:g}" for k, v in s["factor"].items())
        out += textwrap.wrap(f"computed: {s['of']} x factor ({factor})" + (f" ^ {s['power']:g}" if s["power"] != 1 else "")
                             + (f", at least {s['min']}" if s.get("min") else "") + (f", at most {s['max']}" if s.get("max") else ""),
                             74, initial_indent="    ", subsequent_indent="      ")
    if t["derivation"]:
        out += textwrap.wrap("derivation: " + t["derivation"], 74, initial_indent="    ", subsequent_indent="      ")
    if t["confidence"]:
        out.append(f"    confidence: {t['confidence']}")
    for s in t["sources"]:
        out.append(f"    source [{s['key']}]: {s['title']} <{s['url']}>")
    return out


def rule_details(rb, rule_id: str) -> dict:
    """Everything ``rules show`` prints, as data."""
    from ..rules.conditions import describe

    cr = rb.rules[rule_id]
    r = cr.rule
    targets = [target_details(rb, name) for name in cr.params]

    def cases(items):
        return [{"profile": c.profile, **({"as_of": c.as_of.isoformat()} if c.as_of else {}),
                 **({"note": c.note} if c.note else {})} for c in items]

    return {
        "id": r.id,
        "title": r.title,
        "pillar": r.pillar,
        "kind": r.kind,
        "fact": r.fact,
        "file": cr.file,
        "outcome": r.outcome,
        "condition": describe(cr.cond),
        "when": r.when,
        "asserts": {"kind": r.asserts.kind, "copy": list(r.asserts.copy_fields)} if r.asserts else None,
        "targets": targets,
        "message": r.message,
        "rationale": r.rationale,
        "prescription": r.prescription,
        "test": r.test,
        "sources": [{"key": k, "title": rb.sources[k].title, "url": rb.sources[k].url} for k in r.sources],
        "examples": {"fires": cases(r.examples.fires), "does_not_fire": cases(r.examples.does_not_fire)},
    }


def _show_text(rb, d: dict) -> str:
    import textwrap

    def para(label: str, text: str | None) -> list[str]:
        if not text:
            return []
        return [f"{label}:"] + textwrap.wrap(" ".join(text.split()), 76, initial_indent="  ", subsequent_indent="  ")

    out = [f"{d['id']}  {d['title']}", ""]
    out.append(f"pillar: {d['pillar']}   kind: {d['kind']}" + (f"   outcome: {d['outcome']}" if d["outcome"] else "")
               + f"   fact: {d['fact']}   file: {d['file']}")
    out += ["", f"Fires when (on each {d['fact']} fact):"] + ["  " + line for line in d["condition"].splitlines()]
    if d["asserts"]:
        out += textwrap.wrap(f"Then asserts a {d['asserts']['kind']} fact with "
                             f"{', '.join(d['asserts']['copy']) or 'no fields'} (for the rules that read it).",
                             78, subsequent_indent="  ")
    if d["targets"]:
        out += ["", "Targets:"]
        for t in d["targets"]:
            out += _target_text(rb, t)
    out.append("")
    out += para("Message", d["message"])
    out += para("Rationale", d["rationale"])
    advice = d["prescription"]
    if isinstance(advice, dict):  # one text per training phase
        for phase, text in advice.items():
            out += para(f"Prescription ({phase.replace('_', '-')})", text)
    else:
        out += para("Prescription", advice)
    out += para("Test", d["test"])
    out += ["Sources:"] + [f"  [{s['key']}] {s['title']} <{s['url']}>" for s in d["sources"]]
    for label, key in (("Example profiles that fire it", "fires"), ("Example profiles that do not fire it", "does_not_fire")):
        out += ["", f"{label}:"]
        for case in d["examples"][key]:
            extra = (f"  (as of {case['as_of']})" if "as_of" in case else "") + (f"  # {case['note']}" if "note" in case else "")
            out.append("  - " + json.dumps(case["profile"], ensure_ascii=False, default=str) + extra)
    return "\n".join(out) + "\n"


@rules_group.command("show")
@click.argument("rule_id")
@click.option("--rules", "rules_path", metavar="PATH", help="A rule pack folder (default: the built-in pack).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def show_cmd(rule_id, rules_path, fmt):
    """Show one rule: condition in words, targets with sources, rationale, examples."""
    rb = load_pack_or_exit(rules_path, fmt)
    rid = rb.resolve(rule_id)
    if rid != rule_id.strip().upper() and fmt != "json":
        click.echo(f"{rule_id.strip().upper()} was renamed {rid}.\n")
    if rid not in rb.rules:
        near = [r for r in sorted(rb.rules) if r[:2] == rid[:2]] or sorted(rb.rules)
        fail(fmt, "unknown_rule", f"no rule {rule_id!r} in {rb.name}; try one of: {', '.join(near[:12])}")
    details = rule_details(rb, rid)
    if fmt == "json":
        click.echo(json.dumps(details, indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(_show_text(rb, details), nl=False)


def _problems_json(exc) -> list[dict]:
    return [{"file": f, "rule_id": r, "message": m} for f, r, m in exc.problems]


@rules_group.command("targets")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--rules", "rules_path", metavar="PATH", help="A rule pack folder (default: the built-in pack).")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def targets_cmd(names, rules_path, fmt):
    """Every target of the pack (or those NAMEd): its values by goal and sex, how it is computed, its sources.

    \b
    Examples:
        zegama rules targets goal_time vk_time
        zegama rules targets --format json
    """
    rb = load_pack_or_exit(rules_path, fmt)
    unknown = [n for n in names if n not in rb.parameters]
    if unknown:
        fail(fmt, "unknown_target", f"no target {', '.join(map(repr, unknown))} in {rb.name}; "
                                    f"see `zegama rules targets` for the list")
    details = [target_details(rb, n) for n in (names or sorted(rb.parameters))]
    if fmt == "json":
        click.echo(json.dumps(details, indent=2, ensure_ascii=False, default=str))
        return
    out = []
    for t in details:
        out += _target_text(rb, t)
        if t["rules"]:
            out.append(f"    used by: {', '.join(t['rules'])}")
        out.append("")
    click.echo("\n".join(out), nl=True)


@rules_group.command("validate")
@click.argument("path", required=False, metavar="[PATH]")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def validate_cmd(path, fmt):
    """Check a rule pack and report every problem with its file and rule id.

    Checks YAML syntax, the schema of every file, unknown fields, duplicate ids,
    operator types, unknown fields and parameters in conditions, message
    placeholders, sources, and that each rule has examples that fire it and
    examples that do not. PATH defaults to the built-in pack. Exit 1 on any problem.
    """
    from ..rules.rulebase import RuleFileError, load_rulebase

    try:
        rb = load_rulebase(path)
    except RuleFileError as exc:
        if fmt == "json":
            fail(fmt, "rule_pack", f"{len(exc.problems)} problem(s) in {path or 'the built-in pack'}", _problems_json(exc))
        for f, rid, msg in exc.problems:
            click.echo(f"{f}: {rid + ': ' if rid else ''}{msg}")
        click.echo(f"\n{len(exc.problems)} problem(s) in {path or 'the built-in pack'}", err=True)
        raise SystemExit(1)
    summary = {"ok": True, "pack": rb.name, "version": rb.version, "digest": rb.digest, "layers": rb.layers,
               "rules": len(rb.rules), "parameters": len(rb.parameters), "sources": len(rb.sources)}
    if fmt == "json":
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(f"OK: {_pack_label(rb)}: {len(rb.rules)} rules, {len(rb.parameters)} parameters, "
                   f"{len(rb.sources)} sources")


@rules_group.command("test")
@click.argument("path", required=False, metavar="[PATH]")
@click.option("--rule", "rule_ids", multiple=True, metavar="ID", help="Only this rule (repeatable).")
@click.option("--engine", type=click.Choice(["durable", "reference"]), default="durable", show_default=True,
              help="Run the examples on durable-rules or on the plain-Python evaluator.")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
def test_cmd(path, rule_ids, engine, fmt):
    """Run the example profiles stored beside each rule (must fire / must not fire).

    PATH defaults to the built-in pack. Exit 1 if any example disagrees.
    """
    from ..rules.examples import run_examples

    rb = load_pack_or_exit(path, fmt)
    wanted = [r.strip().upper() for r in rule_ids]
    unknown = [r for r in wanted if r not in rb.rules]
    if unknown:
        fail(fmt, "unknown_rule", f"no rule {', '.join(unknown)} in {rb.name}")
    results = run_examples(rb, wanted or None, engine=engine)
    failed = [r for r in results if not r.ok]
    by_rule: dict[str, list] = {}
    for r in results:
        by_rule.setdefault(r.rule_id, []).append(r)
    if fmt == "json":
        body = {
            "pack": rb.name, "version": rb.version, "engine": engine,
            "passed": len(results) - len(failed), "failed": len(failed),
            "rules": [{"id": rid, "ok": all(x.ok for x in rs),
                       "cases": [{"expectation": x.expectation, "index": x.index, "ok": x.ok, "detail": x.detail} for x in rs]}
                      for rid, rs in by_rule.items()],
        }
        click.echo(json.dumps(body, indent=2))
    else:
        for rid, rs in by_rule.items():
            fires = sum(1 for x in rs if x.expectation == "fires")
            status = "PASS" if all(x.ok for x in rs) else "FAIL"
            click.echo(f"{status}  {rid}  {fires} fire, {len(rs) - fires} do not fire")
            for x in rs:
                if not x.ok:
                    click.echo(f"      {x.expectation} #{x.index}: {x.detail}")
        click.echo(f"\n{len(by_rule)} rules, {len(results)} examples: {len(results) - len(failed)} passed, "
                   f"{len(failed)} failed ({engine} engine, {_pack_label(rb)})")
    if failed:
        raise SystemExit(1)


@rules_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["durable-json"]), default="durable-json", show_default=True)
@click.option("--rules", "rules_path", metavar="PATH", help="A rule pack folder (default: the built-in pack).")
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
def export_cmd(fmt, rules_path, output):
    """Write the compiled durable-rules ruleset as JSON.

    The result is ``{ruleset_name: {rule_id: {"all": [...], "pri": n, "run": rule_id}}}``:
    another durable-rules host registers it after replacing each ``run`` with its
    own action. Facts carry a ``kind`` (runner, race, ...) and per-runner targets
    as ``target_<parameter>`` fields, as ``zegama`` builds them. The host should
    add a rule that matches every fact, so that a fact no rule wants does not
    abort the batch, and the actions of rules that assert facts (``zegama rules
    show ID`` says which) should assert them, for the rules that read them.
    """
    from ..rules.compiler import export_durable

    rb = load_pack_or_exit(rules_path, "text")
    _emit(json.dumps(export_durable(rb), indent=2, sort_keys=True) + "\n", output)


# =========================================================================== schema

@click.command("schema")
@click.argument("name", type=click.Choice(["profile", "report", "rules"]))
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
def schema_cmd(name, output):
    """Print the JSON Schema of profiles, reports or rule files.

    \b
    profile  what `zegama assess` and assess() accept
    report   what they return (versioned: see schema_version in every report)
    rules    a rule file of a pack (rules/*.yaml)
    """
    from ..schemas import schema

    _emit(json.dumps(schema(name), indent=2, ensure_ascii=False) + "\n", output)


# =========================================================================== explain

@click.command("explain")
@click.argument("profile", metavar="PROFILE.yaml|.json|-")
@click.argument("rule_id")
@click.option("--format", "fmt", type=FORMATS, default="text", show_default=True)
@common_assess_options
def explain_cmd(profile, rule_id, fmt, rules_path, as_of, edition, race_date):
    """Why RULE_ID did or did not fire for this runner, value by value.

    Every comparison of the rule's condition is shown with the runner's value,
    the operator, and the target it was compared with (with its sources), and
    whether it was true, false or unknown (a missing value).
    """
    from ..pipeline import AssessmentError
    from ..rules.explain import ExplainError, explain, to_text
    from ..model.io import InputError, read_document
    from ..model.profile import ProfileError

    rb = load_pack_or_exit(rules_path, fmt)
    rid = rb.resolve(rule_id)
    try:
        data = read_document(profile)
        result = explain(data, rid, as_of=as_of, rulebase=rb, edition=edition, race_date=race_date)
    except InputError as exc:
        fail(fmt, "input", str(exc))
    except ProfileError as exc:
        fail(fmt, "invalid_profile", f"invalid profile: {exc}", [{"field": f, "message": m} for f, m in exc.problems])
    except ExplainError as exc:
        fail(fmt, "unknown_rule", str(exc))
    except AssessmentError as exc:
        fail(fmt, "assessment", str(exc))
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        click.echo(to_text(result), nl=False)
