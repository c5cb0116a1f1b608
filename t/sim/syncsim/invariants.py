"""invariants.py: what must hold once a run has drained: every site holds
the same records, byte for byte, known by GUID whatever their key at each
site (local ids, a composite key of references, a rowid); every reference,
key columns included, resolves to the same parent everywhere; nothing held, locked, in transit or in conflict; no
tombstone left; every checksum a site keeps is the one its rows give; and
every final value is the one the model says must win."""
import os
import shutil
import sqlite3

from . import ops, schema
from .ops import content_of


def snapshot(site):
    """guid -> (table, metadata, content) of the live records at site,
    plus the problems found reading it."""
    recs, problems = {}, []
    c = site.connect()
    try:
        for table, *_ in schema.TABLES:
            tid = site.table_id(table)
            rows = set(ops.rows(c, table))
            seen = set()
            for guid, rkey, rv, hlc, hlc_site, owner, origin, flags in c.execute(
                    "select guid, rkey, rowversion, hlc, hlc_site, owner,"
                    " origin, flags from syncpack_record where tbl = ? and"
                    " deleted = 0", (tid,)).fetchall():
                guid, rkey = guid.decode(), ops.as_key(rkey)
                if site.pg and schema.local_key(table):
                    rkey = int(rkey)   # syncpack.record keeps its text
                if rkey not in rows:
                    problems.append("%s: %s %s: live record without a row"
                                    " (key %r)" % (site.id, table, guid, rkey))
                    continue
                if rkey in seen:
                    problems.append("untracked: %s: %s row %r has two live"
                                    " records, %s one of them" % (
                                        site.id, table, rkey, guid))
                seen.add(rkey)
                content = content_of(c, site, table, rkey)
                for col, v in content.items():
                    if v.startswith("dangling:"):
                        problems.append("references: %s: %s %s: %s %s does"
                                        " not resolve" % (site.id, table, guid,
                                                          col, v))
                rvcol = schema.ROWVERSION_COLUMNS.get(table)
                if rvcol and content.get(rvcol) != "integer:%d" % rv:
                    problems.append("rowversion-column: %s: %s %s: %s is %s,"
                                    " the record is at %d" % (
                                        site.id, table, guid, rvcol,
                                        content.get(rvcol), rv))
                if flags & 2:
                    problems.append("transit: %s: %s %s still in transit" % (
                        site.id, table, guid))
                meta = (rv, hlc, hlc_site.decode(), owner.decode(),
                        origin.decode())
                recs[guid] = (table, meta, content)
            for rkey in sorted(rows - seen):
                problems.append("untracked: %s: %s row %r has no record" % (
                    site.id, table, rkey))
        for what, sql in (
                ("held", "select tbl, guid, reason from syncpack_held"),
                ("locks", "select tbl, rkey from syncpack_lock"),
                ("conflicts", "select tbl, guid from syncpack_conflict where"
                              " resolved is null"),
                # The tombstone of a merged record stays (syncpack(7),
                # Keys): versions of it still travelling are its winner's.
                ("tombstones", "select tbl, guid from syncpack_record where"
                               " deleted <> 0 and merged is null"),
                ("capture", "select tbl, rkey from syncpack_change")):
            for r in c.execute(sql).fetchall():
                problems.append("%s: %s: %s" % (what, site.id, " ".join(
                    x.decode("utf-8", "replace") if isinstance(x, bytes)
                    else str(x) for x in r)))
    finally:
        c.close()
    return recs, problems


def stored_checksums(site):
    """Problems of the checksums site keeps (syncdiff(1)): its manifest,
    which reads them where they are current, must equal that of a copy
    whose every checksum is made again from the rows. A PostgreSQL site
    keeps none yet."""
    if site.db.startswith(("postgresql:", "postgres:")):
        return []
    copy = site.db + ".rows"
    shutil.copyfile(site.db, copy)
    c = sqlite3.connect(copy)
    try:
        c.execute("update syncpack_record set checksum = null")
        c.execute("update syncpack_site set checksum_lseq = 0")
        c.commit()
    finally:
        c.close()
    try:
        rc, err, out = site.tool("syncdiff", site.db, copy)
    finally:
        os.unlink(copy)
    if rc == 0:
        return []
    return ["checksums: %s: a stored checksum is not the one its row gives:"
            " %s" % (site.id, (out.decode("utf-8", "replace") +
                               err).strip()[:500])]


def expected_sites(table, w, model, hub, spokes):
    """Where a record must be, by its table's route (None: exactly one
    site, for movable tables)."""
    pol = schema.policy(table)
    if pol["movable"]:
        return None
    everyone = {hub} | set(spokes)
    if pol["owner"] == "central" or pol["route"] == "all":
        return everyone
    origin = model.origin[w.guid]
    return {hub, origin}


