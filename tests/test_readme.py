"""The README stays a tour: its two set-up commands are CI's, its sample report is generated,
it points into docs/ and leaves the reference and the measurements there.

Whether the README's generated blocks are current is checked with the rest of the docs,
in tests/test_docs.py.
"""

import re

from tests.conftest import ROOT

README = ROOT / "README.md"
SETUP = re.compile(r"^bash (scripts/\S+\.sh)\s+# (.*)$", re.M)


def test_ci_runs_the_readme_test_command():
    readme = README.read_text(encoding="utf-8")
    commands = SETUP.findall(readme)
    assert [c for c, _ in commands] == ["scripts/try.sh", "scripts/test.sh"]
    ci = (ROOT / ".ci" / "run").read_text()
    ci_commands = [l for l in ci.splitlines() if l.strip() and not l.startswith("#") and not l.startswith(("set ", "cd "))]
    assert ci_commands == [f"bash {commands[1][0]}"]


def test_the_sample_report_is_generated_from_the_bundled_example():
    readme = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- generated: assess-skimo -->\n```text\n(.*?)```\n<!-- end: assess-skimo -->", readme, re.S)
    assert block, "the README's sample report is not a generated block (scripts/docs.py)"
    lines = block.group(1).splitlines()
    assert lines[0] == "$ zegama assess examples/profiles/skimo.yaml --as-of 2026-12-01"
    assert lines[1].startswith("Zegama gap report: ") and len(lines) > 20


def test_the_readme_is_a_tour_that_links_into_docs():
    readme = README.read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 350, "the README is a tour: move reference material into docs/"
    # No performance tables: those live in docs/performance.md.
    assert not re.search(r"^\|.*(µs|\bms\b|batch/floor|floor s)", readme, re.M)
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)", readme))
    pages = {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")}
    assert pages <= linked, f"docs pages the README does not link: {sorted(pages - linked)}"
    for way in ("zegama interview", "zegama batch", "from assessment import", "zegama rules", "python -m assessment"):
        assert way in readme
