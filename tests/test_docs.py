"""The docs stay true: generated blocks current, every command, field and rule documented,
shell examples that run with the exit code they show, links that resolve.

The generated blocks of README.md and docs/*.md are written by scripts/docs.py
(``python scripts/docs.py``; ``--check`` lists what is stale). Every rule of the built-in
pack is covered by the generated ``zegama rules list`` in docs/rules.md.
"""

from __future__ import annotations

import importlib.util
import re
import sys

import pytest

from tests.conftest import ROOT
from tests.test_api import python_examples, run_example

DOCS = ROOT / "docs"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
FENCED = re.compile(r"^```[^\n]*\n.*?^```[ \t]*$", re.S | re.M)


def _load_docs():
    spec = importlib.util.spec_from_file_location("zegama_docs", ROOT / "scripts" / "docs.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def docs():
    return _load_docs()


@pytest.fixture(scope="module")
def built(docs):
    """Every generated block as the code makes it now (runs every sample once, in parallel)."""
    return docs.build()


def _files(docs):
    return docs.doc_files()


# --------------------------------------------------------------------------- generated blocks


def test_the_generated_blocks_are_current(docs, built):
    assert not built.problems, "\n".join(built.problems)
    stale = docs.stale(built)
    assert not stale, "run: .venv/bin/python scripts/docs.py\n\n" + "\n".join(stale)


def test_every_document_is_covered_and_every_marker_is_known(docs):
    files = {p.relative_to(ROOT).as_posix() for p in _files(docs)}
    assert "README.md" in files
    assert {p.relative_to(ROOT).as_posix() for p in DOCS.glob("*.md")} <= files
    for path in _files(docs):
        text = path.read_text(encoding="utf-8")
        markers = [(m.group(1), m.group(2)) for m in docs.OPENING.finditer(text)]
        opens, ends = markers[0::2], markers[1::2]
        assert [k for k, _ in opens] == ["generated"] * len(opens) and [k for k, _ in ends] == ["end"] * len(ends)
        assert [n for _, n in opens] == [n for _, n in ends], f"{path.name}: markers do not pair up: {markers}"
        unknown = {n for _, n in opens} - set(docs.BLOCKS)
        assert not unknown, f"{path.name}: unknown blocks {unknown}"


# --------------------------------------------------------------------------- commands, fields, rules


def test_every_command_has_help_and_is_in_the_cli_reference(docs):
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    commands = docs.cli_commands()
    assert len(commands) > 8
    for path, cmd in commands:
        name = " ".join(["zegama", *path])
        assert (cmd.help or cmd.short_help or "").strip(), f"{name} has no help text"
        assert f"### `{name}`" in reference, f"{name} is not in docs/cli.md"
        assert f"$ {name} --help\n" in reference
        for param in cmd.params:
            if param.param_type_name == "option" and not getattr(param, "hidden", False):
                assert any(opt in reference for opt in param.opts), f"{name}: {param.opts} not in docs/cli.md"


def test_every_profile_and_race_field_is_in_the_profile_reference():
    from assessment.model.profile import Profile, RaceResult

    text = (DOCS / "profile.md").read_text(encoding="utf-8")
    for model in (Profile, RaceResult):
        for name in model.model_fields:
            assert f"| `{name}` |" in text, f"{model.__name__}.{name} is not in the field tables of docs/profile.md"


def test_every_rule_of_the_built_in_pack_is_in_the_generated_rule_list():
    from assessment.pipeline import default_rulebase

    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- generated: rules-list -->(.*?)<!-- end: rules-list -->", text, re.S)
    assert block, "docs/rules.md has no generated rule list"
    listed = set(re.findall(r"^([A-Z]{2,4}\d{3})\s", block.group(1), re.M))
    assert set(default_rulebase().rules) <= listed


def test_rule_ids_named_in_the_docs_exist(docs):
    from assessment import load_rulebase
    from assessment.pipeline import default_rulebase

    known = set(default_rulebase().rules) | set(load_rulebase(ROOT / "examples" / "custom_pack").rules)
    known |= set(getattr(default_rulebase(), "redirects", {}) or {})
    for path in _files(docs):
        text = path.read_text(encoding="utf-8")
        for rid in set(re.findall(r"\b[A-Z]{2,4}\d{3}\b", text)):
            if rid.startswith("BRK"):  # the deliberately broken pack of the tests
                continue
            assert rid in known, f"{path.name} names {rid}, which no pack has"


# --------------------------------------------------------------------------- examples


@pytest.mark.parametrize("rel", ["docs/embedding.md", "docs/report.md", "docs/batch.md"])
def test_the_python_examples_of_the_docs_run_as_written(rel, tmp_path, monkeypatch):
    examples = python_examples(rel)
    assert examples, f"{rel} has no Python example with its output"
    for n, (code, shown) in enumerate(examples, start=1):
        where = tmp_path / str(n)
        where.mkdir()
        printed, _ = run_example(code, where, monkeypatch, f"{rel} example {n}")
        assert printed == shown.splitlines(), f"{rel} example {n}"


def _shell_blocks(text: str):
    """Every fenced block with ``$ `` lines: (start offset, [(command, exit code shown)])."""
    for m in FENCED.finditer(text):
        lines = m.group(0).splitlines()[1:-1]
        steps, i = [], 0
        while i < len(lines):
            line = lines[i]
            if not line.startswith("$ "):
                i += 1
                continue
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
            i += 1
            if command == "echo $?":
                continue
            code = 0
            rest = [j for j in range(i, len(lines)) if lines[j].startswith("$ ")]
            if rest and lines[rest[0]] == "$ echo $?" and rest[0] + 1 < len(lines):
                code = int(lines[rest[0] + 1])
            steps.append((command, code))
        if steps:
            yield m.start(), steps


def test_shell_examples_run_and_exit_with_the_code_shown(docs, built):
    """Commands in generated blocks were run by the generator (their output and exit code are
    what the block shows, since the blocks are current); any other is run here, block by block."""
    ran = {}
    for run in built.runs:
        ran.setdefault(run.command, set()).add(run.exit_code)
    zegama_seen = 0
    for path in _files(docs):
        text = path.read_text(encoding="utf-8")
        spans = [(m.start(), m.end()) for m in docs.MARKER.finditer(text)]
        for start, steps in _shell_blocks(text):
            zegama_seen += sum(1 for c, _ in steps if c.startswith(("zegama", "python -m assessment"))
                               or "| zegama" in c)
            if any(a <= start < b for a, b in spans):
                for command, code in steps:
                    assert code in ran.get(command, set()), f"{path.name}: `{command}` exited {ran.get(command)}, shows {code}"
                continue
            box = docs.Sandbox()
            try:
                for command, code in steps:
                    output, status = box.run(command)
                    assert status == code, f"{path.name}: `{command}` exited {status}, shows {code}:\n{output}"
            finally:
                box.close()
    assert zegama_seen > 20


def test_shell_completion_scripts_and_completions(docs):
    box = docs.Sandbox()
    try:
        for shell in ("bash", "zsh", "fish"):
            script, status = box.run(f"_ZEGAMA_COMPLETE={shell}_source zegama")
            assert status == 0 and "_ZEGAMA_COMPLETE" in script and len(script.splitlines()) > 5, (shell, script)
        got, status = box.run("COMP_WORDS='zegama ru' COMP_CWORD=1 _ZEGAMA_COMPLETE=bash_complete zegama")
        assert got.split() == ["plain,rules"]
        got, _ = box.run("COMP_WORDS='zegama rules ' COMP_CWORD=2 _ZEGAMA_COMPLETE=bash_complete zegama")
        subcommands = {tuple(path) for path, _ in docs.cli_commands() if len(path) == 2 and path[0] == "rules"}
        assert {("rules", w.split(",")[1]) for w in got.split()} == subcommands and len(subcommands) >= 5
        got, _ = box.run("COMP_WORDS='zegama assess --format ' COMP_CWORD=3 _ZEGAMA_COMPLETE=bash_complete zegama")
        assert {w.split(",")[1] for w in got.split()} == {"table", "markdown", "json", "html", "summary"}
        # And through bash itself, as the line in docs/cli.md installs it.
        got, status = box.run('eval "$(_ZEGAMA_COMPLETE=bash_source zegama)"; COMP_WORDS=(zegama ba); COMP_CWORD=1; '
                              '_zegama_completion zegama; echo "${COMPREPLY[@]}"')
        assert status == 0 and got.split() == ["batch"], got
    finally:
        box.close()
    assert "_ZEGAMA_COMPLETE=bash_source zegama" in (DOCS / "cli.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- links


def _slug(heading: str) -> str:
    """The anchor GitHub gives a heading."""
    text = re.sub(r"<!--.*?-->", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path) -> set[str]:
    text = FENCED.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def test_relative_links_point_at_files_and_headings_that_exist(docs):
    checked = 0
    for path in _files(docs):
        text = FENCED.sub("", path.read_text(encoding="utf-8"))
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+:", target):
                continue
            file_part, _, anchor = target.partition("#")
            dest = (path.parent / file_part).resolve() if file_part else path
            assert dest.exists(), f"{path.name}: link to {target}: no such file"
            if anchor and dest.suffix == ".md":
                assert anchor in _anchors(dest), f"{path.name}: link to {target}: no such heading in {dest.name}"
            checked += 1
    assert checked > 20