def check(net, model, left_open=()):
    snaps, problems = {}, []
    for name in net.unsealed:
        problems.append("sealed: %s went out unsealed" % name)
    for s in net.sites:
        snaps[s.id], p = snapshot(s)
        problems += p + stored_checksums(s)
    final = model.expected()
    spokes = [s.id for s in net.spokes]
    all_guids = set(final)
    for recs in snaps.values():
        all_guids |= set(recs)
    for guid in sorted(all_guids):
        w = final.get(guid)
        at = {sid: recs[guid] for sid, recs in snaps.items() if guid in recs}
        table = model.table.get(guid) or next(iter(at.values()))[0]
        winner, group = _identity(model, guid)
        if len(group) > 1:
            problems += _merged(guid, winner, group, table, at, final, model,
                                spokes, snaps)
            continue
        if w is None:
            if guid not in model.table:
                problems.append("model: %s %s at %s was never written by the"
                                " application" % (table, guid, sorted(at)))
            elif at:
                problems.append("model: %s %s must be gone (%s) but is at %s"
                                % (table, guid, _history(model, guid),
                                   sorted(at)))
            continue
        want = expected_sites(table, w, model, "HUB", spokes)
        again = model.again.get(guid, set()) & set(at)
        if want is None and again and len(at) > 1:
            # syncdiff(1): a spoke restored from a backup that holds a
            # movable record again is not repaired. Its copy is left out.
            at = {sid: v for sid, v in at.items() if sid not in again}
        if want is None:
            if len(at) != 1:
                problems.append("movable: %s %s is at %s, not at exactly one"
                                " site (%s)" % (table, guid, sorted(at),
                                                _history(model, guid)))
            elif model.holder.get(guid) and model.holder[guid] not in at:
                problems.append("movable: %s %s is at %s, moved to %s" % (
                    table, guid, sorted(at), model.holder[guid]))
        elif set(at) != want:
            problems.append("presence: %s %s is at %s, must be at %s (%s)" % (
                table, guid, sorted(at), sorted(want), _history(model, guid)))
        # Same record everywhere: metadata and every column.
        ref_site = "HUB" if "HUB" in at else (sorted(at)[0] if at else None)
        for sid, (t, meta, content) in sorted(at.items()):
            rt, rmeta, rcontent = at[ref_site]
            if meta != rmeta:
                problems.append("same: %s %s: metadata (rowversion, hlc,"
                                " hlc_site, owner, origin) %s at %s, %s at %s"
                                % (table, guid, meta, sid, rmeta, ref_site))
            for col in sorted(set(content) | set(rcontent)):
                if content.get(col) != rcontent.get(col):
                    problems.append("same: %s %s.%s: %s at %s, %s at %s" % (
                        table, guid, col, _short(content.get(col)), sid,
                        _short(rcontent.get(col)), ref_site))
        # The value the model says must win.
        if ref_site is not None and guid not in left_open:
            content = at[ref_site][2]
            for col, v in sorted(w.content.items()):
                if col == schema.ROWVERSION_COLUMNS.get(table):
                    continue
                if content.get(col) != v:
                    problems.append("model: %s %s.%s is %s, the winning write"
                                    " (%r) wrote %s" % (
                                        table, guid, col,
                                        _short(content.get(col)), w, _short(v)))
    return problems


def _identity(model, guid):
    """syncpack(7), Keys: records that took one natural key at two sites
    become one, the GUID that sorts first. The winner and the group of
    rivals guid belongs to."""
    group, todo = {guid}, [guid]
    while todo:
        for r in model.rival.get(todo.pop(), ()):
            if r not in group:
                group.add(r)
                todo.append(r)
    return min(group), group


def _merged(guid, winner, group, table, at, final, model, spokes, snaps):
    """Presence of a group of rivals, checked once (at the GUID that sorts
    first): they end as one record, one of the group's GUIDs (the merge
    keeps the first-sorting one of those that met; a member deleted before
    its rival came leaves the rival alone), where the route of the
    group's latest version puts it, or nowhere when that is a delete."""
    if guid != winner:
        return []
    problems = []
    where = {}
    for g in sorted(group):
        here = {sid for sid, recs in snaps.items() if g in recs}
        if here:
            where[g] = here
    vs = [v for g in sorted(group) for v in model.versions.get(g, ())
          if model.counts(v)]
    last = max(vs, key=lambda v: v.stamp()) if vs else None
    want = set()
    if last is not None and not last.deleted:
        alive = [final[g] for g in sorted(group) if final.get(g) is not None]
        for w in alive or [last]:
            want |= expected_sites(table, w, model, "HUB", spokes) or set()
    if len(where) > 1:
        problems.append("merge: %s rivals %s are still %s at once" % (
            table, sorted(group), sorted(where)))
    elif set().union(*where.values()) != want if where else want:
        problems.append("presence: %s rivals %s are at %s, must be at %s" % (
            table, sorted(group), {g: sorted(x) for g, x in where.items()},
            sorted(want)))
    for g, here in where.items():
        copies = [snaps[sid][g] for sid in sorted(here)]
        if any(c[1:] != copies[0][1:] for c in copies):
            problems.append("same: %s %s (of rivals) differs between %s" % (
                table, g, sorted(here)))
    return problems


def _short(v):
    if v is None:
        return "(absent)"
    return v if len(v) < 90 else v[:87] + "..."


def _history(model, guid):
    return "history: " + ", ".join(
        "%s%s%s" % (v.site, " deleted" if v.deleted else " wrote",
                    " (dropped)" if v.dropped else
                    "" if model.counts(v) else " (rejected)")
        for v in model.versions.get(guid, []))
