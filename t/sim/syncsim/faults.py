"""faults.py: what goes wrong. Planned from the seed: files lost,
duplicated or delayed (keyed by their names, FROM_TO_FLOW_KIND, so a fault
stays attached to the same file when a history is shrunk), syncs that
apply their files in reverse order, tools killed with SIGKILL, a site
restored from an older copy of its database, a site whose clock is a day
off. Run-time helpers for backup and restore."""
import sqlite3

from .network import DAY_MS

TOOLS_KILLED = ("syncunpack", "syncack", "syncpack")


def plan_file_fates(rng, spokes, days, rate):
    fates = {}
    pairs = [("S%d" % i, "HUB") for i in range(1, spokes + 1)]
    pairs += [("HUB", "S%d" % i) for i in range(1, spokes + 1)]
    for a, b in pairs:
        for flow in range(1, days * 8 + 1):
            for kind in ("data", "ack"):
                if rng.random() >= rate:
                    continue
                r = rng.random()
                if r < 0.4:
                    fate = {"lose": True}
                elif r < 0.65:
                    fate = {"dup": True}
                else:
                    fate = {"delay": rng.randint(1, 5)}
                fates["%s_%s_%06d_%s" % (a, b, flow, kind)] = fate
    return fates


def plan_kill(rng, rate):
    if rng.random() >= rate:
        return None
    return {"tool": rng.choice(TOOLS_KILLED), "ms": rng.randint(0, 60)}


def plan_skew(rng, spokes):
    site = "S%d" % rng.randint(1, spokes)
    return {"site": site, "ms": rng.choice((DAY_MS, -DAY_MS))}


def plan_restore(rng, spokes, days):
    """(site, backup day, restore day) or None."""
    if days < 2:
        return None
    b = rng.randint(0, days - 2)
    return ("S%d" % rng.randint(1, spokes), b, rng.randint(b + 1, days - 1))


# -- at run time ------------------------------------------------------------
def backup(site, dest):
    src = sqlite3.connect(site.db)
    dst = sqlite3.connect(dest)
    src.backup(dst)
    dst.close()
    src.close()


def restore(site, src_path):
    """The site's database goes back to the copy; its key files stay.
    Its clock row keeps the stamps it gave since: under the test clock a
    GUID is made of the site and the stamp alone (where real runs draw
    random bits), and a stamp given again after the restore would hand a
    lost record's GUID to a new one, which no real run does."""
    src = sqlite3.connect(src_path)
    dst = sqlite3.connect(site.db)
    last = dst.execute("select hlc from syncpack_clock where id = 1").fetchone()
    src.backup(dst)
    if last is not None:
        dst.execute("update syncpack_clock set hlc = max(hlc, ?) where id = 1",
                    (last[0],))
        dst.commit()
    dst.close()
    src.close()
    cols = [r[1] for r in sqlite3.connect(site.db).execute(
        "select * from pragma_table_info('customer')")]
    site.has_added_column = "vat" in cols
