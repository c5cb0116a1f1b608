"""shrink.py: the smallest history that still fails the same way, found
greedily within a time budget: whole days, then events, then single
writes, then faults (file fates, kills, reordering, the clock skew) are
dropped while the failure persists."""
import copy
import time


def kinds(problems):
    """The invariants a run broke (the word before the first colon)."""
    return {p.split(":", 1)[0] for p in problems}


def size(plan):
    n = len(plan["fates"]) + (1 if plan.get("skew") else 0)
    for day in plan["days"]:
        for ev in day["events"]:
            n += 1 + len(ev.get("ops", ())) + (1 if ev.get("kill") else 0) \
                + (1 if ev.get("reorder") else 0)
    return n


def _chunks(items, fails, budget):
    """ddmin-style: removes chunks of items (halves, quarters, ... single
    ones) while fails(items without them) holds."""
    n = max(1, len(items) // 2)
    while n >= 1 and items and not budget():
        i, changed = 0, False
        while i < len(items) and not budget():
            trial = items[:i] + items[i + n:]
            if fails(trial):
                items, changed = trial, True
            else:
                i += n
        if not changed:
            n //= 2
    return items


def shrink(plan, run, problems, seconds, log=lambda m: None):
    """run(plan) -> problems. Returns the smallest failing plan found."""
    target = kinds(problems)
    deadline = time.time() + seconds
    best = copy.deepcopy(plan)
    tries = [0]

    def budget():
        return time.time() > deadline

    def fails(p):
        tries[0] += 1
        got = run(p)
        ok = bool(kinds(got) & target)
        log("shrink: try %d, size %d: %s" % (tries[0], size(p),
                                              "fails" if ok else "passes"))
        return ok

    # Whole days (the last day's evening syncs go with it).
    def with_days(days):
        p = copy.deepcopy(best)
        p["days"] = days
        return p
    best["days"] = _chunks(best["days"], lambda d: fails(with_days(d)), budget)
    # Events, day by day.
    for di in range(len(best["days"])):
        def with_events(evs, di=di):
            p = copy.deepcopy(best)
            p["days"][di]["events"] = evs
            return p
        best["days"][di]["events"] = _chunks(
            best["days"][di]["events"], lambda e: fails(with_events(e)), budget)
    # Faults: file fates, then kills and reordering, then the skew.
    keys = sorted(best["fates"])

    def with_fates(ks):
        p = copy.deepcopy(best)
        p["fates"] = {k: best["fates"][k] for k in ks}
        return p
    best["fates"] = {k: best["fates"][k] for k in
                     _chunks(keys, lambda ks: fails(with_fates(ks)), budget)}
    for di, day in enumerate(best["days"]):
        for ei, ev in enumerate(day["events"]):
            for attr in ("kill", "reorder"):
                if attr in ev and not budget():
                    p = copy.deepcopy(best)
                    del p["days"][di]["events"][ei][attr]
                    if fails(p):
                        best = p
            if ev.get("ops") and len(ev["ops"]) > 1 and not budget():
                def with_ops(o, di=di, ei=ei):
                    p = copy.deepcopy(best)
                    p["days"][di]["events"][ei]["ops"] = o
                    return p
                best["days"][di]["events"][ei]["ops"] = _chunks(
                    ev["ops"], lambda o: fails(with_ops(o)), budget)
    if best.get("skew") and not budget():
        p = copy.deepcopy(best)
        p["skew"] = None
        if fails(p):
            best = p
    return best, tries[0]
