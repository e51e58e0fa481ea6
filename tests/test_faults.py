"""Faults and hostile input: every command ends with a clear message and its exit code, never a
traceback, and leaves nothing stuck (no worker, no temporary file) or half-written behind.

The commands run as processes, as a careless or hostile user would start them: signals reach
real workers, ``-o`` meets real symlinks, FIFOs and devices.
"""

import json
import os
import random
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, ROOT

AS_OF = "2026-12-01"
SKIMO = EXAMPLES / "skimo.yaml"


def zegama(*args, stdin=None, env=None, cwd=None, timeout=120, close_stdin=False):
    e = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
    e.pop("CI", None)
    return subprocess.run(
        [sys.executable, "-m", "assessment", *map(str, args)], input=stdin, capture_output=True, env=e,
        cwd=cwd, timeout=timeout, preexec_fn=(lambda: os.close(0)) if close_stdin else None,
        stdin=None if stdin is not None or close_stdin else subprocess.DEVNULL)


def no_traceback(r):
    out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
    assert "Traceback" not in out, out[-2000:]
    assert r.returncode == 0 or out.strip(), "a failure must say why"
    return out


# --------------------------------------------------------------------------- hostile profiles

HOSTILE = {
    "deep.json": ("[" * 2000 + "]" * 2000, "nested more than"),
    "deep.yaml": ("runner_id: a\nx: " + "[" * 2000 + "]" * 2000 + "\n", "nested"),
    "bomb.yaml": ('runner_id: a\na: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
                  'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nbackground: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n', "aliases"),
    "bigint.yaml": ("runner_id: a\nage: " + "9" * 5000 + "\n", "cannot be read"),
    "latin1.yaml": ("runner_id: a\nname: Iñaki\n".encode("latin-1"), "not UTF-8"),
    "nul.json": ('{"runner_id": "a\\u0000b"}', "control character"),
    "esc.json": ('{"runner_id": "a", "name": "\\u001b[2J\\u001b]0;owned\\u0007"}', "control character"),
    "crlf.json": ('{"runner_id": "a", "name": "Ane\\r\\nFAKE: line"}', "line break"),
    "dup.yaml": ("runner_id: a\nsex: F\nsex: M\n", "given twice"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("command", [["assess"], ["estimate"], ["interview", "--no-input", "--answers"]])
def test_a_hostile_profile_is_refused_with_a_reason_by_every_command(tmp_path, name, command):
    text, words = HOSTILE[name]
    f = tmp_path / name
    f.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    start = time.monotonic()
    r = zegama(*command, f, "--as-of", AS_OF, cwd=tmp_path)
    out = no_traceback(r)
    assert r.returncode in (1, 2) and words in out, out[-600:]
    assert time.monotonic() - start < 30  # the alias bomb is refused at once, not expanded
    assert "\x1b" not in out  # nothing from the input reaches the terminal raw


def test_endless_input_a_directory_and_a_closed_stdin_are_refused(tmp_path):
    r = zegama("assess", "/dev/zero")
    assert r.returncode == 1 and "larger than 4 MB" in no_traceback(r)
    r = zegama("assess", tmp_path)
    assert r.returncode == 1 and "is a directory" in no_traceback(r)
    r = zegama("assess", "-", close_stdin=True)
    assert r.returncode == 1 and "stdin is closed" in no_traceback(r)
    r = zegama("assess", "-", stdin=b"runner_id: a\n" + b"#" * (5 << 20))
    assert r.returncode == 1 and "larger than" in no_traceback(r)


def test_an_out_of_range_date_and_an_encoding_that_cannot_show_a_name(tmp_path):
    r = zegama("assess", SKIMO, "--as-of", "0001-01-01", "--format", "html")
    assert r.returncode == 2 and "outside the years" in no_traceback(r)
    f = tmp_path / "emoji.yaml"
    f.write_text("runner_id: a\nname: Ane \U0001F3D4\n", encoding="utf-8")
    r = zegama("assess", f, "--as-of", AS_OF, env={"PYTHONIOENCODING": "latin-1"})
    assert r.returncode == 0 and r.stdout.decode("latin-1").startswith("Zegama gap report: Ane ?")


# --------------------------------------------------------------------------- -o PATH


def test_output_paths_a_symlink_a_fifo_a_device_a_folder(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", link)
    assert r.returncode == 0 and link.is_symlink() and "Zegama gap report" in target.read_text()

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", fifo)
    got = reader.communicate(timeout=30)[0]
    assert r.returncode == 0 and b"Zegama gap report" in got and stat.S_ISFIFO(os.stat(fifo).st_mode)

    r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", "/dev/null")
    assert r.returncode == 0 and stat.S_ISCHR(os.stat("/dev/null").st_mode)
    r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", "-")
    assert r.returncode == 0 and r.stdout.startswith(b"Zegama gap report")

    for fmt in ("table", "json"):
        r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", tmp_path, "--format", fmt)
        out = no_traceback(r)
        assert r.returncode == 2 and "is a directory" in out
        if fmt == "json":
            assert json.loads(r.stdout)["error"]["type"] == "output"
    r = zegama("rules", "export", "-o", tmp_path)
    assert r.returncode == 2 and "is a directory" in no_traceback(r)
    r = zegama("interview", "--no-input", "--answers", SKIMO, "--save", tmp_path, "--as-of", AS_OF)
    assert r.returncode == 2 and "is a directory" in no_traceback(r)
    if os.path.exists("/dev/full"):
        r = zegama("assess", SKIMO, "--as-of", AS_OF, "-o", "/dev/full")
        assert r.returncode == 2 and "No space left" in no_traceback(r)
        assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # the device is still a device


# --------------------------------------------------------------------------- rule packs


def _pack(tmp_path, name, write):
    pack = tmp_path / name
    (pack / "rules").mkdir(parents=True)
    (pack / "pack.yaml").write_text("name: hostile\nversion: 1.0.0\ntitle: t\nextends: zegama\n")
    write(pack)
    return pack


@pytest.mark.parametrize("case, words", [
    ("latin1", "not UTF-8"), ("directory", "is a directory"), ("bomb", "aliases expand"),
    ("deep", "nested too deeply"),
])
def test_a_hostile_rule_pack_is_refused_naming_the_file(tmp_path, case, words):
    def write(pack):
        f = pack / "rules" / "x.yaml"
        if case == "latin1":
            f.write_bytes("rules:\n  - id: X001\n    title: Niño\n".encode("latin-1"))
        elif case == "directory":
            f.mkdir()
        elif case == "bomb":
            lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
            lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 8)]
            f.write_text("\n".join(lines) + "\nrules: []\n")
        else:
            f.write_text("rules:\n  - id: X001\n    when: " + '{"not": ' * 3000 + '{"field": "age", "gt": 1}'
                         + "}" * 3000 + "\n")

    pack = _pack(tmp_path, case, write)
    for cmd in (["rules", "validate", pack], ["assess", SKIMO, "--rules", pack, "--as-of", AS_OF]):
        r = zegama(*cmd, timeout=60)
        out = no_traceback(r)
        assert r.returncode in (1, 2) and words in out and "x.yaml" in out, out[-800:]


# --------------------------------------------------------------------------- rosters


def test_a_roster_from_a_pipe_is_read_and_an_endless_device_refused(tmp_path):
    for source in ("-", "/dev/stdin"):
        r = zegama("batch", source, "--out", tmp_path / source.strip("/-").replace("/", "_"), "--as-of", AS_OF,
                   stdin=b"runner_id,sex\nane,F\nbea,H\n")
        assert r.returncode == 0 and b"read 2, assessed 2" in r.stdout, no_traceback(r)
    r = zegama("batch", "/dev/zero", "--out", tmp_path / "z", "--as-of", AS_OF, timeout=30)
    assert r.returncode == 2 and "is a device" in no_traceback(r)


def test_ragged_rows_are_error_rows_and_a_long_header_is_read_whole(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("runner_id;name;body_mass_kg\nane,Ane,54.5\nbea;Bea\ncai;Cai;60\n", encoding="utf-8")
    r = zegama("batch", roster, "--out", tmp_path / "o", "--as-of", AS_OF)
    assert r.returncode == 1
    errors = (tmp_path / "o" / "errors.csv").read_text()
    assert "seems written with ',' instead of ';'" in errors and "a cell is missing" in errors
    rows = (tmp_path / "o" / "assessments.csv").read_text().splitlines()
    assert len(rows) == 4 and sum(",error," in x for x in rows[1:]) == 2  # every row in is a row out

    long = tmp_path / "long.csv"
    long.write_text("x" * 70_000 + ",runner_id\n,ane\n", encoding="utf-8")
    r = zegama("batch", long, "--out", tmp_path / "o2", "--as-of", AS_OF)
    assert r.returncode == 0, no_traceback(r)


def test_names_with_markup_stay_text_in_the_markdown_outputs(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text('runner_id,name\nane,"<script>alert(1)</script> <!-- *Ane* | x"\n', encoding="utf-8")
    r = zegama("batch", roster, "--out", tmp_path / "o", "--as-of", AS_OF, "--per-runner")
    assert r.returncode == 0, no_traceback(r)
    page = next((tmp_path / "o" / "runners").glob("*.md")).read_text()
    squad = (tmp_path / "o" / "squad.md").read_text()
    for text in (page.splitlines()[0], squad):
        assert "<script>" not in text and "<!--" not in text
    assert "&lt;script&gt;" in page.splitlines()[0]


def test_a_second_run_owns_the_folder(tmp_path):
    out = tmp_path / "o"
    roster = EXAMPLES.parent / "roster.csv"
    assert zegama("batch", roster, "--out", out, "--as-of", AS_OF, "--format", "html").returncode == 1
    assert (out / "squad.html").exists() and (out / "runners").is_dir()
    assert zegama("batch", roster, "--out", out, "--as-of", AS_OF).returncode == 1
    assert not (out / "squad.html").exists() and not (out / "runners").exists()


# --------------------------------------------------------------------------- signals and temp files


def _big_roster(path: Path, rows: int = 20000) -> Path:
    rng = random.Random(7)
    lines = ["runner_id,sex,age,vk_time,weekly_km,weekly_dplus_m"]
    lines += [f"r{i},{rng.choice('FM')},{rng.randint(20, 60)},{rng.randint(40, 80)}:00,{rng.randint(20, 100)},"
              f"{rng.randint(500, 4000)}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n")
    return path


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ")[1][0] != "Z"
    except OSError:
        return False


def _start_batch(tmp_path, roster, out):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("CI", None)
    return subprocess.Popen([sys.executable, "-m", "assessment", "batch", str(roster), "--out", str(out),
                             "--as-of", AS_OF, "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)


def _wait_for_workers(proc, n=2, timeout=60):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        kids = _children(proc.pid)
        if len(kids) >= n:
            return kids
        time.sleep(0.05)
    pytest.fail("the batch started no workers")


def _run_dirs(pid):
    return list(Path(tempfile.gettempdir()).glob(f"zegama-run-{pid}-*"))


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc to see the workers")


@needs_proc
@pytest.mark.parametrize("seed, sig, code, words", [(1, signal.SIGTERM, 143, "Terminated"),
                                                     (2, signal.SIGTERM, 143, "Terminated"),
                                                     (3, signal.SIGINT, 130, "Stopped")])
def test_a_signal_at_a_random_point_stops_the_workers_and_leaves_nothing(tmp_path, seed, sig, code, words):
    out = tmp_path / "out"
    proc = _start_batch(tmp_path, _big_roster(tmp_path / "r.csv"), out)
    kids = _wait_for_workers(proc)
    time.sleep(random.Random(seed).uniform(0.2, 1.5))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err.decode()
    assert "Traceback" not in err.decode() and words in err.decode()
    time.sleep(0.5)
    assert not any(_alive(k) for k in kids)
    assert _run_dirs(proc.pid) == []
    assert not out.exists() or not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@needs_proc
def test_kill_9_of_the_parent_takes_the_workers_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "out"
    roster = _big_roster(tmp_path / "r.csv")
    proc = _start_batch(tmp_path, roster, out)
    kids = _wait_for_workers(proc)
    time.sleep(0.8)
    proc.kill()
    proc.wait(timeout=30)
    end = time.monotonic() + 10
    while any(_alive(k) for k in kids) and time.monotonic() < end:
        time.sleep(0.1)
    assert not any(_alive(k) for k in kids)  # the kernel ended them with their parent
    assert _run_dirs(proc.pid)  # a kill -9 cannot clean up: the next run does
    r = zegama("batch", EXAMPLES.parent / "roster.csv", "--out", out, "--as-of", AS_OF)
    assert r.returncode == 1
    assert _run_dirs(proc.pid) == []
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_failing_write_keeps_the_earlier_outputs_and_no_temporary_file(tmp_path, monkeypatch):
    from assessment.batch import run as batch_run

    out = tmp_path / "out"
    batch_run.run_batch(EXAMPLES.parent / "roster.csv", out_dir=out, as_of="2026-11-01")
    earlier = {p.name: p.read_bytes() for p in out.iterdir()}
    real = os.replace
    calls = []

    def full(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, "No space left on device", str(dst))
        return real(src, dst)

    monkeypatch.setattr(batch_run.os, "replace", full)
    before = set(Path(tempfile.gettempdir()).glob("zegama-run-*"))
    with pytest.raises(OSError):
        batch_run.run_batch(EXAMPLES.parent / "roster.csv", out_dir=out, as_of=AS_OF)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]
    assert set(Path(tempfile.gettempdir()).glob("zegama-run-*")) == before
    # One output was already renamed when the next failed: it is put back, the set is the earlier run's.
    assert {p.name: p.read_bytes() for p in out.iterdir()} == earlier


def test_a_full_disk_exits_2_and_leaves_no_temporary_file(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(disk)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({mounted.stderr.decode().strip() or 'not root'})")
    try:
        r = zegama("batch", _big_roster(tmp_path / "r.csv", 600), "--out", disk / "out", "--as-of", AS_OF)
        out = no_traceback(r)
        assert r.returncode == 2 and "No space left" in out
        left = [p.name for p in (disk / "out").iterdir()] if (disk / "out").exists() else []
        assert not [n for n in left if n.endswith(".tmp")], left
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
