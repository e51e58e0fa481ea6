"""The public Python API: importable without side effects, typed, and as the README shows it."""

import contextlib
import io
import json
import re
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import AS_OF, EXAMPLES, ROOT

CUSTOM_PACK = ROOT / "examples" / "custom_pack"


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_import_has_no_side_effects(tmp_path):
    # Run in an empty folder: importing must write nothing there, start no thread,
    # and not import the rule engine.
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(
            """
            import sys, threading
            base = threading.active_count()
            import assessment
            from assessment import assess, load_rulebase, Profile, Report
            print(threading.active_count() - base, "durable" in sys.modules,
                  any(m.startswith("durable") for m in sys.modules))
            """
        )],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, env={"PYTHONPATH": str(ROOT), "PATH": ""},
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "False", "False"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("order", [
    "from assessment import assess, load_rulebase, Profile, Report",
    "from assessment import load_rulebase, Report, assess",
    "import assessment.pipeline\nfrom assessment import assess",
    "from assessment.pipeline import build_facts\nfrom assessment import assess",
])
def test_public_names_are_the_functions_and_classes_whatever_the_import_order(order):
    # The function assess and its module (assessment.pipeline) never shadow each other.
    out = run_python(
        order + "\n"
        "import inspect, sys, assessment\n"
        "from assessment import assess as a2\n"
        "print(inspect.isfunction(assess), inspect.isfunction(assessment.assess), a2 is assess,\n"
        "      assess.__module__, sys.modules['assessment.pipeline'].__name__)\n"
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "True", "True", "assessment.pipeline", "assessment.pipeline"]


def test_every_name_in_all_resolves():
    import assessment

    for name in assessment.__all__:
        obj = getattr(assessment, name)
        assert callable(obj), name
    with pytest.raises(AttributeError):
        assessment.no_such_name  # noqa: B018


def test_profile_or_dict_give_the_same_report():
    from assessment import Profile, Report, assess

    data = {"runner_id": "ane", "sex": "F", "vk_time": "58:30", "weekly_km": "60", "uses_poles": "bai"}
    from_dict = assess(data, as_of=AS_OF)
    from_model = assess(Profile(**data), as_of=AS_OF.isoformat())
    assert isinstance(from_dict, Report)
    assert from_dict == from_model
    assert "UP001" in from_dict.fired_rules  # 58:30 is slower than a woman's compete target (53:13)


def test_report_json_round_trip_is_lossless():
    import yaml

    from assessment import Report, assess

    profile = yaml.safe_load((EXAMPLES / "skimo.yaml").read_text())
    report = assess(profile, as_of=AS_OF)
    text = report.to_json()
    again = Report.model_validate_json(text)
    assert again == report
    assert json.loads(text)["schema_version"] == report.schema_version


def test_rulebase_accepts_a_loaded_pack_or_a_path():
    from assessment import assess, load_rulebase

    profile = {"runner_id": "k", "sex": "M", "vk_time": "37:00"}
    by_path = assess(profile, as_of=AS_OF, rulebase=str(CUSTOM_PACK))
    by_object = assess(profile, as_of=AS_OF, rulebase=load_rulebase(CUSTOM_PACK))
    assert by_path == by_object
    assert by_path.pack.name == "club-example"


def test_errors_are_typed():
    from assessment import AssessmentError, ProfileError, RuleFileError, assess, load_rulebase

    with pytest.raises(ProfileError) as exc:
        assess({"runner_id": "x", "vk_time": "4:30", "age": 5})
    assert {f for f, _ in exc.value.problems} == {"vk_time", "age"}
    with pytest.raises(RuleFileError) as exc:
        load_rulebase(ROOT / "tests" / "fixtures" / "broken_pack")
    assert len(exc.value.problems) > 1
    with pytest.raises(AssessmentError):
        assess({"runner_id": "x"}, as_of=AS_OF, edition=1999)


def python_examples(rel: str) -> list[tuple[str, str]]:
    """The Python examples of a page that show their output: (code, the output shown under it)."""
    text = (ROOT / rel).read_text(encoding="utf-8")
    pattern = (r"```python\n((?:(?!```).)*)```\n\s*<!-- generated: python-output -->\n```text\n(.*?)```\n"
               r"<!-- end: python-output -->")
    return re.findall(pattern, text, flags=re.S)


def run_example(code: str, where, monkeypatch, name: str) -> tuple[list[str], dict]:
    """Run an example as printed, in a folder that has the checkout's examples and fixtures."""
    (where / "examples").symlink_to(ROOT / "examples")
    (where / "tests").mkdir()
    (where / "tests" / "fixtures").symlink_to(ROOT / "tests" / "fixtures")
    monkeypatch.chdir(where)
    out = io.StringIO()
    namespace: dict = {"__name__": "__main__"}
    with contextlib.redirect_stdout(out):
        exec(compile(code, name, "exec"), namespace)  # noqa: S102 - our own docs, never user data
    return out.getvalue().splitlines(), namespace


def test_the_readme_example_runs_as_written(tmp_path, monkeypatch):
    # The README's Python example, run exactly as printed there; what it prints is the output shown under it.
    examples = python_examples("README.md")
    assert examples, "the README has no Python example with its output"
    code, shown = examples[0]
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    printed, namespace = run_example(code, tmp_path, monkeypatch, "README.md")
    from assessment import Report

    report = namespace["report"]
    assert isinstance(report, Report)
    assert printed[0].split()[0] == report.eligibility.status
    # The custom pack's line in the example: the club's VK target removes UP001, its rule adds CLB001.
    assert printed[-1] == "['CLB001', 'UP001']"
    assert printed == shown.splitlines()
