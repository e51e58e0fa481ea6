"""The ``zegama`` command: a thin layer over the library.

Commands are imported only when they run, so ``zegama --help`` stays fast.
Exit codes: 0 ok, 1 invalid input (profile, rule pack, options that cannot
work), 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys

import click

#: name -> (module:function, one-line help). Each command lives in its own module.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("assessment.cli:assess_cmd", "Assess one runner's profile against Zegama's demands."),
    "interview": ("assessment.interview_cli:interview_cmd", "Answer questions at the terminal and get your report."),
    "questions": ("assessment.interview_cli:questions_cmd", "Print the questionnaire as JSON, YAML or markdown."),
    "batch": ("assessment.batch_cli:batch_cmd", "Assess a club roster from CSV: per-runner results and squad summary."),
    "rules": ("assessment.rules_cli:rules_group", "List, show, validate, test and export rule packs."),
    "schema": ("assessment.rules_cli:schema_cmd", "Print the JSON Schema of profiles, reports or rule files."),
    "explain": ("assessment.rules_cli:explain_cmd", "Why a rule did or did not fire for a runner, value by value."),
    "progress": ("assessment.progress_cli:progress_cmd", "Compare two assessments of the same runner or roster."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name][0].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zegama-assess", prog_name="zegama")
def main() -> None:
    """How far is a runner from what Zegama-Aizkorri demands, can they get in,
    and what should they train first?

    \b
    Example:
        zegama assess examples/profiles/skimo.yaml
        zegama assess profile.json --format json --as-of 2026-12-01
    """


def parse_date(ctx, param, value):
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def common_assess_options(func):
    """Options shared by every command that runs an assessment."""
    func = click.option("--race-date", callback=parse_date, metavar="DATE",
                        help="Race day, overriding the pack (e.g. when the next edition is announced).")(func)
    func = click.option("--edition", type=int, metavar="YEAR", help="Target edition (default: the next one after --as-of).")(func)
    func = click.option("--as-of", callback=parse_date, metavar="DATE", help="Assessment date, YYYY-MM-DD (default: today).")(func)
    func = click.option("--rules", "rules_path", metavar="PATH", help="A custom rule pack folder (may extend the built-in one).")(func)
    return func


def load_pack_or_exit(rules_path, fmt: str = "table"):
    from .rulebase import RuleFileError, load_rulebase

    if rules_path is None:
        from .pipeline import default_rulebase

        return default_rulebase()
    try:
        return load_rulebase(rules_path)
    except RuleFileError as exc:
        fail(fmt, "rule_pack", str(exc), [{"file": f, "rule_id": r, "message": m} for f, r, m in exc.problems])


def fail(fmt: str, kind: str, message: str, problems: list | None = None, code: int = 1):
    from .render import error_json

    if fmt == "json":
        click.echo(error_json(kind, message, problems), nl=False)
    else:
        click.echo(f"Error: {message}", err=True)
    sys.exit(code)


@click.command("assess")
@click.argument("profile", metavar="PROFILE.yaml|.json|-")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json", "html"]), default="table", show_default=True,
              help="html: one self-contained page with charts (best with -o report.html).")
@click.option("-o", "--output", metavar="FILE", help="Write the report to FILE (atomically) instead of stdout.")
@common_assess_options
def assess_cmd(profile, fmt, output, rules_path, as_of, edition, race_date):
    """Assess one runner's profile against Zegama's demands.

    PROFILE is a YAML or JSON file with the profile fields, or - for stdin.

    \b
    Exit codes: 0 report written, 1 invalid profile or options, 2 usage error.
    """
    from .pipeline import AssessmentError, assess
    from .io import InputError, read_document, write_atomic
    from .profile import ProfileError
    from .render import render

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
    text = render(report, fmt, profile=data, rulebase=rb)
    if output:
        write_atomic(output, text)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":  # pragma: no cover
    main()
