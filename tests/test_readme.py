"""The README stays true: its sample report is what the code prints, its test command is CI's."""

import importlib.util
import re

from tests.conftest import ROOT


def _load_sample_module():
    spec = importlib.util.spec_from_file_location("readme_sample", ROOT / "scripts" / "readme_sample.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sample_report_is_current():
    mod = _load_sample_module()
    readme = (ROOT / "README.md").read_text()
    assert mod.current(readme) == mod.sample(), "run: python scripts/readme_sample.py"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^bash (scripts/\S+\.sh)\s+# (.*)$", readme, re.M)
    assert [c for c, _ in commands][:2] == ["scripts/try.sh", "scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    ci_commands = [l for l in ci.splitlines() if l.strip() and not l.startswith("#") and not l.startswith(("set ", "cd "))]
    assert ci_commands == [f"bash {commands[1][0]}"]
