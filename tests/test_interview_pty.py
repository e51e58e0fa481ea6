"""The real `zegama interview` in a pseudo-terminal, typed into as a person would (TERM=dumb).

CI has no terminal on stdin; the pseudo-terminal is created here, so the command
sees a terminal and asks its questions, exactly as at a desk.
"""

import io
import os
import sys

import pytest
import yaml
from click.testing import CliRunner

from assessment.cli.main import main
from tests.conftest import ROOT

pexpect = pytest.importorskip("pexpect", reason="pexpect is in the test extra: pip install -e '.[test]'")

AS_OF = "2026-01-10"


def spawn(cwd, *args, term="dumb"):
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(TERM=term, PYTHONPATH=str(ROOT), NO_COLOR="1", COLUMNS="80", LINES="24")
    child = pexpect.spawn(sys.executable, ["-m", "assessment", "interview", *args], cwd=str(cwd), env=env,
                          encoding="utf-8", timeout=30, dimensions=(24, 80))
    child.logfile_read = io.StringIO()  # everything the person saw
    return child


def answer(child, prompt, text):
    child.expect_exact(prompt)
    child.sendline(text)


def test_a_person_answers_stops_with_ctrl_c_and_resumes(tmp_path):
    child = spawn(tmp_path, "--as-of", AS_OF)
    child.expect_exact("Your answers are saved after every question in zegama-profile.yaml.")
    answer(child, "A short id for this profile (your initials or a nickname): ", "mk")
    answer(child, "Your name: ", "Miren")
    answer(child, "Which reference values should we compare you with? (1-3 or a name): ", "women's")
    answer(child, "Your age on race day (years): ", "twenty")
    child.expect_exact("Not accepted: expected a number, got 'twenty'. Please try again.")
    answer(child, "Your age on race day (years): ", "27")
    answer(child, "Your body mass (kg): ", "54,5")
    answer(child, "What is your goal at Zegama? (1-3 or a name) [compete]: ", "")
    answer(child, "Your own goal time at Zegama, if you have one (h:mm:ss or mm:ss): ", "")
    answer(child, "Your sporting background (one or more, e.g. 1,3): ", "1, skimo")
    answer(child, "Your vertical-km time (h:mm:ss or mm:ss, ? if unknown): ", "help")
    child.expect_exact("A vertical kilometre is about 1,000 m D+")
    answer(child, "Your vertical-km time (h:mm:ss or mm:ss, ? if unknown): ", "44'10")
    child.expect_exact("Metres climbed per hour")
    child.sendintr()  # Ctrl-C
    child.expect_exact("Stopped. Your answers so far are saved in zegama-profile.yaml.")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    saved = yaml.safe_load((tmp_path / "zegama-profile.yaml").read_text())
    assert saved == {"runner_id": "mk", "name": "Miren", "sex": "F", "age": 27, "body_mass_kg": 54.5,
                     "goal": "compete", "background": ["cross_country", "skimo"], "vk_time": "44:10"}

    child = spawn(tmp_path, "--resume", "zegama-profile.yaml", "--as-of", AS_OF)
    child.expect_exact("Continuing the interview saved in zegama-profile.yaml.")
    answer(child, "Metres climbed per hour in a 30-min uphill test at about 15% (m/h, ? if unknown): ", "?")
    answer(child, "Your 10K time on a flat course (h:mm:ss or mm:ss, ? if unknown): ", "38:20")
    answer(child, "Do you train with a heart-rate monitor (chest strap or watch)? (yes/no): ", "no")
    for prompt, text in [
        ("Your back squat one-repetition maximum (kg, ? if unknown): ", "?"),
        ("Single-leg heel raises to fatigue (your weaker leg) (reps, ? if unknown): ", "30"),
        ("Your countermovement jump height (cm, ? if unknown): ", "-"),
        ("How do you descend wet, technical ground at race effort? (1-5, ? if unknown): ", "4"),
        ("Kilometres run per week (km): ", "70"),
        ("Metres of climbing (D+) per week (m): ", "3500"),
        ("Strength sessions per week (gym, plyometrics): ", "2"),
        ("Hard uphill sessions per week (intervals, hill repeats): ", "2"),
        ("Sessions per week where you practise descending fast: ", "1"),
        ("Your longest continuous climb in training, last two months (m): ", "1200"),
        ("How long was your longest run of the last eight weeks? (h:mm:ss or mm:ss, ? if unknown): ", "3:15:00"),
        ("Will you race Zegama with poles? (yes/no): ", "ez"),
        ("Do you have a race result to add? (yes/no) [no]: ", "bai"),
        ("Race name: ", "Ehunmilak Marathon"),
        ("Race date (YYYY-MM-DD): ", "14/09/2025"),
        ("Distance (km): ", "42"),
        ("Climbing (D+) (m): ", "2900"),
        ("Was it part of a circuit? (1-4 or a name) [other]: ", ""),
        ("Did you finish? (1-3 or a name) [finished]: ", "1"),
        ("Your overall position (? if unknown): ", "12"),
        ("Number of finishers (? if unknown): ", "310"),
        ("Your position among the runners of your sex (? if unknown): ", "2"),
        ("Number of finishers of your sex (? if unknown): ", "41"),
        ("Your finishing time (h:mm:ss or mm:ss, ? if unknown): ", "4:55:00"),
        ("The winner's time (same sex) (h:mm:ss or mm:ss, ? if unknown): ", "4:20:00"),
        ("Add another race? (yes/no) [no]: ", ""),
        ("How many times have you finished Zegama? [0]: ", ""),
        ("Are you a registered resident of Zegama? (yes/no) [no]: ", ""),
        ("How many times have you pre-registered for the draw without getting a place? [0]: ", "2"),
        ("Are you selected for your national team this season? (yes/no) [no]: ", ""),
        ("Have the organisers invited you as an elite runner? (yes/no) [no]: ", ""),
        ("Does a sponsor or brand team give you a place? (yes/no) [no]: ", ""),
        ("Do you have an ITRA or UTMB performance index? (yes/no) [no]: ", ""),
        ("I stay at my own effort when a loud crowd cheers on a climb (1-5, ? if unknown): ", "3"),
        ("I hold back when the race starts fast (1-5, ? if unknown): ", "4"),
        ("I race well in cold rain, wind and mud (1-5, ? if unknown): ", "5"),
    ]:
        answer(child, prompt, text)
    child.expect_exact(" 4. Age: 27 years")
    answer(child, "Numbers to change (e.g. 3 or 3, 7), 'add race', 'remove race N', 'list', or Enter to get your report: ", "4")
    answer(child, "Your age on race day (years) [27]: ", "28")
    child.expect_exact(" 4. Age: 28 years")
    answer(child, "Numbers to change (e.g. 3 or 3, 7), 'add race', 'remove race N', 'list', or Enter to get your report: ", "")
    child.expect_exact("Zegama gap report: Miren (mk)")
    child.expect_exact("Profile saved to zegama-profile.yaml.")
    child.expect(pexpect.EOF)
    transcript = child.logfile_read.getvalue().replace("\r\n", "\n")
    child.close()
    assert child.exitstatus == 0
    assert "\x1b[" not in transcript  # a linear stream: no cursor movement or colour on a dumb terminal

    saved = yaml.safe_load((tmp_path / "zegama-profile.yaml").read_text())
    assert saved["age"] == 28 and saved["uses_poles"] is False and saved["flat_10k_time"] == "38:20"
    assert saved["races"] == [{"race": "Ehunmilak Marathon", "date": "2025-09-14", "distance_km": 42.0,
                               "dplus_m": 2900.0, "circuit": "other", "position": 12, "finishers": 310,
                               "position_sex": 2, "finishers_sex": 41,
                               "time": "4:55:00", "winner_time": "4:20:00", "status": "finished"}]
    assert saved["unsuccessful_draws"] == 2 and saved["longest_run_time"] == "3:15:00"
    report = CliRunner().invoke(main, ["assess", str(tmp_path / "zegama-profile.yaml"), "--as-of", AS_OF])
    assert report.exit_code == 0
    # the report printed in the terminal is the one `zegama assess` gives for the saved file
    assert report.stdout in transcript


