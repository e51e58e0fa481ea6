"""``zegama batch``: a club roster from CSV, through :mod:`assessment.batch`."""

from __future__ import annotations

import contextlib
import sys
import textwrap
from pathlib import Path

import click

from .main import common_assess_options, fail

_DELIMITERS = {",": ",", ";": ";", "|": "|", "\t": "\t", "tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def _delimiter(ctx, param, value):
    if value is None:
        return None
    try:
        return _DELIMITERS[value.lower()]
    except KeyError:
        raise click.BadParameter("expected one of , ; | tab") from None


def _count_rows(path: str) -> int:
    """Non-blank lines after the header: the progress bar's length (a cell on two lines counts twice)."""
    with open(path, "rb") as fh:
        return max(sum(1 for line in fh if line.strip(b" \t\r\n;,|")) - 1, 1)


@click.command("batch")
@click.argument("roster", metavar="ROSTER.csv")
@click.option("--races", metavar="RACES.csv", help="Race history: one row per result, with the runner_id.")
@click.option("--profiles", "profiles_dir", metavar="DIR",
              help="A folder of profile files (YAML/JSON) whose races are added to the roster's runners.")
@click.option("--out", "out_dir", default="zegama-out", show_default=True, metavar="DIR", help="Where to write the outputs.")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json", "html"]), default="table", show_default=True,
              help="Format of the squad summary printed on stdout; html also writes squad.html and a page per runner.")
@click.option("--excel", is_flag=True, help="CSV outputs for a European Excel: UTF-8 with BOM, ';' and decimal commas.")
@click.option("--per-runner", is_flag=True, help="Also write one markdown report per runner in DIR/runners/.")
@click.option("--plans", is_flag=True,
              help="Also write each runner's plan to race day as a calendar, and the squad's, in DIR/plans/.")
@click.option("--delimiter", callback=_delimiter, metavar="CHAR",
              help="The roster's delimiter (, ; | or tab) when the guess is wrong.")
@click.option("--columns", "columns_path", metavar="MAP.yaml",
              help="Map headers the reader does not know to fields, e.g. 'Desnivel acumulado: dplus_m'.")
@click.option("--allow-errors", is_flag=True, help="Exit 0 even when some rows had errors.")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True, metavar="N",
              help="Processes sharing the assessments; 0: one per CPU core from 1,000 rows, else one.")
