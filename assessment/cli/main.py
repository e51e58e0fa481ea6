"""The ``zegama`` command: a thin layer over the library.

Commands are imported only when they run, so ``zegama --help`` stays fast.
Exit codes: 0 ok, 1 invalid input (profile, rule pack, options that cannot
work), 2 usage error.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys

import click

#: name -> (module:function, one-line help). Each command lives in its own module.
COMMANDS: dict[str, tuple[str, str]] = {
    "assess": ("assessment.cli.assess:assess_cmd", "Assess one runner's profile against Zegama's demands."),
    "interview": ("assessment.cli.interview:interview_cmd", "Answer questions at the terminal and get your report."),
    "questions": ("assessment.cli.interview:questions_cmd", "Print the questionnaire as JSON, YAML or markdown."),
    "batch": ("assessment.cli.batch:batch_cmd", "Assess a club roster from CSV: per-runner results and squad summary."),
    "rules": ("assessment.cli.rules:rules_group", "List, show, validate, test and export rule packs."),
    "schema": ("assessment.cli.rules:schema_cmd", "Print the JSON Schema of profiles, reports or rule files."),
    "estimate": ("assessment.cli.estimate:estimate_cmd", "Estimate a finishing time and the barrier arrivals."),
    "explain": ("assessment.cli.rules:explain_cmd", "Why a rule did or did not fire for a runner, value by value."),
    "progress": ("assessment.cli.progress:progress_cmd", "Compare two assessments of the same runner or roster."),
    "import": ("assessment.cli.activities:import_cmd", "Derive profile values from FIT, GPX and TCX files or exports."),
    "plan": ("assessment.cli.plan:plan_cmd", "The plan to race day, week by week; a calendar to import."),
    "template": ("assessment.cli.template:template_cmd", "Write an empty roster or races CSV with a line of hints."),
    "serve": ("assessment.cli.serve:serve_cmd", "The questionnaire, a coach's squad and an HTTP API in a browser."),
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


def error_json(kind: str, message: str, problems: list | None = None) -> str:
    body = {"error": {"type": kind, "message": message}}
    if problems:
        body["error"]["problems"] = problems
    return json.dumps(body, ensure_ascii=False, indent=2) + "\n"


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
    # A terminal that cannot show a character (PYTHONIOENCODING=latin-1 and an emoji in a
    # name) gets a replacement mark, not a traceback.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None and hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


#: Dates the tool reasons about: the race began in 2002; far outside, date arithmetic overflows.
DATE_RANGE = (dt.date(1900, 1, 1), dt.date(2200, 12, 31))


def parse_date(ctx, param, value):
    if value is None or isinstance(value, dt.date):
        return value
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date as YYYY-MM-DD, got {value!r}") from None
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise click.BadParameter(f"{value} is outside the years this tool knows "
                                 f"({DATE_RANGE[0].year} to {DATE_RANGE[1].year})")
    return day


def write_output(fmt: str, path: str, text: str) -> None:
    """``-o PATH``: a regular file replaced atomically, a symlink's target, a FIFO or device
    written directly, ``-`` to stdout; a failure is one clear line (JSON with --format json), exit 2."""
    from ..model.io import write_atomic

    if path == "-":
        click.echo(text, nl=False)
        return
    try:
        write_atomic(path, text)
    except OSError as exc:
        fail(fmt, "output", f"{path}: cannot be written: {exc.strerror or exc}", code=2)


def common_assess_options(func):
    """Options shared by every command that runs an assessment."""
    func = click.option("--race-date", callback=parse_date, metavar="DATE",
                        help="Race day, overriding the pack (e.g. when the next edition is announced).")(func)
    func = click.option("--edition", type=int, metavar="YEAR", help="Target edition (default: the next one after --as-of).")(func)
    func = click.option("--as-of", callback=parse_date, metavar="DATE", help="Assessment date, YYYY-MM-DD (default: today).")(func)
    func = click.option("--rules", "rules_path", metavar="PATH", help="A custom rule pack folder (may extend the built-in one).")(func)
    return func


def load_pack_or_exit(rules_path, fmt: str = "table"):
    from ..rules.rulebase import RuleFileError, load_rulebase

    if rules_path is None:
        from ..rules.rulebase import default_rulebase

        return default_rulebase()
    try:
        return load_rulebase(rules_path)
    except RuleFileError as exc:
        fail(fmt, "rule_pack", str(exc), [{"file": f, "rule_id": r, "message": m} for f, r, m in exc.problems])


def fail(fmt: str, kind: str, message: str, problems: list | None = None, code: int = 1):
    if fmt == "json":
        click.echo(error_json(kind, message, problems), nl=False)
    else:
        from ..model.io import printable

        # One problem a line; what came from the input is escaped, never sent raw to the terminal.
        click.echo("Error: " + "\n".join(printable(line) for line in message.split("\n")), err=True)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()
