"""``zegama template``: an empty roster or races CSV with every column and a line of hints."""

from __future__ import annotations

import click

from .main import write_output


@click.command("template")
@click.argument("file", metavar="FILE")
@click.option("--kind", type=click.Choice(["roster", "races"]), default=None,
              help="Which file (default: races when FILE's name says 'race', else roster).")
@click.option("--delimiter", type=click.Choice([",", ";"]), default=",", show_default=True,
              help="';' for a European Excel.")
def template_cmd(file, kind, delimiter):
    """Write FILE: a roster (or races) CSV with every column and a line of hints.

    The hints line starts with '#': zegama batch skips it, so it may stay.

    \b
    Example:
        zegama template roster.csv
        zegama template races.csv
    """
    from pathlib import Path

    from ..batch.template import template_csv

    kind = kind or ("races" if "race" in Path(file).name.lower() else "roster")
    text = template_csv(kind, delimiter)
    if file == "-":
        click.echo(text, nl=False)
        return
    write_output("table", file, text)
    click.echo(f"Wrote {file}: the {kind} template ({len(text.splitlines()[0].split(delimiter))} columns).")