@common_assess_options
def batch_cmd(roster, races, profiles_dir, out_dir, fmt, excel, per_runner, plans, delimiter, columns_path, allow_errors,
              workers, rules_path, as_of, edition, race_date):
    """Assess a club roster from CSV: per-runner results and squad summary.

    ROSTER.csv has one row per runner; the headers are the profile field names
    (only runner_id is required). Writes assessments.csv, assessments.jsonl (one
    report a line, without its catalog), catalog.json (the pack's catalog, once),
    errors.csv, squad.md and squad.json to --out, and prints the squad summary.

    \b
    Example:
        zegama batch examples/roster.csv --races examples/races.csv --as-of 2026-12-01

    \b
    Exit codes: 0 every row assessed cleanly, 1 some rows had errors (see
    errors.csv; --allow-errors makes it 0), 2 unusable input or options.
    """
    from ..pipeline import AssessmentError
    from ..batch.run import run_batch, summary_text
    from ..batch.roster import RosterError
    from ..rules.rulebase import RuleFileError, load_rulebase

    rb = None
    if rules_path:
        try:
            rb = load_rulebase(rules_path)
        except RuleFileError as exc:
            fail(fmt, "rule_pack", str(exc),
                 [{"file": f, "rule_id": r, "message": m} for f, r, m in exc.problems], code=2)

    columns_map = None
    if columns_path:
        columns_map = _read_columns_map(fmt, columns_path)

    def warn(message: str) -> None:
        from ..model.io import printable

        click.echo(f"Warning: {printable(message)}", err=True)

    with contextlib.ExitStack() as stack:
        progress = None
        if sys.stderr.isatty() and Path(roster).is_file():
            bars = []

            def progress(n: int) -> None:
                # Started on the first row, after the warnings about the file's header.
                if not bars:
                    bars.append(stack.enter_context(click.progressbar(
                        length=_count_rows(roster), label="Assessing", file=sys.stderr, show_pos=True)))
                bars[0].update(n)
        _exit_on_terminate()
        try:
            result = run_batch(
                roster, out_dir=out_dir, races=races, profiles_dir=profiles_dir, as_of=as_of, rulebase=rb,
                edition=edition, race_date=race_date, excel=excel, per_runner=per_runner, plans=plans, html=fmt == "html",
                delimiter=delimiter, workers=workers or None, columns_map=columns_map,
                on_warning=warn, progress=progress,
            )
        except RosterError as exc:
            fail(fmt, "input", str(exc), code=2)
        except AssessmentError as exc:
            fail(fmt, "options", str(exc), code=2)
        except OSError as exc:  # the output folder cannot be written, the disk is full...
            fail(fmt, "output", f"{exc.filename or out_dir}: {exc.strerror or exc}", code=2)
        except KeyboardInterrupt:
            # run_batch removed its temporary files and left the earlier outputs as they were.
            click.echo("\nStopped: nothing was written, earlier outputs in the folder are unchanged.", err=True)
            sys.exit(EXIT_INTERRUPTED)

    s = result.summary
    if fmt == "json":
        with open(result.out_dir / "squad.json", encoding="utf-8") as fh:
            while chunk := fh.read(1 << 16):
                click.echo(chunk, nl=False)
        click.echo(s.counts_line(), err=True)
    else:
        click.echo(summary_text(s, "table" if fmt == "html" else fmt), nl=False)
        click.echo("")
        click.echo(s.counts_line())
        click.echo(textwrap.fill(f"Outputs in {result.out_dir}/: " + ", ".join(p.name for p in result.files), 80))
    if not result.clean:
        click.echo(f"{s.problems} problem{'s' if s.problems != 1 else ''} listed in {result.out_dir / 'errors.csv'}", err=True)
    sys.exit(result.exit_code(allow_errors))


def _read_columns_map(fmt: str, path: str) -> dict[str, str]:
    """``--columns MAP.yaml``: header -> field, every field checked against the two files' columns."""
    from ..batch.roster import RACE_COLUMNS, ROSTER_COLUMNS
    from ..model.io import InputError, read_document

    try:
        data = read_document(path)
    except InputError as exc:
        fail(fmt, "input", str(exc), code=2)
    known = set(ROSTER_COLUMNS) | set(RACE_COLUMNS)
    if not isinstance(data, dict) or not data:
        fail(fmt, "input", f"{path}: expected a mapping of header: field, e.g. 'Desnivel acumulado: dplus_m'", code=2)
    bad = [f"{k!r}: {v!r}" for k, v in data.items() if str(v) not in known]
    if bad:
        fail(fmt, "input", f"{path}: not a field: {', '.join(bad)} (the fields are in docs/profile.md)", code=2)
    return {str(k): str(v) for k, v in data.items()}


#: Exit codes of a run stopped by a signal: 128 + the signal's number, as shells report them.
EXIT_INTERRUPTED = 130  # Ctrl-C (SIGINT)
EXIT_TERMINATED = 143  # kill (SIGTERM)


def _exit_on_terminate() -> None:
    """SIGTERM ends the run like Ctrl-C: the ``finally`` of run_batch stops the workers and
    removes every temporary file, then the process exits 143."""
    import signal

    def handler(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: the cleanup must not be interrupted
        click.echo("\nTerminated: nothing was written, earlier outputs in the folder are unchanged.", err=True)
        raise SystemExit(EXIT_TERMINATED)

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (embedded): the caller's handlers stay
        pass
