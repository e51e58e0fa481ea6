"""Write the README's sample report from the current code: python scripts/readme_sample.py

tests/test_readme.py fails when the README's sample differs from what the code prints.
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMAND = ["assess", "examples/profiles/skimo.yaml", "--as-of", "2026-12-01"]
MARK = "<!-- sample-report -->"


def sample() -> str:
    from click.testing import CliRunner

    sys.path.insert(0, str(ROOT))
    from assessment.cli.main import main

    result = CliRunner().invoke(main, COMMAND, catch_exceptions=False)
    return f"{MARK}\n\n```text\n$ zegama {' '.join(COMMAND)}\n{result.output}```\n"


def current(readme: str) -> str:
    m = re.search(re.escape(MARK) + r"\n\n```text\n.*?```\n", readme, re.S)
    return m.group(0) if m else MARK + "\n"


if __name__ == "__main__":
    path = ROOT / "README.md"
    text = path.read_text()
    path.write_text(text.replace(current(text), sample(), 1))
