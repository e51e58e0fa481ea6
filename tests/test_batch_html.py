"""`zegama batch --format html`: a squad page linked to one page per runner."""

import csv
import re

from click.testing import CliRunner

from assessment.cli.main import main
from tests.conftest import ROOT


def test_batch_html_writes_linked_pages(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["batch", str(ROOT / "examples/roster.csv"), "--races", str(ROOT / "examples/races.csv"),
         "--as-of", "2026-12-01", "--format", "html", "--out", str(out), "--allow-errors"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    squad = (out / "squad.html").read_text()
    with open(out / "assessments.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assessed = [r for r in rows if r["status"] == "assessed"]
    assert assessed and all(r["report_file"].endswith(".html") for r in assessed)
    links = set(re.findall(r'href="(runners/[^"]+\.html)"', squad))
    assert links == {r["report_file"] for r in assessed}
    for link in links:
        page = (out / link).read_text()
        assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    # Self-contained: no scripts and nothing fetched from elsewhere.
    assert "<script" not in squad and 'src="http' not in squad


def test_batch_html_and_markdown_pages_together(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["batch", str(ROOT / "examples/roster.csv"), "--as-of", "2026-12-01", "--format", "html",
         "--per-runner", "--out", str(out), "--allow-errors"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    names = {p.suffix for p in (out / "runners").iterdir()}
    assert names == {".md", ".html"}
