"""ops.py: the operations of a site: application writes through Python's
sqlite3 (captured by the triggers like any writer's), locks, moves,
conflict resolutions and the column added mid-run; each one observed into
the model once the tools have folded it."""
import json
import sqlite3

from . import pg, schema, values

# Refusals the rules of syncadm(1) promise (a trigger, or the application's
# own foreign keys): the write fails and that is the expected outcome.
EXPECTED_REFUSALS = (
    "is a central table", "owned by another site", "is frozen",
    "in transit", "FOREIGN KEY constraint failed", "stale rowversion",
    "violates foreign key constraint",      # PostgreSQL's words for it
)


class SimError(Exception):
    """Something the simulator itself did not expect (not a tool bug)."""


def as_key(v):
    """A row's rkey as SQL gives it (a composite key's is text, which the
    bytes text factory returns as bytes) in the form it is bound back."""
    return v.decode() if isinstance(v, bytes) else v


def rows(c, table):
    """The rkeys of the table's rows at this site, in key order."""
    order = ", ".join('"%s"' % k for k in schema.key(table)) or "rowid"
    return [as_key(r[0]) for r in c.execute('select %s from "%s" order by %s'
                                          % (schema.rkey_sql(table), table,
                                             order))]


def _pick(seq, n):
    return seq[n % len(seq)] if seq else None


def content_of(c, site, table, rkey):
    """The row's columns in canonical form (typeof and exact bytes),
    foreign keys as the parent's GUID; None when the row is gone."""
    if isinstance(c, pg.Connection):
        # A typed column: its type is what SQLite's typeof() would say
        # of the value the store maps it to.
        typed = [x for x in c.columns(table) if x[0] != schema.local_key(table)]
        cols = [x[0] for x in typed]
        got = c.execute('select %s from "%s" where %s = ?' % (
            ", ".join('"%s"' % x for x in cols), table,
            schema.rkey_sql(table)), (rkey,)).fetchone()
        row = None if got is None else [
            v for (_, t), val in zip(typed, got)
            for v in (pg.typeof(t, val), val)]
    else:
        cols = [r[1].decode() for r in
                c.execute('select * from pragma_table_info(?)', (table,))]
        cols = [x for x in cols if x != schema.local_key(table)]
        sel = ", ".join('typeof("%s"), "%s"' % (x, x) for x in cols)
        row = c.execute('select %s from "%s" where %s = ?' % (
            sel, table, schema.rkey_sql(table)), (rkey,)).fetchone()
    if row is None:
        return None
    out = {}
    fks = schema.fks(table)
    for i, col in enumerate(cols):
        typ, val = row[2 * i], row[2 * i + 1]
        if col in fks and val is not None:
            g = c.execute("select guid from syncpack_record where tbl = ? and"
                          " rkey = ? and deleted = 0",
                          (site.table_id(fks[col]), val)).fetchone()
            out[col] = "guid:" + g[0].decode() if g else "dangling:%r" % (val,)
        else:
            out[col] = values.encode(typ, val)
    return out


def observe(site, model, table, rkey, guid):
    """After a fold: the version this site now holds of one record goes
    into the model (a tombstone when the row was deleted)."""
    c = site.connect()
    try:
        if guid is None:
            # A live record first: a natural key may also name the
            # tombstone of an earlier row that had it.
            r = c.execute("select guid from syncpack_record where tbl = ? and"
                          " rkey = ? order by deleted",
                          (site.table_id(table), rkey)).fetchone()
            if r is None:
                return
            guid = r[0].decode()
        meta = c.execute("select rkey, deleted, hlc, hlc_site, origin, owner,"
                         " rowversion from syncpack_record where guid = ?",
                         (guid,)).fetchone()
        if meta is None:
            return            # inserted and deleted before any fold
        rk, deleted, hlc, hlc_site, origin, owner, rv = meta
        content = None if deleted else content_of(c, site, table, as_key(rk))
        model.add_version(guid, table, site.id, hlc, hlc_site.decode(),
                          bool(deleted), content, origin.decode())
    finally:
        c.close()