LEFT, BACKSPACE = "\x1b[D", "\x7f"


def test_on_a_real_terminal_answers_are_edited_in_place_and_choices_complete(tmp_path):
    # A terminal that can draw: line editing, history and completion.
    child = spawn(tmp_path, "--questionnaire", "quick", "--as-of", AS_OF, term="xterm")
    child.expect_exact("A short id for this profile")
    child.send("k" + LEFT + "m\r")  # typed 'k', moved left, inserted 'm': 'mk'
    child.expect_exact("Which reference values should we compare you with?")
    child.send("wom\t\r")  # Tab completes 'women's' from the menu
    child.expect_exact("Your age on race day")
    child.send("277" + BACKSPACE + "\r")  # a typo corrected before Enter: 27
    child.expect_exact("What is your goal at Zegama?")
    child.send("back\r")  # back to the age, its answer in the line to edit
    child.expect_exact("Back to: Age")
    child.send(BACKSPACE + "8\r")  # 27 -> 28
    child.expect_exact("What is your goal at Zegama?")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    saved = yaml.safe_load((tmp_path / "zegama-profile.yaml").read_text())
    assert saved["runner_id"] == "mk" and saved["sex"] == "F" and saved["age"] == 28


def test_an_ambiguous_time_is_confirmed_and_back_returns_to_the_previous_question(tmp_path):
    child = spawn(tmp_path, "--questionnaire", "quick", "--as-of", AS_OF)
    answer(child, "A short id for this profile (your initials or a nickname): ", "mk")
    answer(child, "Which reference values should we compare you with? (1-3 or a name): ", "Mujer")
    answer(child, "Your age on race day (years): ", "12")
    child.expect_exact("Not accepted: 12 is below the race's minimum age of 18")
    answer(child, "Your age on race day (years): ", "31")
    answer(child, "What is your goal at Zegama? (1-3 or a name) [compete]: ", "terminar")
    answer(child, "Your sporting background (one or more, e.g. 1,3): ", "back")
    child.expect_exact("Back to: Goal")
    answer(child, "What is your goal at Zegama? (1-3 or a name) [finish]: ", "podio")
    answer(child, "Your sporting background (one or more, e.g. 1,3): ", "XC, golden")
    child.expect_exact("'golden' is not one of the choices")
    answer(child, "Your sporting background (one or more, e.g. 1,3): ", "XC, sk")
    answer(child, "Your vertical-km time (h:mm:ss or mm:ss, ? if unknown): ", "?")
    answer(child, "Your 10K time on a flat course (h:mm:ss or mm:ss, ? if unknown): ", "41.10")
    child.expect_exact("41.10 is ambiguous: 41:10 (41 min 10 s) or 41.1 minutes (41:06)?")
    answer(child, "Which one? 1) 41:10  2) 41:06 (or type the answer again): ", "1")
    child.expect_exact("How do you descend wet, technical ground")
    child.sendintr()
    child.expect(pexpect.EOF)
    child.close()
    saved = yaml.safe_load((tmp_path / "zegama-profile.yaml").read_text())
    assert (saved["sex"], saved["age"], saved["goal"], saved["flat_10k_time"]) == ("F", 31, "podium", "41:10")
    assert saved["background"] == ["cross_country", "skimo"]
