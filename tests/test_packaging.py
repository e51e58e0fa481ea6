"""A non-editable install finds the rule pack and questionnaires inside the wheel."""

import os
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    if build.returncode != 0:
        # Without the build backend installed, fall back to an isolated build (needs the package index).
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
            capture_output=True, text=True, timeout=300,
        )
    assert build.returncode == 0, build.stderr
    (path,) = out.glob("*.whl")
    return path


def test_wheel_contains_the_pack(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "assessment/_data/rules/zegama/pack.yaml" in names
    assert "assessment/_data/rules/zegama/parameters.yaml" in names
    assert any(n.startswith("assessment/_data/rules/zegama/rules/") for n in names)
    assert any(n.startswith("assessment/_data/questionnaires/") for n in names)


def test_fresh_venv_install_assesses_an_example(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    target = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with zipfile.ZipFile(wheel) as zf:  # a wheel install is an unzip into site-packages
        zf.extractall(target)
    # Dependencies come from the test environment; the package itself only from the wheel.
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": deps}
    code = (
        "import assessment.rules.rulebase as r, sys; root = r.builtin_root();"
        "assert 'site-packages' in str(root) and str(root).startswith(sys.prefix), root;"
        "rb = r.load_rulebase(); print(len(rb.rules))"
    )
    out = subprocess.run([str(py), "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) >= 40
    cli = subprocess.run(
        [str(py), "-m", "assessment", "assess", str(ROOT / "examples/profiles/skimo.yaml"), "--as-of", "2026-12-01"],
        cwd=tmp_path, env=env, capture_output=True, text=True,
    )
    assert cli.returncode == 0, cli.stderr
    assert "Entry profile: COMPETITIVE" in cli.stdout
