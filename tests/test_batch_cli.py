"""`zegama batch` through click's CliRunner, and once in a real terminal."""

import csv
import io
import json
import os
import pty
import select
import subprocess
import sys
import tempfile

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from assessment.cli.main import main
from assessment.model.profile import load_profile
from assessment.batch.roster import RACE_COLUMNS, ROSTER_COLUMNS, profile_to_row
from tests import strategies
from tests.conftest import ROOT

AS_OF = "2026-12-01"
ROSTER = str(ROOT / "examples" / "roster.csv")
RACES = str(ROOT / "examples" / "races.csv")


def run(*args):
    return CliRunner().invoke(main, ["batch", *map(str, args)], catch_exceptions=False)


def test_readme_command_on_the_example_club(tmp_path):
    out = tmp_path / "zegama-out"
    result = run(ROSTER, "--races", RACES, "--as-of", AS_OF, "--out", out)
    assert result.exit_code == 1  # one bad value (squat "80 kg"), listed in errors.csv
    lines = result.stdout.splitlines()
    assert "read 20, assessed 20, not assessed 0, problems 1 (errors.csv)" in lines  # the exit code's 1
    assert "Session groups (two first emphases, largest gap first)" in lines
    assert max(len(line) for line in lines) <= 80
    assert "Warning: roster.csv: unknown column notes" in result.stderr
    assert "1 problem listed in" in result.stderr
    assert "Assessing" not in result.stderr  # no progress bar when stderr is not a terminal
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".zegama-outputs", "assessments.csv", "assessments.jsonl", "catalog.json", "errors.csv", "squad.md",
         "squad.json"])
    assert run(ROSTER, "--races", RACES, "--as-of", AS_OF, "--out", out, "--allow-errors").exit_code == 0