def run_burst(site, model, ops, stats, freeze_race=True):
    """A few application writes in a row, then the fold that stamps them.
    Without freeze_race, a spoke leaves alone the --freeze records the hub
    already holds (which the hub may have frozen meanwhile)."""
    c = site.connect()
    touched = []
    for op in ops:
        table = op["t"]
        try:
            t = _write(c, site, op, freeze_race)
        except (sqlite3.DatabaseError, pg.PgError) as e:
            msg = str(e)
            if msg.startswith("UNIQUE constraint failed: %s." % table):
                # The application's own error (a link that exists at this
                # site already): it skips the write, as an application would.
                stats["app collisions"] = stats.get("app collisions", 0) + 1
                continue
            if any(x in msg for x in EXPECTED_REFUSALS):
                stats["refused"] = stats.get("refused", 0) + 1
                continue
            raise SimError("%s: unexpected error from %s on %s: %s" % (
                site.id, op["k"], table, msg))
        if t is not None:
            touched.append((table,) + t)
            stats["writes"] = stats.get("writes", 0) + 1
    c.close()
    site.fold()
    seen = set()
    for table, rkey, guid in reversed(touched):
        k = guid or (table, rkey)
        if k in seen:
            continue
        seen.add(k)
        observe(site, model, table, rkey, guid)
        if schema.natural_key(table):
            note_rivals(site, model, table, rkey)


def _natural_key_of(c, site, table, rkey):
    """A natural key's columns of the row rkey names, references as the
    parents' GUIDs (None: the row is gone, or its record is unknown)."""
    content = content_of(c, site, table, rkey)
    g = c.execute("select guid from syncpack_record where tbl = ? and"
                  " rkey = ? and deleted = 0", (site.table_id(table),
                                                rkey)).fetchone()
    if content is None or g is None:
        return None, None
    return g[0].decode(), tuple(content[k] for k in schema.key(table))


def note_rivals(site, model, table, rkey):
    """A natural key names one row, not one record (syncpack(7), Keys):
    a row written here under a key that another site's live record holds
    as well, which this site has not received, makes two records of one
    key. The model notes them as rivals: every site merges them into the
    one whose GUID sorts first (invariants._identity)."""
    c = site.connect()
    try:
        guid, nkey = _natural_key_of(c, site, table, rkey)
    finally:
        c.close()
    if guid is None:
        return
    for other in site.net.sites:
        if other is site:
            continue
        c = other.connect()
        try:
            for r in rows(c, table):
                g, k = _natural_key_of(c, other, table, r)
                if g is not None and g != guid and k == nkey:
                    model.rivals(guid, g)
                    site.net.log("  %s %s at %s takes the key of %s at %s" % (
                        table, guid, site.id, g, other.id))
        finally:
            c.close()


def _assignments(c, site, op):
    """(column list, SQL expressions, parameters) for the op's values;
    None when a key column has no parent row to refer to."""
    names, exprs, params = [], [], []
    for col, spec in sorted(op.get("vals", {}).items()):
        if col == schema.ADDED_COLUMN and not site.has_added_column:
            continue
        e, p = values.sql_param(spec)
        names.append(col)
        exprs.append(e)
        params += p
    for col, n in sorted(op.get("fk", {}).items()):
        names.append(col)
        if n is None:
            exprs.append("NULL")
        else:
            parent = schema.fks(op["t"])[col]
            key = _pick(rows(c, parent), n)
            if key is None and col in schema.key(op["t"]):
                return None
            exprs.append("?")
            params.append(key)
    return names, exprs, params


def _write(c, site, op, freeze_race=True):
    """Runs one write; returns (rkey, guid before) of the row it touched
    (its rkey after the write, which an update of a key column changes),
    or None when there was nothing to touch. Every simulated table is a
    rowid table: the rowid follows a row through a change of its key."""
    table, kind = op["t"], op["k"]
    rkey_sql = schema.rkey_sql(table)
    # A PostgreSQL hub has no rowid: a composite key's row is followed by
    # its key, which each write returns.
    by_key = isinstance(c, pg.Connection) and len(schema.key(table)) > 1

    def rkey_of(rowid):
        return as_key(c.execute('select %s from "%s" where rowid = ?' % (
            rkey_sql, table), (rowid,)).fetchone()[0])
    if kind == "ins":
        if op.get("copy") is not None:
            # An exact duplicate of a row (a table without a key allows it).
            src = _pick(rows(c, table), op["copy"])
            if src is None:
                return None
            cur = c.execute('insert into "%s" select * from "%s" where %s = ?'
                            % (table, table, rkey_sql), (src,))
            return rkey_of(cur.lastrowid), None
        a = _assignments(c, site, op)
        if a is None:
            return None       # no parent row to link to yet
        names, exprs, params = a
        returning = " returning %s" % rkey_sql if by_key else ""
        if names:
            cur = c.execute('insert into "%s"(%s) values (%s)%s' % (
                table, ", ".join('"%s"' % n for n in names),
                ", ".join(exprs), returning), params)
        else:
            cur = c.execute('insert into "%s" default values%s'
                            % (table, returning))
        if by_key:
            return as_key(cur.fetchone()[0]), None
        return rkey_of(cur.lastrowid), None
    key = _pick(rows(c, table), op["pick"])
    if key is None:
        return None
    g = c.execute("select guid from syncpack_record where tbl = ? and rkey = ?"
                  " and deleted = 0", (site.table_id(table), key)).fetchone()
    guid = g[0].decode() if g else None
    if (not freeze_race and not site.hub and guid and
            schema.policy(table)["freeze"] and site.net.hub.query(
                "select 1 from syncpack_record where guid = ?", (guid,))):
        return None
    if kind == "del":
        c.execute('delete from "%s" where %s = ?' % (table, rkey_sql), (key,))
        return key, guid
    rowid = None if by_key else c.execute(
        'select rowid from "%s" where %s = ?' % (table, rkey_sql),
        (key,)).fetchone()[0]
    a = _assignments(c, site, op)
    if a is None:
        return None
    names, exprs, params = a
    sets = ['"%s" = %s' % (n, e) for n, e in zip(names, exprs)]
    rvcol = schema.ROWVERSION_COLUMNS.get(table)
    if rvcol and op.get("rv"):
        cur = c.execute('select "%s" from "%s" where id = ?' % (rvcol, table),
                        (key,)).fetchone()
        read = cur[0] if cur else 0
        # The save pattern: the value read, or a stale one (refused).
        sets.append('"%s" = ?' % rvcol)
        params.append(read if op["rv"] == "fresh" else (read or 0) - 1)
    if by_key:
        first = '"%s"' % schema.key(table)[0]
        got = c.execute('update "%s" set %s where %s = ? returning %s' % (
            table, ", ".join(sets or ["%s = %s" % (first, first)]), rkey_sql,
            rkey_sql), params + [key]).fetchone()
        return (as_key(got[0]) if got else key), guid
    if not sets:
        sets = ['rowid = rowid']
    c.execute('update "%s" set %s where rowid = ?' % (table, ", ".join(sets)),
              params + [rowid])
    return rkey_of(rowid), guid


