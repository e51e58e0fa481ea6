"""`zegama assess` through click's CliRunner."""

import json

import pytest
from click.testing import CliRunner

from assessment.cli.main import main
from tests.conftest import EXAMPLES


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.mark.parametrize("name", ["skimo", "road", "ultra", "short_mountain", "cross_country", "road_vertical"])
def test_table_fits_80_columns(run, name):
    result = run("assess", str(EXAMPLES / f"{name}.yaml"), "--as-of", "2026-12-01")
    assert result.exit_code == 0
    assert "Training emphases" in result.output and "Entry profile:" in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_json_is_the_report(run):
    result = run("assess", str(EXAMPLES / "skimo.yaml"), "--format", "json", "--as-of", "2026-12-01")
    data = json.loads(result.output)
    assert data["runner_id"] == "ane-etxeberria" and data["schema_version"]
    assert data["eligibility"]["status"] == "eligible"


def test_markdown_cites_sources(run):
    result = run("assess", str(EXAMPLES / "road.yaml"), "--format", "markdown", "--as-of", "2026-12-01")
    assert result.exit_code == 0
    assert "## Entry profile: NOT YET COMPETITIVE" in result.output
    assert "Why it matters:" in result.output and "](http" in result.output


def test_stdin_json_in_json_out(run):
    result = run("assess", "-", "--format", "json", "--as-of", "2026-12-01", input='{"runner_id": "s", "vk_time": "58:00"}')
    assert result.exit_code == 0
    assert "UP001" in json.loads(result.output)["fired_rules"]


def test_invalid_profile_exit_1_with_json_error(run):
    result = run("assess", "-", "--format", "json", input='{"runner_id": "s", "vk_time": "4:00", "shoe": 1}')
    assert result.exit_code == 1
    err = json.loads(result.output)["error"]
    assert err["type"] == "invalid_profile"
    assert {p["field"] for p in err["problems"]} == {"vk_time", "shoe"}


def test_invalid_profile_exit_1_plain(run):
    result = run("assess", "-", input="runner_id: s\nbody_mass_kg: -3\n")
    assert result.exit_code == 1
    assert "body_mass_kg" in result.output


def test_missing_file_and_bad_yaml(run, tmp_path):
    assert run("assess", str(tmp_path / "nope.yaml")).exit_code == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("runner_id: [unclosed\n")
    result = run("assess", str(bad), "--format", "json")
    assert result.exit_code == 1 and json.loads(result.output)["error"]["type"] == "input"


def test_usage_errors_exit_2(run):
    assert run("assess").exit_code == 2
    assert run("assess", str(EXAMPLES / "skimo.yaml"), "--as-of", "yesterday").exit_code == 2
    assert run("assess", str(EXAMPLES / "skimo.yaml"), "--format", "pdf").exit_code == 2


def test_output_file_is_written(run, tmp_path):
    out = tmp_path / "r" / "report.md"
    result = run("assess", str(EXAMPLES / "skimo.yaml"), "--format", "markdown", "-o", str(out), "--as-of", "2026-12-01")
    assert result.exit_code == 0 and result.output == ""
    assert out.read_text().startswith("# Zegama gap report")
    assert not [p for p in out.parent.iterdir() if p.name.endswith(".tmp")]


def test_help_lists_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    for name in ("assess", "batch", "interview", "rules"):
        assert name in result.output


def test_written_files_get_ordinary_permissions(tmp_path):
    import os

    from assessment.model.io import write_atomic

    write_atomic(tmp_path / "a.txt", "x")
    umask = os.umask(0o022)
    os.umask(umask)
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o666 & ~umask
