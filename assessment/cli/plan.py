"""``zegama plan``: the weeks to race day, their sessions and milestones, in a table or a calendar."""

from __future__ import annotations

import click

from .main import common_assess_options, fail, load_pack_or_exit, write_output

FORMATS = ["table", "markdown", "json", "html", "ics"]


@click.command("plan")
@click.argument("profile", metavar="PROFILE|-")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
              help="ics: a calendar to import (one event a week, milestones with reminders).")
@click.option("-o", "--output", metavar="FILE", help="Write the plan to FILE (atomically) instead of stdout.")
@common_assess_options
def plan_cmd(profile, fmt, output, rules_path, as_of, edition, race_date):
    """The plan to race day: every week from --as-of, by phase, with its sessions, its load and
    the milestones that fall in it (re-tests, tune-up races, pre-registration, the draw, race day).

    \b
    Example:
        zegama plan examples/profiles/skimo.yaml --as-of 2026-12-01
        zegama plan profile.yaml --format ics -o zegama.ics

    \b
    Exit codes: 0 written, 1 invalid profile or no plan (the race is past), 2 usage or output error.
    """
    from ..model.io import InputError, read_document
    from ..model.profile import ProfileError
    from ..pipeline import AssessmentError, assess
    from ..plan import PlanError, build_plan
    from ..plan.ics import to_ics
    from ..plan.render import to_html, to_json, to_markdown, to_text

    err_fmt = "json" if fmt == "json" else "table"
    rb = load_pack_or_exit(rules_path, err_fmt)
    try:
        data = read_document(profile)
        report = assess(data, as_of=as_of, rulebase=rb, edition=edition, race_date=race_date)
        plan = build_plan(report, rb)
    except InputError as exc:
        fail(err_fmt, "input", str(exc))
    except ProfileError as exc:
        fail(err_fmt, "invalid_profile", f"invalid profile: {exc}", [{"field": f, "message": m} for f, m in exc.problems])
    except (AssessmentError, PlanError) as exc:
        fail(err_fmt, "plan", _with_next_edition(str(exc), rb, as_of))
    if fmt == "ics":
        text = to_ics(plan).decode("utf-8")
    else:
        text = {"table": to_text, "markdown": to_markdown, "json": to_json, "html": to_html}[fmt](plan)
    if output:
        write_output(err_fmt, output, text)
    else:
        click.echo(text, nl=False)


def _with_next_edition(message: str, rb, as_of) -> str:
    """A race already run: name the next edition the pack knows, so the runner can plan for it."""
    import datetime as dt

    from ..rules.edition import parse_date

    if "before the assessment date" not in message:
        return message
    day = as_of or dt.date.today()
    later = sorted(int(y) for y, e in (rb.race.get("editions") or {}).items()
                   if parse_date(e["race_date"]["value"]) >= day)
    hint = f"; plan for {later[0]} with --edition {later[0]}" if later else \
        "; the next edition is not in the race data yet: pass --race-date when it is announced"
    return message + hint
