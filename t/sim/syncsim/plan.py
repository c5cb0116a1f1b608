"""plan.py: a whole history drawn from one seed, as plain JSON: the days,
each a list of events (bursts of application writes, syncs, locks, moves,
resolutions, backups and restores), and the faults. Executing a history
is deterministic given the history; shrinking edits it."""
import random

from . import faults, schema, values

# Switches for whole features (--no-FEATURE), so that a known open bug
# that fails every run can be set aside while the rest is tested.
FEATURES = {
    "parent-delete": "deletes of rows that have (or may get) children",
    "bad-text": "text that is not valid UTF-8 or holds NUL bytes",
    "big-blobs": "1 MiB blobs",
    "hostile": "the hostile value set (else plain values)",
    "locks": "syncadm lock / unlock",
    "moves": "moves of movable records (syncpack --move, --request-move)",
    "conflicts": "the --conflict manual table and resolutions",
    "schema-drift": "a column added at the hub mid-run",
    "lose": "files lost, duplicated, delayed, reordered",
    "kill": "tools killed with SIGKILL",
    "restore": "a spoke restored from an older copy of its database",
    "skew": "one spoke's clock a day off",
    "freeze-race": "spoke writes to --freeze records the hub may have frozen",
}

# Features a hub on PostgreSQL leaves out (--hub-backend postgresql), and
# why: what its tools refuse so far, and values its typed columns cannot
# hold (text that is not UTF-8 or holds NUL; a blob in a text column,
# text in a blob column and a fraction in an integer column are kept
# out too, by the typed value set).
PG_HUB_OFF = {
    "bad-text": "its text columns hold UTF-8 without NUL only",
}


def features_for(features, hub_backend):
    """The features of a run with this hub: PG_HUB_OFF switched off."""
    if hub_backend != "postgresql":
        return dict(features)
    return {f: on and f not in PG_HUB_OFF for f, on in features.items()}

# Tables written, with weights; parents are deleted only with
# parent-delete (they may have children at other sites).
TABLE_WEIGHTS = [("customer", 4), ("doc", 3), ("line", 3), ("article", 1),
                 ("event", 1), ("note", 2), ("job", 1), ("job_step", 1),
                 ("basket", 2), ("audit", 2)]
PARENTS = {"customer", "doc", "article", "job"}