def test_clean_roster_exits_zero(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id;vk_time\nane;44:10\n")
    result = run(roster, "--as-of", AS_OF, "--out", tmp_path / "out")
    assert result.exit_code == 0 and "read 1, assessed 1, not assessed 0" in result.stdout


def test_error_rows_exit_one_and_are_counted(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id;age\nane;30\n;31\nane;32\n")
    result = run(roster, "--as-of", AS_OF, "--out", tmp_path / "out")
    assert result.exit_code == 1
    assert "read 3, assessed 1, not assessed 2" in result.stdout
    assert "2 problems listed in" in result.stderr


@pytest.mark.parametrize("content,message", [
    (None, "file not found"),
    ("", "is empty"),
    ("runner_id;name\n", "header but no runner rows"),
    ("name;age\nAne;30\n", "no runner_id column"),
])
def test_unusable_input_exits_two(tmp_path, content, message):
    roster = tmp_path / "r.csv"
    if content is not None:
        roster.write_text(content)
    result = run(roster, "--as-of", AS_OF, "--out", tmp_path / "out")
    assert result.exit_code == 2 and message in result.stderr and result.stdout == ""
    assert not (tmp_path / "out").exists()
    as_json = run(roster, "--as-of", AS_OF, "--out", tmp_path / "out", "--format", "json")
    assert as_json.exit_code == 2 and message in json.loads(as_json.stdout)["error"]["message"]


def test_bad_options_exit_two(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id\nane\n")
    assert run(roster, "--delimiter", "x").exit_code == 2
    bad_pack = run(roster, "--rules", tmp_path / "no-pack", "--as-of", AS_OF, "--out", tmp_path / "out")
    assert bad_pack.exit_code == 2 and "Error:" in bad_pack.stderr
    old = run(roster, "--edition", "1999", "--as-of", AS_OF, "--out", tmp_path / "out")
    assert old.exit_code == 2 and "1999" in old.stderr
    missing_races = run(roster, "--races", tmp_path / "nope.csv", "--as-of", AS_OF, "--out", tmp_path / "out")
    assert missing_races.exit_code == 2 and "nope.csv: file not found" in missing_races.stderr


def test_out_must_be_a_writable_folder(tmp_path, monkeypatch):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id\nane\n")
    (tmp_path / "file").write_text("not a folder")
    result = run(roster, "--as-of", AS_OF, "--out", tmp_path / "file")
    assert result.exit_code == 2 and "is not a folder" in result.stderr

    real_mkstemp = tempfile.mkstemp

    def refuse(*args, dir=None, **kw):  # a read-only --out (root, running the tests, writes anywhere)
        if dir is None or "zegama-run-" in str(dir):
            return real_mkstemp(*args, dir=dir, **kw)  # the scratch store, in the system's temporary folder
        raise PermissionError(13, "Permission denied", str(dir))

    monkeypatch.setattr("assessment.batch.run.tempfile.mkstemp", refuse)
    result = run(roster, "--as-of", AS_OF, "--out", tmp_path / "locked")
    assert result.exit_code == 2 and "locked: Permission denied" in result.stderr
    assert not (tmp_path / "locked").exists()


def test_delimiter_option(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id|name\nane|Agirre, Ane\n")
    result = run(roster, "--delimiter", "|", "--as-of", AS_OF, "--out", tmp_path / "out")
    assert result.exit_code == 0
    row, = csv.DictReader((tmp_path / "out" / "assessments.csv").open())
    assert row["name"] == "Agirre, Ane"
    tabbed = tmp_path / "t.csv"
    tabbed.write_text("runner_id\tname\nbea\tBea\n")
    assert run(tabbed, "--delimiter", "tab", "--as-of", AS_OF, "--out", tmp_path / "o2").exit_code == 0


def test_json_format_is_squad_json_on_stdout(tmp_path):
    out = tmp_path / "out"
    result = run(ROSTER, "--races", RACES, "--as-of", AS_OF, "--out", out, "--format", "json", "--allow-errors")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data == json.loads((out / "squad.json").read_text())
    assert data["counts"]["read"] == 20 and sum(data["eligibility"].values()) == 20
    assert set(data["session_groups"]) == {"uphill_power", "downhill_technique", "strength", "race_specificity",
                                           "mental_tactical"}
    assert "read 20, assessed 20, not assessed 0" in result.stderr


def test_markdown_format_and_excel_and_per_runner(tmp_path):
    out = tmp_path / "out"
    result = run(ROSTER, "--races", RACES, "--as-of", AS_OF, "--out", out, "--format", "markdown",
                 "--excel", "--per-runner")
    assert result.stdout.startswith("# Squad summary: roster.csv")
    assert "| runner_id" in result.stdout and "## Session groups" in result.stdout
    assert (out / "assessments.csv").read_bytes().startswith(b"\xef\xbb\xbfline;runner_id;name;")
    assert len(list((out / "runners").glob("*.md"))) == 20


# --------------------------------------------------------------------------- same JSON as `zegama assess`


@settings(max_examples=15)
@given(st.lists(strategies.profiles(), min_size=1, max_size=3, unique_by=lambda p: p["runner_id"]), st.booleans())
def test_jsonl_is_what_zegama_assess_prints(tmp_path_factory, profiles, excel_style):
    tmp = tmp_path_factory.mktemp("same")
    delimiter = ";" if excel_style else ","
    rows, race_rows = [], []
    for p in profiles:
        p.pop("name", None)  # names with surrounding spaces are trimmed by the reader
        row, races = profile_to_row(load_profile(p), decimal_comma=excel_style)
        rows.append(row)
        race_rows += races
    for name, columns, data in (("roster.csv", ROSTER_COLUMNS, rows), ("races.csv", RACE_COLUMNS, race_rows)):
        buf = io.StringIO(newline="")
        w = csv.DictWriter(buf, columns, delimiter=delimiter)
        w.writeheader()
        w.writerows(data)
        (tmp / name).write_text(buf.getvalue(), encoding="utf-8-sig" if excel_style else "utf-8")
    result = run(tmp / "roster.csv", "--races", tmp / "races.csv", "--as-of", AS_OF, "--out", tmp / "out")
    assert result.exit_code == 0, result.output
    lines = (tmp / "out" / "assessments.jsonl").read_text().splitlines()
    catalog = json.loads((tmp / "out" / "catalog.json").read_text())
    assert len(lines) == len(profiles)
    for p, line in zip(profiles, lines):
        path = tmp / f"{p['runner_id']}.yaml"
        path.write_text(yaml.safe_dump(load_profile(p).model_dump(mode="json", exclude_none=True), allow_unicode=True))
        single = CliRunner().invoke(main, ["assess", str(path), "--format", "json", "--as-of", AS_OF])
        assert single.exit_code == 0
        alone = json.loads(single.stdout)
        cited = alone.pop("catalog")
        assert json.loads(line) == alone
        # What the single report carries of the catalog is the batch's catalog.json, entry for entry.
        for part, entries in cited.items():
            assert entries.items() <= catalog[part].items(), part


# --------------------------------------------------------------------------- a real terminal


def _run_with_tty_stderr(args, cwd):
    """Run the command with stderr on a pseudo-terminal and stdout on a pipe."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "80"}
    proc = subprocess.Popen([sys.executable, "-m", "assessment", "batch", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    seen = b""
    while True:
        ready, _, _ = select.select([master], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout = proc.stdout.read().decode()
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, stdout, seen.decode(errors="replace")


def test_progress_bar_only_on_a_terminal(tmp_path):
    code, stdout, stderr = _run_with_tty_stderr(
        [ROSTER, "--races", RACES, "--as-of", AS_OF, "--out", str(tmp_path / "out"), "--allow-errors"], tmp_path)
    assert code == 0
    assert "Assessing" in stderr and "20/20" in stderr
    assert stderr.index("Warning: roster.csv: unknown column notes") < stderr.index("Assessing")
    assert "Assessing" not in stdout and "read 20, assessed 20, not assessed 0" in stdout