# -- administration --------------------------------------------------------
def lock(site, ev):
    c = site.connect()
    key = _pick(rows(c, ev["table"]), ev["pick"])
    c.close()
    if key is None:
        return
    site.adm("lock", ev["table"], key, "--by", "sim")


def unlock(site, ev):
    locks = [r for r in site.query("select tbl, rkey from syncpack_lock"
                                   " order by tbl, rkey")]
    r = _pick(locks, ev["pick"])
    if r is None:
        return
    site.adm("unlock", r[0].decode(), as_key(r[1]))


def unlock_all(site):
    for tbl, rkey in site.query("select tbl, rkey from syncpack_lock"):
        site.adm("unlock", tbl.decode(), as_key(rkey))


def open_conflicts(site, guids=False):
    """Ids of the conflicts syncadm lists as unresolved (with guids: pairs
    of id and GUID)."""
    rc, err, out = site.adm("conflicts", "list", "--json", ok=(0,))
    try:
        rows = json.loads(out.decode("utf-8"))
        ids = [int(r["id"]) for r in rows if r["resolved"] == "unresolved"]
    except (ValueError, KeyError, TypeError) as e:
        raise SimError("%s: syncadm conflicts list --json: %s" % (site.id, e))
    if not guids:
        return ids
    return [(i, site.query("select guid from syncpack_conflict where id = ?",
                           (i,))[0][0].decode()) for i in ids]


def open_conflict_guids(site):
    return [g for i, g in open_conflicts(site, guids=True)]


def resolve(site, model, ev):
    ids = ev.get("ids") or open_conflicts(site)
    cid = _pick(ids, ev["pick"])
    if cid is None:
        return False
    g = site.query("select guid, tbl from syncpack_conflict where id = ?",
                   (cid,))
    site.adm("conflicts", "resolve", cid, "--keep", ev["keep"], ok=(0,))
    site.fold()
    if g:
        guid = g[0][0].decode()
        observe(site, model, g[0][1].decode(), None, guid)
    return True


def add_column(site):
    """The application's upgrade: one more column, and tracking re-run so
    the toolkit sees it (as in t0400's schema drift test)."""
    if site.has_added_column:
        return
    c = site.connect()
    c.execute('alter table "%s" add column "%s" text' % (
        schema.ADDED_TABLE, schema.ADDED_COLUMN))
    c.close()
    site.adm("track", schema.ADDED_TABLE,
             *schema.track_args(schema.ADDED_TABLE), ok=(0,))
    site.has_added_column = True


def movable_rows(site, table="job"):
    """Records of a movable table that live here and are not in transit."""
    # syncpack.record keeps a key's text on PostgreSQL.
    key = "cast(t.id as text)" if site.pg else "t.id"
    return [r[0] for r in site.query(
        'select t.id from "%s" t join syncpack_record r on r.rkey = %s and'
        ' r.tbl = ? where (r.flags & 2) = 0 order by t.id' % (table, key),
        (site.table_id(table),))]
