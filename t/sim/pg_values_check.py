#!/usr/bin/env python3
"""pg_values_check.py: checks the simulator's reader of a PostgreSQL hub
(syncsim/pg.py) against SQLite, for t/t1461: every value of the typed set
(values.draw with typed=True, and each hostile value by itself) written
by the application's own code path into each table, once in a SQLite file
and once in a PostgreSQL database of a server started here, must read
back in the same canonical form (typeof and exact bytes). Prints one line
per difference; exit 1 if there is any."""
import os
import random
import sqlite3
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from syncsim import ops, pg, schema, values        # noqa: E402


class _Site:
    """As much of a site as a write without references needs."""
    has_added_column = False
    hub = True


def specs(kind, rng):
    """The typed value set of a kind: drawn ones, then each hostile value.
    Twenty drawn: each statement is a psql run, and the hostile values are
    the ones that find differences."""
    out = [values.draw(rng, kind, typed=True, bad_text=False)
           for _ in range(20)]
    if kind in ("int", "real"):
        out += [["i", i] for i in values._INTS]
    if kind == "real":
        out += [["r", f.hex()] for f in values._REALS]
    if kind == "text":
        out += [["t", t.hex()] for t in values._TEXTS if values._valid(t)]
    if kind == "blob":
        out += [["b", ""], ["b", "00ff00"], ["B", 7, 1 << 20]]
    return out


def main():
    schema.configure("postgresql")
    rng = random.Random(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    work = tempfile.mkdtemp(prefix="pgcheck.", dir=os.environ.get("TMPDIR"))
    server = pg.Server(work).start()
    problems, n = [], 0
    try:
        lite = sqlite3.connect(os.path.join(work, "app.db"),
                               isolation_level=None)
        lite.text_factory = bytes
        pgc = pg.Connection(server.uri(server.newdb()))
        for name, create, *_ in schema.TABLES:
            lite.execute(create)
            pgc.execute(pg.ddl(create))
        site = _Site()
        for name, *_ in schema.TABLES:
            # A key made of references (basket) needs parent rows: its
            # values are the other tables' columns.
            if set(schema.key(name)) & set(schema.fks(name)):
                continue
            for col, kind in sorted(schema.columns(name).items()):
                for spec in specs(kind, rng):
                    op = {"k": "ins", "t": name, "vals": {col: spec}}
                    got = []
                    for c in (lite, pgc):
                        rkey, _ = ops._write(c, site, op)
                        got.append(ops.content_of(c, site, name, rkey))
                    n += 1
                    if got[0] != got[1]:
                        problems.append("%s.%s %r: SQLite %s, PostgreSQL %s"
                                        % (name, col, spec, got[0][col],
                                           got[1][col]))
    finally:
        server.stop()
    for p in problems:
        print(p)
    print("%d values, %d read back differently" % (n, len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
