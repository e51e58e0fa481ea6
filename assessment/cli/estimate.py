"""``zegama estimate``: what time a runner's results point to, and the barriers."""

from __future__ import annotations

import click

from .main import fail, load_pack_or_exit, parse_date


@click.command("estimate")
@click.argument("profile", metavar="PROFILE.yaml|.json|-")
@click.option("--as-of", callback=parse_date, metavar="DATE", help="Estimate date, YYYY-MM-DD (default: today).")
@click.option("--course-km", type=click.FloatRange(1, 400), metavar="K", help="Another course: its distance in km.")
@click.option("--course-dplus", type=click.FloatRange(0, 30000), metavar="M", help="... and its climb in m (with --course-km).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--rules", "rules_path", metavar="PATH", help="A custom rule pack folder (may extend the built-in one).")
def estimate_cmd(profile, as_of, course_km, course_dplus, fmt, rules_path):
    """Estimate a finishing time, with its 80% interval and the barrier arrivals.

    PROFILE is a YAML or JSON profile (or - for stdin): its finished races and its VK or uphill
    test. The course is Zegama unless --course-km (and --course-dplus) say otherwise; barriers
    are only given for Zegama.

    \b
    Examples:
        zegama estimate examples/profiles/skimo.yaml
        zegama estimate ana.yaml --course-km 31 --course-dplus 2200 --format json

    \b
    Exit codes: 0 estimate written, 1 invalid profile or nothing to estimate from, 2 usage error.
    """
    from ..estimate.finish import EstimateError
    from ..pipeline import estimate_finish
    from ..estimate.render import render_estimate
    from ..model.io import InputError, read_document
    from ..model.profile import ProfileError

    if course_dplus is not None and course_km is None:
        raise click.UsageError("--course-dplus needs --course-km")
    rb = load_pack_or_exit(rules_path, fmt)
    course = None if course_km is None else {"distance_km": course_km, "dplus_m": course_dplus or 0}
    try:
        data = read_document(profile)
        est = estimate_finish(data, as_of=as_of, course=course, rulebase=rb)
    except InputError as exc:
        fail(fmt, "input", str(exc))
    except ProfileError as exc:
        fail(fmt, "invalid_profile", f"invalid profile: {exc}", [{"field": f, "message": m} for f, m in exc.problems])
    except EstimateError as exc:
        fail(fmt, "estimate", str(exc))
    click.echo(render_estimate(est, fmt), nl=False)
