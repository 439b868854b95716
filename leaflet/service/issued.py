"""The issued-leaflet log: one SQLite row per leaflet served (stdlib ``sqlite3``).

A row holds when, what (medicine, language, template, paper, fillable), from which content (its revision
version and the SHA-256 of the content file), the leaflet version and pharmacy file that made it, and the
SHA-256 of the PDF. Patient text (the patient fields and notes) is kept only when the pharmacy turns
``store_patient_text`` on; otherwise the row says only whether there was any. FHIR references (subject,
encounter) are kept: they are the EHR's identifiers, not text printed on the leaflet, and they are what
answers "which patients got a leaflet whose content has since been revised".

Each call opens its own connection (safe from any thread, and from several worker processes: WAL mode
and a busy timeout). Rows are committed without waiting for the disk (``synchronous=NORMAL``): a power
cut can lose the last moments' rows, never corrupt the log.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS issued (
    id TEXT PRIMARY KEY,
    issued_at TEXT NOT NULL,
    medicine TEXT NOT NULL,
    language TEXT NOT NULL,
    template TEXT NOT NULL,
    paper TEXT NOT NULL,
    fillable INTEGER NOT NULL,
    form TEXT,
    content_version TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    leaflet_version TEXT NOT NULL,
    pharmacy_sha256 TEXT,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    has_patient_text INTEGER NOT NULL,
    patient_json TEXT,
    subject TEXT,
    encounter TEXT,
    format TEXT NOT NULL,
    reprint_of TEXT
);
CREATE INDEX IF NOT EXISTS issued_by_content ON issued (medicine, language, content_sha256);
"""


@dataclass(frozen=True)
class Record:
    id: str
    issued_at: str  # ISO 8601, UTC
    medicine: str
    language: str
    template: str
    paper: str
    fillable: bool
    form: str | None
    content_version: str
    content_sha256: str
    leaflet_version: str
    pharmacy_sha256: str | None
    sha256: str
    size: int
    has_patient_text: bool
    patient_json: str | None  # {"patient": ..., "notes": ...} as sent; None unless stored
    subject: str | None
    encounter: str | None
    format: str  # "pdf" or "fhir"
    reprint_of: str | None

    def public(self) -> dict[str, Any]:
        """The row as the API shows it (patient text only says whether it was stored)."""
        data = asdict(self)
        data["patient_text_stored"] = data.pop("patient_json") is not None
        return data

    def stored_patient(self) -> tuple[dict | None, str | None]:
        data = json.loads(self.patient_json) if self.patient_json else {}
        return data.get("patient"), data.get("notes")


class IssuedLog:
    """The log at ``path`` (created on first use)."""

    def __init__(self, path: Path, store_patient_text: bool = False):
        self.path = Path(path)
        self.store_patient_text = store_patient_text
        self._local = threading.local()
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, in a transaction that commits or rolls back.

        Connections are kept per thread: closing the last one checkpoints the WAL to disk (~20 ms here).
        """
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite3.connect(self.path, timeout=30)
            db.row_factory = sqlite3.Row
            # WAL with synchronous=NORMAL: a commit does not wait for the disk (a flush costs ~10-30 ms
            # here and would cap the service near 35 leaflets/s); the log stays consistent, and a power
            # cut can lose only the last moments' rows
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA cache_size=-512")  # 512 KiB a connection (one per thread): memory stays bounded
        with db:
            yield db

    def record(self, *, medicine: str, language: str, template: str, paper: str, fillable: bool, form: str | None,
               content_version: str, content_sha256: str, leaflet_version: str, pharmacy_sha256: str | None,
               sha256: str, size: int, patient: dict | None, notes: str | None, subject: str | None,
               encounter: str | None, format: str, reprint_of: str | None = None) -> Record:
        has_text = bool(patient) or bool(notes)
        stored = json.dumps({"patient": patient, "notes": notes}, ensure_ascii=False, sort_keys=True,
                            default=_as_sent) \
            if has_text and self.store_patient_text else None
        row = Record(str(uuid.uuid4()), dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                     medicine, language, template, paper, fillable, form, content_version, content_sha256,
                     leaflet_version, pharmacy_sha256, sha256, size, has_text, stored, subject, encounter, format,
                     reprint_of)
        values = asdict(row)
        with self._connect() as db:
            db.execute(f"INSERT INTO issued ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                       list(values.values()))
        return row

    def get(self, issued_id: str) -> Record | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM issued WHERE id = ?", (issued_id,)).fetchone()
        return _record(row) if row else None

    def query(self, *, medicine: str | None = None, language: str | None = None, since: str | None = None,
              limit: int = 100) -> list[Record]:
        """Newest first."""
        where, args = [], []
        for column, value in (("medicine", medicine), ("language", language)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        if since is not None:
            where.append("issued_at >= ?")
            args.append(since)
        sql = "SELECT * FROM issued" + (" WHERE " + " AND ".join(where) if where else "")
        with self._connect() as db:
            rows = db.execute(sql + " ORDER BY issued_at DESC, rowid DESC LIMIT ?", [*args, limit]).fetchall()
        return [_record(r) for r in rows]

    def revised(self, current: Callable[[str, str], tuple[str, str] | None], limit: int = 1000) -> list[dict]:
        """Issued leaflets whose content file has changed since (or is gone), newest first, each with the
        content version it was built from and the current one (None when the content no longer exists), and
        the patient's name when patient text is stored.

        ``current(medicine, language)`` gives today's (version, file SHA-256), or None.
        """
        with self._connect() as db:
            pairs = db.execute("SELECT DISTINCT medicine, language, content_sha256 FROM issued").fetchall()
            out: list[dict] = []
            for medicine, language, sha in pairs:
                now = current(medicine, language)
                if now is not None and now[1] == sha:
                    continue
                rows = db.execute("SELECT * FROM issued WHERE medicine = ? AND language = ? AND content_sha256 = ? "
                                  "ORDER BY issued_at DESC LIMIT ?", (medicine, language, sha, limit)).fetchall()
                for row in map(_record, rows):
                    patient, _ = row.stored_patient()
                    out.append({**row.public(), "current_content_version": now[0] if now else None,
                                "patient_name": (patient or {}).get("name")})  # only when stored
        out.sort(key=lambda r: r["issued_at"], reverse=True)
        return out[:limit]


def _record(row: sqlite3.Row) -> Record:
    data = dict(row)
    data["fillable"] = bool(data["fillable"])
    data["has_patient_text"] = bool(data["has_patient_text"])
    return Record(**data)


def _as_sent(value: object) -> str:
    """A value JSON cannot hold, as text: a number as the digits that were sent (a reprint reads the
    text as the first issue read the number; ``str`` would write 0.00000010 as 1.0E-7, refused)."""
    return getattr(value, "text", None) or str(value)

