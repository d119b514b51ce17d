"""How long the ledger's move from schema 2 takes at start: anonymous ratings leave the records for
their own table (``server/ledger/sqlite.py``, ``MIGRATIONS[2]``), which reads every record once;
then the later steps (a person's participants in ``record_people``, a session's records in
``record_index`` in place of an index of the records by session) each read them once more.

    python -m load_tests.ledger_migration_bench [--records 1000000] [--anonymous 1000]
                                                [--data-dir DIR]

A ledger of schema 2 is made with ``--records`` records, of which ``--anonymous`` are anonymous
ratings (no participant), then ``SqliteLedger.open()`` runs the migration; the seconds it took,
the records kept and the ratings moved are printed, with the load average (the figures mean
little without it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from server.ledger.sqlite import LEDGER_FILE, SCHEMA, SCHEMA_VERSION, SqliteLedger  # noqa: E402

KINDS = ("joined", "media", "chat", "speaking", "reaction", "left")


def schema_2(path: Path) -> sqlite3.Connection:
    """The current tables, less what schemas 3 and 5 added, with the index schema 5 dropped."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    db.executescript("ALTER TABLE records DROP COLUMN shared; DROP TABLE anonymous_ratings; "
                     "DROP TRIGGER records_unindexed; DROP TABLE record_index; "
                     "DELETE FROM meta WHERE key = 'indexed_upto'; "
                     "CREATE INDEX records_session ON records (session_id, seq);")
    db.execute("PRAGMA user_version = 2")
    return db


def fill(db: sqlite3.Connection, records: int, anonymous: int) -> None:
    rng = random.Random(7)
    t0 = 1_800_000_000.0
    # an ended session: the start's recovery of open presence has nothing to do
    db.execute("INSERT INTO sessions (id, title, created_at, ended_at) VALUES ('s', 'Bench', ?, ?)",
               (t0, t0 + records + 1))
    every = max(1, records // max(1, anonymous))
    rows = []
    for i in range(records):
        if anonymous and i % every == every - 1:
            rows.append(("s", t0 + i, "check_out", "", None, "main", None, rng.randint(1, 5),
                         "anonymous comment"))
        else:
            rows.append(("s", t0 + i, rng.choice(KINDS), f"p{i % 500}", None, "main", None,
                         1, None))
        if len(rows) == 50_000:
            db.executemany("INSERT INTO records (session_id, at, kind, participant_id, person_id,"
                           " room, role, value, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            rows.clear()
    db.executemany("INSERT INTO records (session_id, at, kind, participant_id, person_id, room,"
                   " role, value, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    db.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--anonymous", type=int, default=1000)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(dir=args.data_dir) as tmp:
        path = Path(tmp) / LEDGER_FILE
        db = schema_2(path)
        fill(db, args.records, args.anonymous)
        db.close()
        size = path.stat().st_size
        ledger = SqliteLedger(path)
        started = time.perf_counter()
        ledger.open()
        took = time.perf_counter() - started
        check = sqlite3.connect(path)
        kept = check.execute("SELECT COUNT(*) FROM records").fetchone()[0]
        moved = check.execute("SELECT COUNT(*) FROM anonymous_ratings").fetchone()[0]
        indexed = check.execute("SELECT COUNT(*) FROM record_index").fetchone()[0]
        check.close()
        asyncio.run(ledger.close())
    print(f"schema 2 -> {SCHEMA_VERSION} on {args.records:,} records ({size / 1e6:.0f} MB): "
          f"{took:.2f} s at start; {kept:,} records kept, {moved:,} anonymous ratings moved "
          f"apart, {indexed:,} records in record_index")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
