"""The web app's store: one SQLite file in the data folder, its versioned migrations, and the rows.

Everything ``zegama serve`` keeps is here: coaches (argon2 hashes, never passwords), their
sessions, runners (a questionnaire's answers, or a roster's runner) and each runner's
assessments over time, and the outputs of each roster upload. Links and session cookies are
stored as SHA-256 hashes, so a copy of the file does not open anyone's answers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import sqlite3
from pathlib import Path
from typing import Any, Iterator

DB_NAME = "zegama.sqlite3"

#: Ordered migrations: the store's ``user_version`` is the number applied. Never edit one
#: that has shipped; add the next.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE coaches (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        coach_id INTEGER NOT NULL REFERENCES coaches(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE TABLE runners (
        id INTEGER PRIMARY KEY,
        token_hash TEXT UNIQUE,
        coach_id INTEGER REFERENCES coaches(id) ON DELETE CASCADE,
        runner_id TEXT,
        name TEXT,
        questionnaire TEXT,
        state TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (coach_id, runner_id)
    );
    CREATE TABLE assessments (
        id INTEGER PRIMARY KEY,
        runner INTEGER NOT NULL REFERENCES runners(id) ON DELETE CASCADE,
        as_of TEXT NOT NULL,
        created_at TEXT NOT NULL,
        source TEXT NOT NULL,
        profile TEXT NOT NULL,
        report TEXT NOT NULL
    );
    CREATE INDEX assessments_by_runner ON assessments (runner, as_of, id);
    CREATE TABLE uploads (
        id INTEGER PRIMARY KEY,
        coach_id INTEGER NOT NULL REFERENCES coaches(id) ON DELETE CASCADE,
        created_at TEXT NOT NULL,
        filename TEXT NOT NULL,
        summary TEXT NOT NULL,
        outputs BLOB NOT NULL
    );
    """,
    # 2: an upload's outputs are withdrawn (emptied, with the reason) when a runner in them is deleted
    """
    ALTER TABLE uploads ADD COLUMN withdrawn TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


class StoreError(RuntimeError):
    """The store cannot be opened or used (a newer schema, a file that is not a store)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


