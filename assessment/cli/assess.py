"""``zegama assess``: one runner's profile in, the gap report out."""

from __future__ import annotations

import click

from .main import common_assess_options, fail, write_output, load_pack_or_exit


@click.command("assess")
@click.argument("profile", metavar="PROFILE.yaml|.json|-")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json", "html", "summary"]), default="table",
              show_default=True, help="html: one self-contained page with charts (best with -o report.html); "
                                      "summary: the one printed page (HTML): entry, estimate, priorities, this week.")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout.")
@common_assess_options
def assess_cmd(profile, fmt, output, rules_path, as_of, edition, race_date):
    """Assess one runner's profile against Zegama's demands.

    PROFILE is a YAML or JSON file with the profile fields, or - for stdin.

    \b
    Exit codes: 0 report written, 1 invalid profile or options, 2 usage error.
    """
    from ..pipeline import AssessmentError, assess
    from ..model.io import InputError, read_document
    from ..model.profile import ProfileError
    from ..report.render import render

    rb = load_pack_or_exit(rules_path, fmt)
    try:
        data = read_document(profile)
        report = assess(data, as_of=as_of, rulebase=rb, edition=edition, race_date=race_date)
    except InputError as exc:
        fail(fmt, "input", str(exc))
    except ProfileError as exc:
        fail(fmt, "invalid_profile", f"invalid profile: {exc}",
             [{"field": f, "message": m} for f, m in exc.problems])
    except AssessmentError as exc:
        fail(fmt, "assessment", str(exc))
    if fmt == "summary":
        from ..plan import PlanError, build_plan
        from ..plan.render import summary_html

        try:
            plan = build_plan(report, rb)
        except PlanError:
            plan = None  # a pack without plan rules: the page has no week and no milestone
        text = summary_html(report, plan)
    else:
        text = render(report, fmt, profile=data, rulebase=rb)
    if output:
        write_output(fmt, output, text)
    else:
        click.echo(text, nl=False)
