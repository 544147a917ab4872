"""Athletes: add, edit, find (with a did-you-mean), list, delete with their files, assign guest tests, raw folders."""

from __future__ import annotations

import contextlib
import difflib
import os
import sqlite3
from pathlib import Path

from balance.app.paths import ensure_private_dir
from balance.app.store.checks import MAX_LABEL_CHARS, _check_person, _check_sex, _check_text, printable
from balance.app.store.errors import DuplicateAthleteError, StoreError, UnknownAthleteError
from balance.app.store.housekeeping import HousekeepingMixin
from balance.app.store.records import Athlete, DeleteReport
from balance.app.store.rows import athlete_from_row, utc_now_iso


class AthletesMixin(HousekeepingMixin):
    """The athletes of a :class:`Store`."""

    _ATHLETE_SQL = """
        SELECT a.id, a.code, a.name, a.birth_year, a.mass_kg, a.created_at, a.notes,
               (SELECT count(*) FROM sessions s WHERE s.athlete_id = a.id),
               (SELECT count(*) FROM trials t JOIN sessions s ON t.session_id = s.id WHERE s.athlete_id = a.id),
               (SELECT max(started_at) FROM sessions s WHERE s.athlete_id = a.id),
               a.sex, a.group_tag
        FROM athletes a
    """

    def add_athlete(
        self,
        name: str | None = None,
        *,
        code: str | None = None,
        birth_year: int | None = None,
        mass_kg: float | None = None,
        notes: str = "",
        sex: str | None = None,
        group: str | None = None,
    ) -> Athlete:
        """Add an athlete by real name, by pseudonymous code, or both.

        Parameters
        ----------
        name : str, optional
            Real name (case-insensitively unique).
        code : str, optional
            Pseudonymous code; generated (``A001``, ``A002``...) when omitted.
        birth_year : int, optional
            Four-digit year (1900 to this year).
        mass_kg : float, optional
            Body mass (kg), 10 to 300.
        notes : str, optional
        sex : {"F", "M"}, optional
            For sex-specific reference values.
        group : str, optional
            Free group tag (sport, team) for the squad's own norms.

        Raises
        ------
        DuplicateAthleteError
            The name or code is taken (by a name or a code).
        StoreError
            Bad values, with the fix.
        """
        name = name.strip() if name else None
        code = code.strip() if code else None
        if not name and not code:
            raise StoreError("an athlete needs a name or a code: e.g. `balance athlete add Sam` or `--code P07`")
        _check_text("name", name)
        _check_text("code", code)
        _check_text("notes", notes, max_chars=10_000, lines=True)
        _check_person(birth_year, mass_kg)
        sex, group = _check_sex(sex), (group.strip() or None) if group else None
        with self._tx() as db:
            for label in (name, code):
                if label is None:
                    continue
                hit = db.execute(
                    "SELECT code, name FROM athletes WHERE lower(code) = lower(?) OR lower(name) = lower(?)",
                    (label, label),
                ).fetchone()
                if hit:
                    raise DuplicateAthleteError(
                        f"an athlete called {label!r} already exists (code {hit[0]}): choose another name or code, "
                        f"or use the existing one"
                    )
            if code is None:
                n = db.execute("SELECT coalesce(max(id), 0) FROM athletes").fetchone()[0] + 1
                while True:
                    code = f"A{n:03d}"
                    if not db.execute(
                        "SELECT 1 FROM athletes WHERE lower(code) = lower(?) OR lower(name) = lower(?)", (code, code)
                    ).fetchone():
                        break
                    n += 1
            cur = db.execute(
                "INSERT INTO athletes (code, name, birth_year, mass_kg, created_at, notes, sex, group_tag) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (code, name, None if birth_year is None else int(birth_year),
                 None if mass_kg is None else float(mass_kg), utc_now_iso(), notes, sex, group),
            )  # fmt: skip
            aid = cur.lastrowid
        return self._get_athlete_by_id(int(aid))

    def update_athlete(
        self,
        name_or_code: str | Athlete,
        *,
        name: str | None = None,
        birth_year: int | None = None,
        mass_kg: float | None = None,
        notes: str | None = None,
        sex: str | None = None,
        group: str | None = None,
    ) -> Athlete:
        """Change an athlete's name, birth year, body mass (kg), notes, sex or group tag; None leaves a
        field as it is (``sex=""``/``group=""`` clear them)."""
        a = self.get_athlete(name_or_code)
        _check_person(birth_year, mass_kg)
        if sex is not None or group is not None:
            new_sex = a.sex if sex is None else _check_sex(sex)
            new_group = a.group if group is None else (group.strip() or None)
            with self._tx() as db:
                db.execute("UPDATE athletes SET sex = ?, group_tag = ? WHERE id = ?", (new_sex, new_group, a.id))
        new_name = name.strip() if name else None
        _check_text("name", new_name)
        _check_text("notes", notes, max_chars=10_000, lines=True)
        _check_person(birth_year, mass_kg)
        with self._tx() as db:
            if new_name and new_name.lower() != (a.name or "").lower():
                hit = db.execute(
                    "SELECT code FROM athletes WHERE (lower(code) = lower(?) OR lower(name) = lower(?)) AND id != ?",
                    (new_name, new_name, a.id),
                ).fetchone()
                if hit:
                    raise DuplicateAthleteError(f"an athlete called {new_name!r} already exists (code {hit[0]})")
            db.execute(
                "UPDATE athletes SET name = coalesce(?, name), birth_year = coalesce(?, birth_year), "
                "mass_kg = coalesce(?, mass_kg), notes = coalesce(?, notes) WHERE id = ?",
                (new_name, None if birth_year is None else int(birth_year),
                 None if mass_kg is None else float(mass_kg), notes, a.id),
            )  # fmt: skip
        return self._get_athlete_by_id(a.id)

    def _get_athlete_by_id(self, athlete_id: int) -> Athlete:
        with self._lock:
            row = self._db.execute(self._ATHLETE_SQL + " WHERE a.id = ?", (athlete_id,)).fetchone()
        if row is None:
            raise UnknownAthleteError(f"no athlete with id {athlete_id} in {self.path}")
        return athlete_from_row(row)

    def find_athlete(self, name_or_code: str | Athlete) -> Athlete | None:
        """The athlete with that code or name (exact first, then case-insensitive), else None."""
        if isinstance(name_or_code, Athlete):
            return self._get_athlete_by_id(name_or_code.id)
        key = str(name_or_code).strip()
        with self._lock:
            db = self._db
            # plain "?" marks: numbered ones bound from a sequence are deprecated from Python 3.12
            for where in ("a.code = ?", "a.name = ?", "lower(a.code) = lower(?) OR lower(a.name) = lower(?)"):
                rows = db.execute(self._ATHLETE_SQL + f" WHERE {where}", (key,) * where.count("?")).fetchall()
                if len(rows) == 1:
                    return athlete_from_row(rows[0])
        return None

    def get_athlete(self, name_or_code: str | Athlete) -> Athlete:
        """The athlete with that name or code.

        Raises
        ------
        UnknownAthleteError
            Not found; the message lists close matches and how to add one.
        """
        found = self.find_athlete(name_or_code)
        if found is not None:
            return found
        with self._lock:
            labels = [r[0] for r in self._db.execute("SELECT code FROM athletes")] + [
                r[0] for r in self._db.execute("SELECT name FROM athletes WHERE name IS NOT NULL")
            ]
        close = difflib.get_close_matches(str(name_or_code), labels, n=3, cutoff=0.5)
        shown = printable(str(name_or_code))
        if len(shown) > MAX_LABEL_CHARS:
            shown = shown[:MAX_LABEL_CHARS] + "..."
        hint = f" Did you mean {', '.join(map(printable, close))}?" if close else ""
        known = f" Known athletes: {', '.join(map(printable, sorted(labels)[:10]))}." if labels else " There are no athletes yet."
        raise UnknownAthleteError(
            f"no athlete {shown!r} in {self.path}.{hint}{known} Add one with: balance athlete add \"{shown}\""
        )

    def list_athletes(self) -> list[Athlete]:
        """Every athlete, ordered by code."""
        with self._lock:
            rows = self._db.execute(self._ATHLETE_SQL + " ORDER BY a.code").fetchall()
        return [athlete_from_row(r) for r in rows]

    def delete_athlete(self, name_or_code: str | Athlete) -> DeleteReport:
        """Delete an athlete and everything recorded for them: sessions, trials, measures, raw files.

        The rows go in one transaction; raw files (those referenced by the trials, and everything
        under ``raw/<code>/``) are removed after the commit.
        """
        athlete = self.get_athlete(name_or_code)
        with self._tx() as db:
            n_sessions, n_trials, n_measures, files = self._athlete_holdings(db, athlete)
            db.execute("DELETE FROM athletes WHERE id = ?", (athlete.id,))
        athlete_raw = self.athlete_raw_dir(athlete)
        n_files = 0
        n_bytes = 0
        errors: list[str] = []
        for f in sorted(files):
            try:
                size = f.stat().st_size
                f.unlink()
            except FileNotFoundError:
                continue
            except OSError as err:
                errors.append(f"{f}: {err.strerror}")
                continue
            n_files += 1
            n_bytes += size
        if athlete_raw.is_dir():
            for d in sorted((d for d in athlete_raw.rglob("*") if d.is_dir()), key=lambda d: -len(d.parts)):
                with contextlib.suppress(OSError):
                    d.rmdir()
            with contextlib.suppress(OSError):
                athlete_raw.rmdir()
        return DeleteReport(
            athlete=athlete, sessions=int(n_sessions), trials=int(n_trials), measures=int(n_measures),
            raw_files=n_files, raw_bytes=n_bytes, raw_errors=tuple(errors),
        )  # fmt: skip

    def _athlete_holdings(self, db: sqlite3.Connection, athlete: Athlete) -> tuple[int, int, int, set[Path]]:
        """(sessions, trials, measure values, raw files) recorded for ``athlete``: what deleting removes."""
        n_sessions = db.execute("SELECT count(*) FROM sessions WHERE athlete_id = ?", (athlete.id,)).fetchone()[0]
        n_trials, n_measures = db.execute(
            """SELECT count(DISTINCT t.id), count(m.key) FROM sessions s JOIN trials t ON t.session_id = s.id
               LEFT JOIN measures m ON m.trial_id = t.id WHERE s.athlete_id = ?""",
            (athlete.id,),
        ).fetchone()
        raw_paths = [
            r[0]
            for r in db.execute(
                "SELECT t.raw_path FROM trials t JOIN sessions s ON t.session_id = s.id "
                "WHERE s.athlete_id = ? AND t.raw_path IS NOT NULL",
                (athlete.id,),
            )
        ]
        files: set[Path] = {Path(p) for p in raw_paths}
        # Only this athlete's own folder (keyed by the database id) is swept: never a folder
        # named after a code, which another athlete's code could share (see athlete_raw_dir).
        athlete_raw = self.athlete_raw_dir(athlete)
        if athlete_raw.is_dir():
            files.update(f for f in athlete_raw.rglob("*") if f.is_file())
        return int(n_sessions), int(n_trials), int(n_measures), files

    def delete_preview(self, name_or_code: str | Athlete) -> DeleteReport:
        """What :meth:`delete_athlete` would remove, without removing anything (raw files: those that exist)."""
        athlete = self.get_athlete(name_or_code)
        with self._lock:
            n_sessions, n_trials, n_measures, files = self._athlete_holdings(self._db, athlete)
        sizes = []
        for f in files:
            with contextlib.suppress(OSError):
                sizes.append(f.stat().st_size)
        return DeleteReport(athlete=athlete, sessions=n_sessions, trials=n_trials, measures=n_measures,
                            raw_files=len(sizes), raw_bytes=sum(sizes))  # fmt: skip

    def assign_athlete(self, source: str | Athlete, target: str) -> tuple[Athlete, int]:
        """Give everything of ``source`` (typically a guest code, ``balance test --guest``) to ``target``.

        ``target`` names an existing athlete (name or code): every session of ``source`` moves to
        that athlete and ``source`` is removed (a merge). Otherwise ``source`` keeps its code and is
        given the name ``target`` (a rename: its id, and so its raw folder, stay). In a merge the raw
        recordings follow their sessions, from ``raw/athlete_<source id>/`` to ``raw/athlete_<target id>/``
        (:meth:`athlete_raw_dir`), and the trials' ``raw_path`` are updated in the same transaction; if a
        file cannot be moved, everything is put back and nothing changes. A session of ``source`` still
        being recorded (open, its lock held by a running test) is refused: assign once the test is over.

        Returns
        -------
        (Athlete, int)
            The athlete who now holds the sessions, and the number of sessions moved.
        """
        src = self.get_athlete(source)
        dst = self.find_athlete(target)
        if dst is None:
            return self.update_athlete(src, name=target), src.n_sessions
        if dst.id == src.id:
            raise StoreError(f"{printable(target)!r} is {src.label} ({printable(src.code)}) already: nothing to assign")
        self.close_abandoned_sessions()  # sessions of processes that died are closed first
        with self._lock:
            running = [r[0] for r in self._db.execute(
                "SELECT id FROM sessions WHERE athlete_id = ? AND status = 'open' ORDER BY id", (src.id,))]  # fmt: skip
        if running:
            raise StoreError(f"session {running[0]} of {printable(src.code)} is still being recorded: assign it "
                             "once the test is over")  # fmt: skip
        src_dir, dst_dir = self.athlete_raw_dir(src).resolve(), self.athlete_raw_dir(dst).resolve()
        moved: list[tuple[Path, Path]] = []
        try:
            with self._tx() as db:
                trials = db.execute(
                    "SELECT t.id, t.raw_path FROM trials t JOIN sessions s ON t.session_id = s.id "
                    "WHERE s.athlete_id = ? AND t.raw_path IS NOT NULL", (src.id,)
                ).fetchall()
                if src_dir.is_dir():
                    for d in sorted(src_dir.iterdir()):
                        dest = dst_dir / d.name
                        if dest.exists():
                            raise StoreError(f"cannot move {d} to {dest}: it exists; nothing was changed")
                        ensure_private_dir(dst_dir)
                        os.replace(d, dest)
                        moved.append((d, dest))
                for tid, raw in trials:
                    try:
                        rel = Path(raw).relative_to(src_dir)
                    except ValueError:
                        continue  # a file outside the athlete's folder (imported): left where it is
                    db.execute("UPDATE trials SET raw_path = ? WHERE id = ?", (str(dst_dir / rel), tid))
                n = db.execute("UPDATE sessions SET athlete_id = ? WHERE athlete_id = ?", (dst.id, src.id)).rowcount
                db.execute(
                    "UPDATE athletes SET mass_kg = coalesce(mass_kg, ?), birth_year = coalesce(birth_year, ?), "
                    "sex = coalesce(sex, ?), group_tag = coalesce(group_tag, ?) WHERE id = ?",
                    (src.mass_kg, src.birth_year, src.sex, src.group, dst.id),
                )
                db.execute("DELETE FROM athletes WHERE id = ?", (src.id,))
        except BaseException:
            for a, b in reversed(moved):
                with contextlib.suppress(OSError):
                    os.replace(b, a)
            raise
        with contextlib.suppress(OSError):
            src_dir.rmdir()
        return self._get_athlete_by_id(dst.id), int(n)

    def athlete_raw_dir(self, athlete: str | Athlete) -> Path:
        """Where raw recordings of this athlete go (``<raw dir>/athlete_<id>``); not created.

        Keyed by the athlete's database id, which never changes and is unique: two codes such as
        ``a/b`` and ``a_b`` never share a folder, so deleting one athlete cannot touch another's
        files. (Folders of balance 0.1, named after the code, are moved by :meth:`_migrate_raw_dirs`.)
        """
        a = athlete if isinstance(athlete, Athlete) else self.get_athlete(athlete)
        return self.raw_dir / f"athlete_{int(a.id):05d}"