class Store:
    """The SQLite file in ``folder`` (created, 0700, on first use), migrated to :data:`SCHEMA_VERSION`."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"{folder}: cannot create the data folder: {exc.strerror or exc}") from None
        if not self.folder.is_dir():
            raise StoreError(f"{folder}: not a folder")
        self.path = self.folder / DB_NAME
        fresh = not self.path.exists()
        try:
            with self.connect() as db:
                if fresh:
                    os.chmod(self.path, 0o600)
                self._migrate(db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: not a zegama store: {exc}") from None

    @contextlib.contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """One connection per unit of work, committed at the end (rolled back on an error)."""
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA busy_timeout = 30000")
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()

    def _migrate(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(f"{self.path}: schema version {version} is newer than this zegama "
                             f"({SCHEMA_VERSION}): upgrade zegama-assess")
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number].split(";"):
                if statement.strip():
                    db.execute(statement)
            db.execute(f"PRAGMA user_version = {number + 1}")

    def version(self) -> int:
        with self.connect() as db:
            return db.execute("PRAGMA user_version").fetchone()[0]

    # ------------------------------------------------------------------ coaches and sessions

    def add_coach(self, name: str, password_hash: str) -> int:
        with self.connect() as db:
            try:
                cur = db.execute("INSERT INTO coaches (name, password_hash, created_at) VALUES (?, ?, ?)",
                                 (name, password_hash, now()))
            except sqlite3.IntegrityError:
                raise StoreError(f"a coach named {name!r} exists already") from None
            return cur.lastrowid

    def coach_by_name(self, name: str) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM coaches WHERE name = ?", (name,)).fetchone()

    def set_password(self, coach_id: int, password_hash: str) -> None:
        with self.connect() as db:
            db.execute("UPDATE coaches SET password_hash = ? WHERE id = ?", (password_hash, coach_id))

    def add_session(self, token: str, coach_id: int, hours: float) -> None:
        created = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        with self.connect() as db:
            db.execute("INSERT INTO sessions VALUES (?, ?, ?, ?)",
                       (digest(token), coach_id, created.isoformat(), (created + dt.timedelta(hours=hours)).isoformat()))

    def session_coach(self, token: str) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute(
                "SELECT coaches.* FROM sessions JOIN coaches ON coaches.id = sessions.coach_id "
                "WHERE token_hash = ? AND expires_at > ?", (digest(token), now())).fetchone()

    def end_session(self, token: str) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM sessions WHERE token_hash = ?", (digest(token),))

    def purge(self, unfinished_days: int) -> dict[str, int]:
        """Expired sessions, and questionnaires never finished nor touched for ``unfinished_days``."""
        cutoff = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=unfinished_days)).replace(microsecond=0)
        with self.connect() as db:
            sessions = db.execute("DELETE FROM sessions WHERE expires_at <= ?", (now(),)).rowcount
            runners = db.execute(
                "DELETE FROM runners WHERE token_hash IS NOT NULL AND updated_at < ? "
                "AND NOT EXISTS (SELECT 1 FROM assessments WHERE assessments.runner = runners.id)",
                (cutoff.isoformat(),)).rowcount
        return {"sessions": sessions, "runners": runners}

    # ------------------------------------------------------------------ runners

    def add_link_runner(self, token: str, questionnaire: str, state: dict) -> int:
        stamp = now()
        with self.connect() as db:
            cur = db.execute(
                "INSERT INTO runners (token_hash, questionnaire, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                (digest(token), questionnaire, json.dumps(state), stamp, stamp))
            return cur.lastrowid

    def invite(self, coach_id: int, runner_id: str, name: str | None, token: str, questionnaire: str,
               state: dict) -> int:
        """A questionnaire link for a runner of the coach's squad (a new one, or one a roster brought):
        their answers and reports join their history there. A new link replaces an earlier one."""
        with self.connect() as db:
            runner = self.coach_runner(coach_id, runner_id, name, db)
            db.execute("UPDATE runners SET token_hash = ?, questionnaire = ?, state = ?, updated_at = ? WHERE id = ?",
                       (digest(token), questionnaire, json.dumps(state), now(), runner))
            return runner

    def runner_by_token(self, token: str) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM runners WHERE token_hash = ?", (digest(token),)).fetchone()

    def save_state(self, runner: int, state: dict, runner_id: str | None = None, name: str | None = None) -> None:
        with self.connect() as db:
            # A runner of a coach's squad keeps the id the coach knows them by, whatever they type.
            db.execute("UPDATE runners SET state = ?, runner_id = CASE WHEN coach_id IS NULL THEN ? ELSE runner_id END, "
                       "name = COALESCE(?, name), updated_at = ? WHERE id = ?",
                       (json.dumps(state), runner_id, name, now(), runner))

    def coach_runner(self, coach_id: int, runner_id: str, name: str | None, db: sqlite3.Connection) -> int:
        row = db.execute("SELECT id FROM runners WHERE coach_id = ? AND runner_id = ?", (coach_id, runner_id)).fetchone()
        if row:
            db.execute("UPDATE runners SET name = COALESCE(?, name), updated_at = ? WHERE id = ?", (name, now(), row[0]))
            return row[0]
        stamp = now()
        return db.execute("INSERT INTO runners (coach_id, runner_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                          (coach_id, runner_id, name, stamp, stamp)).lastrowid

    def squad(self, coach_id: int) -> list[sqlite3.Row]:
        """The coach's runners with their latest assessment and how many they have."""
        with self.connect() as db:
            return db.execute(
                "SELECT runners.id, runners.runner_id, runners.name, COUNT(a.id) AS tests, "
                "(SELECT report FROM assessments WHERE runner = runners.id ORDER BY as_of DESC, id DESC LIMIT 1) "
                "AS latest FROM runners LEFT JOIN assessments a ON a.runner = runners.id "
                "WHERE runners.coach_id = ? GROUP BY runners.id ORDER BY runners.runner_id", (coach_id,)).fetchall()

    def coach_runner_row(self, coach_id: int, runner: int) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM runners WHERE id = ? AND coach_id = ?", (runner, coach_id)).fetchone()

    def delete_runner(self, runner: int) -> int:
        """The runner and every assessment of theirs (the foreign key cascades), and the outputs of
        every upload of their coach that holds a row of theirs (withdrawn, the upload listed with
        the reason): deleting a runner leaves nothing of theirs behind. Returns the uploads withdrawn."""
        with self.connect() as db:
            row = db.execute("SELECT coach_id, runner_id FROM runners WHERE id = ?", (runner,)).fetchone()
            withdrawn = 0
            if row is not None and row["coach_id"] is not None and row["runner_id"]:
                ups = db.execute("SELECT id, outputs FROM uploads WHERE coach_id = ? AND withdrawn IS NULL",
                                 (row["coach_id"],)).fetchall()
                for up in ups:
                    if holds_runner(bytes(up["outputs"]), row["runner_id"]):
                        db.execute("UPDATE uploads SET outputs = ?, withdrawn = ? WHERE id = ?",
                                   (b"", f"withdrawn on {now()[:10]}: a runner in them was deleted", up["id"]))
                        withdrawn += 1
            db.execute("DELETE FROM runners WHERE id = ?", (runner,))
            return withdrawn

    # ------------------------------------------------------------------ assessments and uploads

    def add_assessment(self, runner: int, as_of: str, source: str, profile: dict, report_json: str,
                       db: sqlite3.Connection | None = None) -> int:
        sql = "INSERT INTO assessments (runner, as_of, created_at, source, profile, report) VALUES (?, ?, ?, ?, ?, ?)"
        args = (runner, as_of, now(), source, json.dumps(profile, ensure_ascii=False), report_json)
        if db is not None:
            return db.execute(sql, args).lastrowid
        with self.connect() as conn:
            return conn.execute(sql, args).lastrowid

    def assessments(self, runner: int) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT * FROM assessments WHERE runner = ? ORDER BY as_of, id", (runner,)).fetchall()

    def add_upload(self, coach_id: int, filename: str, summary: str, outputs: bytes,
                   reports: list[tuple[str, str | None, str, dict, str]]) -> int:
        """An upload's outputs and its runners' assessments, in one transaction: all or nothing."""
        with self.connect() as db:
            for runner_id, name, as_of, profile, report in reports:
                runner = self.coach_runner(coach_id, runner_id, name, db)
                self.add_assessment(runner, as_of, f"roster {filename}", profile, report, db)
            return db.execute("INSERT INTO uploads (coach_id, created_at, filename, summary, outputs) "
                              "VALUES (?, ?, ?, ?, ?)", (coach_id, now(), filename, summary, outputs)).lastrowid

    def uploads(self, coach_id: int) -> list[sqlite3.Row]:
        with self.connect() as db:
            return db.execute("SELECT id, created_at, filename, summary, withdrawn FROM uploads WHERE coach_id = ? "
                              "ORDER BY id DESC", (coach_id,)).fetchall()

    def upload_outputs(self, coach_id: int, upload: int) -> sqlite3.Row | None:
        with self.connect() as db:
            return db.execute("SELECT * FROM uploads WHERE id = ? AND coach_id = ?", (upload, coach_id)).fetchone()

    def delete_upload(self, coach_id: int, upload: int) -> None:
        with self.connect() as db:
            db.execute("DELETE FROM uploads WHERE id = ? AND coach_id = ?", (upload, coach_id))


def holds_runner(outputs: bytes, runner_id: str) -> bool:
    """Does a batch's zip of outputs hold a row of ``runner_id`` (in a CSV's runner_id column or a
    JSON line's runner_id)? An unreadable zip counts as holding it: withdrawn rather than kept."""
    import csv
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(outputs)) as z:
            for info in z.infolist():
                text = z.read(info).decode("utf-8-sig", "replace")
                if info.filename.endswith(".csv"):
                    for rec in csv.DictReader(io.StringIO(text)):
                        if (rec.get("runner_id") or "").strip() == runner_id:
                            return True
                elif info.filename.endswith(".jsonl"):
                    for line in text.splitlines():
                        try:
                            if json.loads(line).get("runner_id") == runner_id:
                                return True
                        except (ValueError, AttributeError):
                            continue
                elif runner_id in text:  # the squad summary and the like
                    return True
    except (zipfile.BadZipFile, OSError, csv.Error):
        return True
    return False


def row_dict(row: sqlite3.Row | None) -> dict[str, Any] | None:
    return None if row is None else {k: row[k] for k in row.keys()}
