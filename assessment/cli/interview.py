"""``zegama interview`` and ``zegama questions``: the questionnaire at a terminal.

The questions and their checks live in :mod:`assessment.questionnaire`, the
asking, the review and the saving in :mod:`assessment.interview`; this module
only connects them to a terminal (plain lines, no cursor tricks, so
``TERM=dumb``, screen readers and piped input all work) and to the assessment.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import click
import yaml

from .main import common_assess_options, fail, load_pack_or_exit

DEFAULT_SAVE = "zegama-profile.yaml"
EXIT_INTERRUPTED = 130


class TerminalAsker:
    """Plain lines on stdout, answers read a line at a time from stdin.

    When stdin is not a terminal (answers piped in) the answer is echoed, so that
    the output reads like the conversation it was.
    """

    def __init__(self, stdin=None):
        self.stdin = stdin or sys.stdin
        try:
            self.echo = not self.stdin.isatty()
        except (AttributeError, ValueError):
            self.echo = True

    def say(self, text: str = "") -> None:
        click.echo(text)

    def ask(self, prompt) -> str:
        for line in prompt.lines:
            click.echo(line)
        click.echo(prompt.text, nl=False)
        line = self.stdin.readline()
        if not line:
            click.echo()
            raise EOFError
        answer = line.rstrip("\r\n")
        if self.echo:
            click.echo(answer)
        return answer


class EditingAsker(TerminalAsker):
    """The same conversation with line editing (arrows, Home/End, Ctrl-A/E), history (up/down)
    and, for choices, a completion menu picked with the arrow keys: prompt_toolkit, used when
    both ends are a real terminal (``TERM`` not ``dumb``); the plain asker serves pipes and CI.
    When an answer is changed, its current value is put in the line to be edited in place."""

    def __init__(self):
        super().__init__()
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import InMemoryHistory

        self.echo = False
        self.session = PromptSession(history=InMemoryHistory())

    def ask(self, prompt) -> str:
        from prompt_toolkit.completion import WordCompleter

        for line in prompt.lines:
            click.echo(line)
        q = prompt.question
        words: list[str] = []
        if q is not None and q.type in ("choice", "multi_choice"):
            words = [str(c.value) for c in q.choices] + [c.label for c in q.choices]
        elif q is not None and q.type == "yes_no":
            words = ["yes", "no"]
        completer = WordCompleter(words, ignore_case=True, sentence=True) if words else None
        return self.session.prompt(prompt.text, default=(prompt.default or "") if prompt.editing else "", completer=completer,
                                   complete_while_typing=bool(words))


def editing_available() -> bool:
    """Line editing needs a real terminal on both ends, a TERM that can draw, and no CI."""
    if os.environ.get("TERM", "dumb") in ("", "dumb") or _ci():
        return False
    try:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            return False
        import prompt_toolkit  # noqa: F401
    except (ImportError, AttributeError, ValueError):
        return False
    return True


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _free_name(name: str) -> Path:
    """``zegama-profile.yaml``, or ``zegama-profile-2.yaml`` if that exists, and so on."""
    p = Path(name)
    if not p.exists():
        return p
    stem, suffix = p.stem, p.suffix
    n = 2
    while (p.with_name(f"{stem}-{n}{suffix}")).exists():
        n += 1
    return p.with_name(f"{stem}-{n}{suffix}")


def _problem_lines(problems) -> list[str]:
    return [f"  {field}: {msg}" if field else f"  {msg}" for field, msg in problems]


@click.command("interview")
@click.option("--save", "save_path", metavar="PROFILE.yaml",
              help=f"Where to save the profile (default: {DEFAULT_SAVE}, never overwriting another one).")
@click.option("--answers", "answers_path", metavar="FILE",
              help="Pre-fill answers from a YAML or JSON file with the profile's keys; only the rest is asked.")
@click.option("--resume", "resume_path", metavar="PROFILE.yaml",
              help="Continue an interview saved in PROFILE.yaml (saves back to it unless --save).")
@click.option("--questionnaire", "questionnaire_ref", metavar="NAME|FILE",
              help="zegama (the full interview, default), quick (two minutes) or a questionnaire file.")
@click.option("--no-input", is_flag=True,
              help="Never ask: complete from --answers/--resume and the defaults, or exit 1 listing what is missing.")
@click.option("--interactive", is_flag=True,
              help="Ask even when stdin is not a terminal (e.g. answers piped in by a script).")
@click.option("--format", "fmt", type=click.Choice(["table", "markdown", "json"]), default="table",
              show_default=True, help="Format of the report printed at the end.")
@common_assess_options
def interview_cmd(save_path, answers_path, resume_path, questionnaire_ref, no_input, interactive, fmt,
                  rules_path, as_of, edition, race_date):
    """Answer questions at the terminal and get your gap report.

    Your answers are saved after every question, so Ctrl-C loses nothing:
    continue with --resume. At the end you can review and change any answer,
    then the report is printed and the profile saved for `zegama assess`.

    Without a terminal (piped stdin, CI=true) or with --no-input it never asks:
    it completes from --answers or --resume, or exits 1 listing every missing
    required answer.

    \b
    Examples:
        zegama interview
        zegama interview --questionnaire quick --save ana.yaml
        zegama interview --resume ana.yaml
        zegama interview --answers club-form.json --no-input --format json

    \b
    Exit codes: 0 report printed, 1 invalid input or missing answers,
    2 usage error, 130 interrupted (answers so far are saved).
    """
    from ..model.io import InputError, read_document
    from ..interview.session import Interview, read_progress, resume_state
    from ..interview.questionnaire import QuestionnaireError, builtin_ref, load_questionnaire

    if no_input and interactive:
        raise click.UsageError("--no-input and --interactive cannot be used together")
    if resume_path and answers_path:
        raise click.UsageError("use --resume or --answers, not both (a resumed profile already holds its answers)")
    prompting = interactive or (not no_input and _stdin_is_terminal() and not _ci())
    rb = load_pack_or_exit(rules_path, fmt)

    # What to continue from, if anything.
    progress = None
    start_data = None
    if resume_path:
        try:
            start_data = read_document(resume_path)
            progress = read_progress(resume_path)
        except InputError as exc:
            fail(fmt, "input", str(exc))
    ref = questionnaire_ref or (progress or {}).get("questionnaire") or "zegama"
    try:
        questionnaire = load_questionnaire(ref)
    except QuestionnaireError as exc:
        fail(fmt, "questionnaire", str(exc), [{"where": w, "message": m} for w, m in exc.problems])
    ref = builtin_ref(ref)

    from ..rules.checks import interview_problems, profile_problems

    day = as_of or dt.date.today()
    # A person answering is told an age under the minimum at once; an answers file is a
    # profile like any other: it keeps its age and the report says the runner cannot enter.
    checks = interview_problems if prompting else profile_problems
    interview = Interview(questionnaire, check=lambda p: checks(rb, p, day))
    problems = []
    if resume_path:
        problems = resume_state(interview, start_data, progress)
    elif answers_path:
        try:
            problems = interview.prefill(read_document(answers_path))
        except InputError as exc:
            fail(fmt, "input", str(exc))
    source = resume_path or answers_path
    if problems and not prompting:
        fail(fmt, "invalid_answers", f"{source}: some answers are not valid:\n" + "\n".join(_problem_lines(problems)),
             [{"field": f, "message": m} for f, m in problems])

    if prompting:
        _run_interactive(interview, questionnaire, ref, save_path, resume_path, problems, source,
                         fmt, rb, as_of, edition, race_date)
    else:
        _run_unattended(interview, ref, save_path, resume_path, fmt, rb, as_of, edition, race_date)


def _assess_or_exit(interview, fmt, rb, as_of, edition, race_date):
    from ..pipeline import AssessmentError, assess
    from ..model.profile import ProfileError

    try:
        return assess(interview.profile(), as_of=as_of, rulebase=rb, edition=edition, race_date=race_date)
    except ProfileError as exc:
        fail(fmt, "invalid_profile", f"invalid profile: {exc}", [{"field": f, "message": m} for f, m in exc.problems])
    except AssessmentError as exc:
        fail(fmt, "assessment", str(exc))


def _run_unattended(interview, ref, save_path, resume_path, fmt, rb, as_of, edition, race_date):
    from ..interview.session import AnswerError, save_interview
    from ..report.render import render

    try:
        interview.fill_defaults()
    except AnswerError as exc:
        fail(fmt, "invalid_answers", f"a default answer was refused: {exc}")
    missing = interview.missing_required()
    if missing:
        fail(fmt, "missing_answers",
             f"{len(missing)} required answer{'s' if len(missing) != 1 else ''} missing (no questions are asked "
             f"without a terminal or with --no-input): {', '.join(missing)}",
             [{"field": k, "message": "required"} for k in missing])
    report = _assess_or_exit(interview, fmt, rb, as_of, edition, race_date)
    target = Path(save_path or resume_path or _free_name(DEFAULT_SAVE))
    interview.state.complete = True
    _save_or_exit(fmt, target, interview, ref)
    click.echo(render(report, fmt), nl=False)
    click.echo(f"Profile saved to {target}", err=True)


def _welcome(asker, questionnaire, target: Path, resumed: bool) -> None:
    count = sum(1 for q in questionnaire.questions() if q.cond is None)
    minutes = f", about {questionnaire.minutes} minutes" if questionnaire.minutes else ""
    asker.say(questionnaire.title)
    asker.say("=" * len(questionnaire.title))
    if resumed:
        asker.say(f"Continuing the interview saved in {target}.")
    else:
        asker.say(f"About {count} questions{minutes}.")
    asker.say(f"Your answers are saved after every question in {target}.")
    asker.say("Stop any time with Ctrl-C and continue later with:")
    asker.say(f"    zegama interview --resume {target}")
    asker.say("")
    asker.say("How to answer: Enter accepts the [default]. Type ? if you do not know a test")
    asker.say("result, - to skip an optional question, help to read how a test is done.")
    asker.say("Choices: the number or the name. Times: 45:30, 0:45:30 or 45'30.")
    asker.say("Decimals: 4.5 or 4,5.")


def _run_interactive(interview, questionnaire, ref, save_path, resume_path, problems, source,
                     fmt, rb, as_of, edition, race_date):
    from ..model.io import InputError, read_document
    from ..interview.session import read_progress, resume_state, save_interview
    from ..report.render import render

    asker = EditingAsker() if editing_available() else TerminalAsker()
    resumed = bool(resume_path)
    if save_path:
        target = Path(save_path)
    elif resume_path:
        target = Path(resume_path)
    else:
        target = Path(DEFAULT_SAVE)
        if target.exists() and source:
            target = _free_name(DEFAULT_SAVE)  # pre-filled from another file: start a new profile beside it
        elif target.exists():
            try:
                answer = _ask_line(asker, f"An interview is saved in {target}. Continue it? (yes/no) [yes]: ")
            except (EOFError, KeyboardInterrupt):
                click.echo()
                sys.exit(EXIT_INTERRUPTED)
            from ..model.units import parse_bool

            try:
                again = parse_bool(answer or "yes")
            except ValueError:
                again = False
            if again:
                try:
                    problems = resume_state(interview, read_document(target), read_progress(target))
                except InputError as exc:
                    fail(fmt, "input", str(exc))
                resumed = True
            else:
                target = _free_name(DEFAULT_SAVE)

    _writable_or_exit(fmt, target)

    def save(_state) -> None:
        if interview.state.has_answers():
            _save_or_exit(fmt, target, interview, ref)

    interview.on_change = save
    _welcome(asker, questionnaire, target, resumed)
    if problems:
        asker.say("")
        asker.say(f"Some answers in {source or target} were not valid and will be asked again:")
        for line in _problem_lines(problems):
            asker.say(line)

    try:
        interview.run(asker)
        interview.review(asker)
    except KeyboardInterrupt:
        click.echo()
        click.echo(f"Stopped. Your answers so far are saved in {target}.")
        click.echo(f"Continue with: zegama interview --resume {target}")
        sys.exit(EXIT_INTERRUPTED)
    except EOFError:
        click.echo(f"Input ended before the interview was finished. Your answers so far are saved in {target}.",
                   err=True)
        click.echo(f"Continue with: zegama interview --resume {target}", err=True)
        sys.exit(1)

    interview.state.complete = True
    _save_or_exit(fmt, target, interview, ref)
    report = _assess_or_exit(interview, fmt, rb, as_of, edition, race_date)
    click.echo("")
    click.echo(render(report, fmt), nl=False)
    click.echo("")
    click.echo(f"Profile saved to {target}. Assess it again with: zegama assess {target}")
    click.echo(f"Change answers later with: zegama interview --resume {target}")


def _writable_or_exit(fmt: str, target: Path) -> None:
    """Before the first question: a --save that can never be written is said now, not after
    twenty answers."""
    if target.is_dir():
        fail(fmt, "output", f"{target}: is a directory: give --save a file name", code=2)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        fail(fmt, "output", f"{target}: its folder {folder} does not exist or cannot be written", code=2)


def _save_or_exit(fmt: str, target: Path, interview, ref) -> None:
    from ..interview.session import save_interview

    try:
        save_interview(target, interview, ref)
    except OSError as exc:
        fail(fmt, "output", f"{target}: cannot be saved: {exc.strerror or exc}", code=2)


def _ask_line(asker: TerminalAsker, text: str) -> str:
    from ..interview.session import Prompt

    return asker.ask(Prompt("@continue", text))


@click.command("questions")
@click.option("--format", "fmt", type=click.Choice(["json", "yaml", "markdown"]), default="markdown",
              show_default=True)
@click.option("--questionnaire", "questionnaire_ref", metavar="NAME|FILE", default="zegama", show_default=True,
              help="zegama, quick or a questionnaire file.")
def questions_cmd(fmt, questionnaire_ref):
    """Print the questionnaire as JSON, YAML or markdown.

    Other tools (a web form, a club's survey) can be built from the same
    definition; units, ranges, choices, defaults and conditions are all there.
    Exit codes: 0 printed, 1 invalid questionnaire.
    """
    from ..interview.questionnaire import QuestionnaireError, load_questionnaire

    try:
        q = load_questionnaire(questionnaire_ref)
    except QuestionnaireError as exc:
        fail("json" if fmt == "json" else "text", "questionnaire", str(exc),
             [{"where": w, "message": m} for w, m in exc.problems])
    data = q.to_dict()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif fmt == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100), nl=False)
    else:
        click.echo(questions_markdown(data), nl=False)


def questions_markdown(data: dict) -> str:
    """The questionnaire as a document people can read (or print for a club's form)."""
    out = [f"# {data['title']}", ""]
    if data.get("description"):
        out += [" ".join(data["description"].split()), ""]
    if data.get("minutes"):
        out += [f"About {data['minutes']} minutes. Unknown test results are fine: answer \"?\".", ""]
    n = 0
    for si, s in enumerate(data["sections"], 1):
        out += [f"## {si}. {s['title']}", ""]
        if s.get("intro"):
            out += [" ".join(s["intro"].split()), ""]
        if s.get("repeat"):
            r = s["repeat"]
            out += [f"Repeated for each {r['item_label']} (up to {r['max_items']}): "
                    f"\"{r['first_prompt']}\", then \"{r['more_prompt']}\"", ""]
        for q in s["questions"]:
            n += 1
            out.append(f"{n}. **{q['prompt']}** (`{q['field'] or q['id']}`)")
            facts = [{"yes_no": "yes/no", "multi_choice": "multiple choice", "scale": "scale"}.get(q["type"], q["type"])]
            if q["unit"]:
                facts.append(q["unit"])
            if q["min"] is not None or q["max"] is not None:
                facts.append(f"{q['min'] if q['min'] is not None else '…'} to {q['max'] if q['max'] is not None else '…'}")
            facts.append("optional" if q["optional"] else "required")
            if q["dont_know"]:
                facts.append("\"?\" if unknown")
            if q["default"] is not None:
                d = q["default"]
                facts.append(f"default {('yes' if d else 'no') if isinstance(d, bool) else d}")
            if q["field"] is None:
                facts.append("not saved in the profile; steers later questions")
            out.append(f"    - {'; '.join(facts)}")
            if q.get("ask_if_text"):
                out.append(f"    - asked if {q['ask_if_text']}")
            for i, c in enumerate(q.get("choices") or [], 1):
                out.append(f"    - {i}) `{c['value']}` {c['label']}")
            for k, v in (q.get("anchors") or {}).items():
                out.append(f"    - {k} = {v}")
            if q.get("hint"):
                out.append(f"    - {' '.join(q['hint'].split())}")
            if q.get("help"):
                out.append(f"    - How: {' '.join(q['help'].split())}")
        out.append("")
    return "\n".join(out)
