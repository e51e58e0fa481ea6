"""``zegama progress``: compare two assessments of the same runner or roster."""

from __future__ import annotations

import click

from .main import fail, write_output


@click.command("progress")
@click.argument("old", metavar="OLD.json")
@click.argument("new", metavar="NEW.json")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json", "html"]), default="table",
              show_default=True)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (atomically) instead of stdout.")
def progress_cmd(old, new, fmt, output):
    """Compare two assessments of the same runner or roster.

    OLD and NEW are two saved reports of one runner (`zegama assess --format
    json`), or two batch outputs of one roster (assessments.jsonl), the earlier
    first. With one of each, the runner is looked up in the batch output.
    Shows per pillar and per benchmark the change, the gaps closed and opened,
    and the entry profile before and after.

    \b
    Exit codes: 0 written, 1 unreadable input or not the same runner/roster, 2 usage error.
    """
    from ..report.progress import ProgressError, compare_files
    from ..report.render import render_progress

    try:
        result = compare_files(old, new)
    except ProgressError as exc:
        fail(fmt, "input", str(exc))
    text = render_progress(result, fmt)
    if output:
        write_output(fmt, output, text)
    else:
        click.echo(text, nl=False)