def generate(seed, spokes, days, features, ops_per_day=10):
    rng = random.Random(seed)
    hub_backend = schema.HUB_BACKEND
    features = features_for(features, hub_backend)
    on = lambda f: features.get(f, True)
    plan = {"version": 1, "seed": seed, "spokes": spokes,
            "features": dict(features), "skew": None, "fates": {},
            "days": []}
    if hub_backend != "sqlite":
        plan["hub_backend"] = hub_backend
    sites = ["HUB"] + ["S%d" % i for i in range(1, spokes + 1)]
    if on("skew") and rng.random() < 0.6:
        plan["skew"] = faults.plan_skew(rng, spokes)
    addcol = rng.randint(1, max(1, days - 1)) if on("schema-drift") else None
    spoke_addcol = {s: addcol + rng.randint(0, 2) for s in sites[1:]} \
        if addcol is not None else {}
    restore = faults.plan_restore(rng, spokes, days) \
        if on("restore") and rng.random() < 0.5 else None
    kill_rate = 0.08 if on("kill") else 0
    for d in range(days):
        ev = []
        if addcol == d:
            ev.append({"e": "addcol", "site": "HUB"})
        for s, day in spoke_addcol.items():
            if day == d and d != addcol:
                ev.append({"e": "addcol", "site": s})
        if restore and restore[1] == d:
            ev.append({"e": "backup", "site": restore[0]})
        n = rng.randint(ops_per_day // 2, ops_per_day * 3 // 2)
        for _ in range(n):
            site = rng.choice(sites)
            r = rng.random()
            if r < 0.62:
                ev.append({"e": "ops", "site": site, "ops": [
                    _op(rng, site, features)
                    for _ in range(rng.randint(1, 3))]})
            elif r < 0.85:
                ev.append(_sync(rng, site, kill_rate, on("lose")))
            elif r < 0.89 and on("locks"):
                ev.append({"e": rng.choice(("lock", "unlock")), "site": site,
                           "table": rng.choice(("customer", "doc", "note")),
                           "pick": rng.randrange(1 << 30)})
            elif r < 0.95 and on("moves"):
                if rng.random() < 0.7:
                    to = rng.choice(sites[1:]) if site == "HUB" else "HUB"
                    ev.append({"e": "move", "site": site, "to": to,
                               "pick": rng.randrange(1 << 30)})
                elif site != "HUB":
                    ev.append({"e": "reqmove", "site": site,
                               "pick": rng.randrange(1 << 30)})
            elif on("conflicts"):
                ev.append({"e": "resolve", "site": site,
                           "pick": rng.randrange(1 << 30),
                           "keep": rng.choice(("local", "remote"))})
        if restore and restore[2] == d:
            at = rng.randint(0, len(ev))
            ev[at:at] = [{"e": "restore", "site": restore[0]},
                         {"e": "reconcile", "site": restore[0]}]
        # The day ends with every site's evening cycle.
        order = sites[1:]
        rng.shuffle(order)
        for s in order + ["HUB"] + order:
            ev.append(_sync(rng, s, kill_rate, on("lose")))
        plan["days"].append({"events": ev})
    if on("lose"):
        plan["fates"] = faults.plan_file_fates(rng, spokes, days, 0.06)
    return plan


def _sync(rng, site, kill_rate, reorder):
    ev = {"e": "sync", "site": site}
    k = faults.plan_kill(rng, kill_rate)
    if k:
        ev["kill"] = k
    if reorder and rng.random() < 0.2:
        ev["reorder"] = True
    if rng.random() < 0.25:
        ev["heartbeat"] = True       # a pack even with nothing to send
    return ev


def _op(rng, site, features):
    on = lambda f: features.get(f, True)
    present = [(t, w) for t, w in TABLE_WEIGHTS if t in schema.BY_NAME]
    tables, weights = zip(*present)
    if not on("conflicts"):
        tables, weights = zip(*[(t, w) for t, w in present
                                if t != "note"])
    if not on("moves"):
        tables, weights = zip(*[(t, w) for t, w in zip(tables, weights)
                                if not schema.policy(t)["movable"]])
    table = rng.choices(tables, weights)[0]
    if site == "HUB" and rng.random() < 0.2:
        table = "article"
    r = rng.random()
    kind = "ins" if r < 0.45 else "upd" if r < 0.85 else "del"
    if site == "HUB" and schema.policy(table)["route"] == "none":
        # Upload only: a change the hub made would never reach the
        # creator (route none sends nothing), so the hub only inserts.
        kind = "ins"
    if kind == "del" and table in PARENTS and not on("parent-delete"):
        kind = "upd"
    op = {"k": kind, "t": table}
    if kind != "ins":
        op["pick"] = rng.randrange(1 << 30)
    if kind == "del":
        return op
    if kind == "ins" and not schema.key(table) and rng.random() < 0.3:
        op["copy"] = rng.randrange(1 << 30)   # an exact duplicate of a row
        return op
    cols = schema.columns(table)
    chosen = [c for c in sorted(cols) if kind == "ins" or rng.random() < 0.5]
    typed = schema.HUB_BACKEND == "postgresql"
    op["vals"] = {c: values.draw(rng, cols[c], hostile=on("hostile"),
                                 big_blobs=on("big-blobs"),
                                 bad_text=on("bad-text"), typed=typed)
                  for c in chosen}
    if table == schema.ADDED_TABLE and rng.random() < 0.3:
        op["vals"][schema.ADDED_COLUMN] = values.draw(
            rng, "text", hostile=on("hostile"), big_blobs=False,
            bad_text=on("bad-text"), typed=typed)
    fk = {}
    key = schema.key(table)
    # An update re-points one key column that is a reference, now and then
    # (a change of the same record); key columns are never NULL.
    repoint = rng.choice([c for c in sorted(schema.fks(table)) if c in key]) \
        if kind == "upd" and set(key) & set(schema.fks(table)) and \
        rng.random() < 0.6 else None
    for col in sorted(schema.fks(table)):
        if col in key:
            if kind == "ins" or col == repoint:
                fk[col] = rng.randrange(1 << 30)
        elif kind == "ins" or rng.random() < 0.2:
            fk[col] = None if rng.random() < 0.1 else rng.randrange(1 << 30)
    if fk:
        op["fk"] = fk
    if table in schema.ROWVERSION_COLUMNS and kind == "upd" and \
            rng.random() < 0.4:
        op["rv"] = "fresh" if rng.random() < 0.75 else "stale"
    return op


def coverage_keys():
    """What a set of histories must exercise between them (scripts/simulate
    --coverage; t/t0900 checks its fixed seeds with it), for the tables and
    features of the hub's backend."""
    keys = (
        ["%s %s" % (k, t) for t, *_ in schema.TABLES
         for k in ("ins", "upd", "del")]
        + ["repoint %s" % t for t, *_ in schema.TABLES
           if set(schema.key(t)) & set(schema.fks(t))]
        + ["copy %s" % t for t, *_ in schema.TABLES if not schema.key(t)]
        + ["lock", "unlock", "move", "reqmove", "resolve", "addcol", "backup",
           "restore", "reconcile", "skew", "kill syncunpack", "kill syncack",
           "kill syncpack", "file lose", "file dup", "file delay", "reorder",
           "heartbeat", "stale rowversion", "value invalid utf-8",
           "value nul", "value empty text", "value null", "value empty blob",
           "value 1 MiB blob", "value int64 max", "value int64 min",
           "value 17-digit real", "value plane 1", "value plane 2",
           "value plane 14", "value plane 16"])
    if schema.HUB_BACKEND != "postgresql":
        return keys
    off = {"value invalid utf-8", "value nul"}
    return [k for k in keys if k not in off]


def coverage(plan):
    used = set()
    if plan.get("skew"):
        used.add("skew")
    for fate in plan.get("fates", {}).values():
        used.update("file " + k for k in fate)
    for day in plan["days"]:
        for ev in day["events"]:
            e = ev["e"]
            if e == "sync":
                if ev.get("kill"):
                    used.add("kill " + ev["kill"]["tool"])
                for k in ("reorder", "heartbeat"):
                    if ev.get(k):
                        used.add(k)
            elif e != "ops":
                used.add(e)
            for op in ev.get("ops", ()):
                used.add("%s %s" % (op["k"], op["t"]))
                if "copy" in op:
                    used.add("copy " + op["t"])
                if op["k"] == "upd" and set(op.get("fk", ())) & set(
                        schema.key(op["t"])):
                    used.add("repoint " + op["t"])
                if op.get("rv") == "stale":
                    used.add("stale rowversion")
                for v in op.get("vals", {}).values():
                    used.update(_value_kinds(v))
    return used


def _value_kinds(spec):
    k = spec[0]
    if k == "n":
        return {"value null"}
    if k == "B":
        return {"value 1 MiB blob"}
    if k == "b":
        return {"value empty blob"} if spec[1] == "" else set()
    if k == "i":
        return {values.INT64_MAX: {"value int64 max"},
                values.INT64_MIN: {"value int64 min"}}.get(spec[1], set())
    if k == "r":
        f = float.fromhex(spec[1])
        return {"value 17-digit real"} if float("%.15g" % f) != f else set()
    b = bytes.fromhex(spec[1])
    out = set()
    if b == b"":
        out.add("value empty text")
    if b"\x00" in b:
        out.add("value nul")
    try:
        t = b.decode("utf-8")
    except UnicodeDecodeError:
        out.add("value invalid utf-8")
        return out
    planes = {ord(ch) >> 16 for ch in t}
    out.update("value plane %d" % p for p in planes if p)
    return out
