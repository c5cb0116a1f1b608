"""run.py: executes one history against the real tools: the days, then the
drain (every file delivered, no more faults, rounds until nothing moves),
then the invariants."""
import glob
import json
import os
import re
import shutil
import tempfile

from . import faults, invariants, ops, schema
from .model import Model
from .network import DAY_MS, EPOCH_MS, Network, ToolError

STEP_MS = 5 * 60 * 1000
DRAIN_ROUNDS = 14


class Result:
    def __init__(self):
        self.problems = []
        self.stats = {}
        self.root = None

    @property
    def ok(self):
        return not self.problems


class Runner:
    def __init__(self, plan, bindir, verbose=0, keep=False, logf=None,
                 workdir=None, drain_heartbeat=False, pg_server=None):
        self.plan = plan
        self.features = plan.get("features", {})
        self.root = tempfile.mkdtemp(prefix="syncsim.", dir=workdir)
        self.keep = keep
        # A hub on PostgreSQL: a database of its own on the simulator's
        # server, dropped with the scratch folder.
        if plan.get("hub_backend", "sqlite") != schema.HUB_BACKEND:
            raise ValueError("a history for a hub on %s, run with %s" % (
                plan.get("hub_backend", "sqlite"), schema.HUB_BACKEND))
        self.pg_server = pg_server
        self.pg_db = pg_server.newdb() if pg_server else None
        self.net = Network(self.root, bindir, plan["spokes"], verbose, logf,
                           pg_server.uri(self.pg_db) if pg_server else None)
        self.model = Model()
        self.round = 0
        self.stats = {}
        self.backups = {}
        self.kept_seen = {}
        self.fates = plan.get("fates", {})
        # Whether the drain's packs are heartbeats (no --if-changed), which
        # moves the peers' ack marks past tombstones applied from them.
        self.drain_heartbeat = drain_heartbeat

    def on(self, f):
        return self.features.get(f, True)

    # -- one site's cycle ---------------------------------------------------
    def sync(self, site, kill=None, reorder=False, fates=True,
             heartbeat=False):
        net, self.round = self.net, self.round + 1
        fates = self.fates if fates else None
        kill_tool = kill["tool"] if kill else None
        kill_ms = kill["ms"] if kill else None

        def k(tool):
            return kill_ms if tool == kill_tool else None
        net.deliver(site, self.round)
        # Like cron: syncunpack runs even with nothing new (an empty
        # folder), since it also applies held records whose reason went.
        files = list(reversed(site.inbox)) if reorder else list(site.inbox)
        rc, err, _ = site.tool("syncunpack", "-d", site.db,
                               *(files or [site.emptydir]),
                               kill_after_ms=k("syncunpack"))
        if rc is not None:
            for f in files:
                os.unlink(f)
            site.inbox = []
            self._note_outcomes(err)
            self._note_kept(site)
        peers = [s for s in net.spokes] if site.hub else [net.hub]
        for p in peers:
            frozen = self._frozen(site, p) if site.hub else None
            rc, _, _ = site.tool("syncack", "-d", site.db, "--to", p.id, "-o",
                                 site.outdir, kill_after_ms=k("syncack"))
            if frozen is not None and rc is not None:
                self._record_freeze(site, p, frozen)
            self._clean_tmp(site)
            net.collect(site, fates, self.round)
        if site.hub:
            args = ["--all"]
        else:
            args = ["--to", "HUB"]
        if not heartbeat:
            args.append("--if-changed")      # as syncpack-cron does
        site.tool("syncpack", "-d", site.db, *args, "-o", site.outdir,
                  kill_after_ms=k("syncpack"))
        self._clean_tmp(site)
        net.collect(site, fates, self.round)

    def _note_outcomes(self, err):
        """Counts the records syncunpack reports per outcome."""
        for word in ("conflicts", "rejected", "held"):
            for n in re.findall(r"\b%s (\d+)" % word, err):
                self.stats["records " + word] = self.stats.get(
                    "records " + word, 0) + int(n)
        n = err.count(" superseded:")
        if n:
            self.stats["files superseded"] = self.stats.get(
                "files superseded", 0) + n

    def _note_kept(self, site):
        """The deletes this site refused since it was last asked (a live
        row here still referred to the record), with the stamp of the
        version it kept, for the model (Model.delete_refused)."""
        seen = self.kept_seen.setdefault(site.id, set())
        for peer, flow, guid, hlc, hlc_site in site.query(
                "select p.peer, p.flow, p.guid, r.hlc, r.hlc_site from"
                " syncpack_protocol p join syncpack_record r on r.guid ="
                " p.guid where p.direction = 'in' and p.outcome ="
                " 'conflict-lost' and p.reason like ? and r.deleted = 0",
                ("delete lost:%",)):
            if (peer, flow, guid) not in seen:
                seen.add((peer, flow, guid))
                self.model.delete_refused(guid.decode(),
                                          (hlc, hlc_site.decode()))

    def _clean_tmp(self, site):
        for name in os.listdir(site.outdir):
            if name.startswith("."):
                os.unlink(os.path.join(site.outdir, name))

    def _frozen(self, hub, spoke):
        return {r[0] for r in hub.query(
            "select guid from syncpack_record where flags & 1 <> 0 and"
            " owner = ?",
            (spoke.id,))}

    def _record_freeze(self, hub, spoke, before):
        for guid, hlc, hlc_site in hub.query(
                "select guid, hlc, hlc_site from syncpack_record where"
                " flags & 1 <> 0 and owner = ?", (spoke.id,)):
            if guid not in before:
                self.model.hub_froze(guid.decode(), (hlc, hlc_site.decode()))

    # -- the events of a history -------------------------------------------
    def event(self, ev):
        net = self.net
        site = net.by_id[ev["site"]]
        kind = ev["e"]
        net.log("%s %s %s" % (self._when(), site.id, _describe(ev)))
        if kind == "ops":
            ops.run_burst(site, self.model, ev["ops"], self.stats,
                          self.on("freeze-race"))
        elif kind == "sync":
            self.sync(site, ev.get("kill"), ev.get("reorder", False),
                      heartbeat=ev.get("heartbeat", False))
        elif kind == "lock":
            ops.lock(site, ev)
        elif kind == "unlock":
            ops.unlock(site, ev)
        elif kind == "resolve":
            if ops.resolve(site, self.model, ev):
                self._count("resolutions")
        elif kind == "addcol":
            ops.add_column(site)
        elif kind == "move":
            self.move(site, net.by_id[ev["to"]], ev["pick"])
        elif kind == "reqmove":
            self.request_move(site, ev["pick"])
        elif kind == "backup":
            path = os.path.join(self.root, "backup-%s.db" % site.id)
            faults.backup(site, path)
            self.backups[site.id] = (path, self.model.seq)
        elif kind == "restore":
            self.restore(site)
        elif kind == "reconcile":
            self.reconcile(site)
        else:
            raise ValueError(kind)

    def _when(self):
        t = self.net.clock_ms - EPOCH_MS
        return "day %d %02d:%02d" % (t // DAY_MS, t % DAY_MS // 3600000,
                                     t % 3600000 // 60000)

    def _count(self, what):
        self.stats[what] = self.stats.get(what, 0) + 1

    def move(self, site, to, pick):
        rows = ops.movable_rows(site)
        if not rows:
            return
        key = rows[pick % len(rows)]
        guid = site.query("select guid from syncpack_record where tbl = ? and"
                          " rkey = ?", (site.table_id("job"), key))[0][0]
        site.tool("syncpack", "-d", site.db, "--to", to.id, "--move",
                  "job:%d" % key, "-o", site.outdir, ok=(0,))
        self._count("moves")
        self.model.moved(guid.decode(), to.id, site.id)
        for (g,) in site.query(
                "select r.guid from job_step s join syncpack_record r on"
                " r.rkey = %s and r.tbl = ? where s.job_id = ?"
                % ("cast(s.id as text)" if site.pg else "s.id"),
                (site.table_id("job_step"), key)):
            self.model.moved(g.decode(), to.id, site.id)
        self.net.collect(site, self.fates, self.round)

    def request_move(self, site, pick):
        known = sorted(g for g, t in self.model.table.items() if t == "job")
        if not known:
            return
        guid = known[pick % len(known)]
        site.tool("syncpack", "-d", site.db, "--to", "HUB", "--request-move",
                  "job:" + guid, "-o", site.outdir, ok=(0,))
        self._count("move requests")
        self.model.move_unknown(guid)
        for g, t in self.model.table.items():
            if t == "job_step":
                self.model.move_unknown(g)
        self.net.collect(site, self.fates, self.round)

    def restore(self, site):
        if site.id not in self.backups:
            return
        path, seq = self.backups[site.id]
        hub = self.net.hub

        def hub_stamp(guid):
            # A tombstone the hub purged still counts: it remembers the
            # delete (syncpack_purged) and sends it to the restored site.
            # So does a version the hub holds (syncpack_held: its parent
            # has not arrived, say): the hub received it and applies it
            # when it can, as syncpack(7) says, whatever became of the
            # site that sent it.
            r = hub.query("select hlc, hlc_site from syncpack_record where"
                          " guid = ? union all select hlc, hlc_site from "
                          "syncpack_purged where guid = ?", (guid, guid))
            stamps = [(h, s.decode()) for h, s in r]
            for (line,) in hub.query("select record from syncpack_held"
                                     " where guid = ?", (guid,)):
                rec = json.loads(line)
                stamps.append((rec["hlc"], rec["hlc_site"]))
            return max(stamps) if stamps else None
        self.net.drop_from(site)
        faults.restore(site, path)
        self.model.restored(site.id, seq, hub_stamp)
        self._count("restores")

    def reconcile(self, site):
        """The four steps of syncdiff(1), hub and spoke, through a folder;
        the spoke's acknowledgement goes over the wire."""
        hub = self.net.hub
        d = os.path.join(self.root, "recon-%d" % self.round)
        os.makedirs(d)
        hub.tool("syncdiff", "-d", hub.db, "--request", "--to", site.id,
                 "--since", "2000-01-01", "--until", "2100-12-31", "-o", d,
                 ok=(0,))
        req = glob.glob(os.path.join(d, "HUB_%s_*_request.sxf" % site.id))
        site.tool("syncdiff", "-d", site.db, "--answer", req[0], "-o", d,
                  ok=(0,))
        ans = glob.glob(os.path.join(d, "%s_HUB_*_answer.sxf" % site.id))
        hub.tool("syncunpack", "-d", hub.db, ans[0])
        self._note_kept(hub)
        hub.tool("syncdiff", "-d", hub.db, "--answer", ans[0], "-o", d,
                 ok=(0,))
        ans2 = glob.glob(os.path.join(d, "HUB_%s_*_answer.sxf" % site.id))
        site.tool("syncunpack", "-d", site.db, ans2[0])
        self._note_kept(site)
        site.tool("syncack", "-d", site.db, "--to", "HUB", "-o", site.outdir)
        self.net.collect(site, None, self.round)
        self._count("reconciliations")

    # -- the whole run ------------------------------------------------------
    def drain(self):
        """No more faults: every file delivered, locks released, the column
        everywhere, conflicts resolved, rounds until nothing moves."""
        net = self.net
        for item in net.wire:
            item[1] = 0
        for s in net.sites:
            ops.unlock_all(s)
        # A shrunk history may have lost the hub's upgrade but kept a
        # spoke's: the network still ends on the new schema everywhere.
        if any(s.has_added_column for s in net.sites):
            for s in net.sites:
                ops.add_column(s)
        quiet = 0
        for r in range(DRAIN_ROUNDS):
            net.clock_ms += STEP_MS
            sent = net.files_sent
            resolved = 0
            # One operator per conflict: the hub's. A spoke resolves only
            # what the hub does not hold open (two operators resolving the
            # same record at once make a new conflict, as they should);
            # the hub's resolution settles the spoke's when it arrives.
            hub_open = set(ops.open_conflict_guids(net.hub))
            for s in [net.hub] + net.spokes:
                while True:
                    ids = [i for i, g in ops.open_conflicts(s, guids=True)
                           if s.hub or g not in hub_open]
                    if not ids:
                        break
                    ops.resolve(s, self.model, {
                        "pick": 0, "keep": "local" if s.hub else "remote",
                        "ids": ids})
                    resolved += 1
            for s in net.spokes + [net.hub] + net.spokes:
                self.sync(s, fates=False, heartbeat=self.drain_heartbeat and
                          r < 3)
            if net.files_sent == sent and not net.in_flight() and not resolved:
                quiet += 1
                if quiet >= 2:
                    return r + 1
            else:
                quiet = 0
        return None

    def execute(self):
        res = Result()
        res.root = self.root
        net = self.net
        try:
            net.setup()
            skew = self.plan.get("skew")
            if skew and skew["site"] in net.by_id:
                net.by_id[skew["site"]].skew_ms = skew["ms"]
            for d, day in enumerate(self.plan["days"]):
                for i, ev in enumerate(day["events"]):
                    net.clock_ms = EPOCH_MS + d * DAY_MS + (i + 1) * STEP_MS
                    if ev["site"] in net.by_id:
                        self.event(ev)
            net.clock_ms = EPOCH_MS + len(self.plan["days"]) * DAY_MS
            rounds = self.drain()
            if rounds is None:
                res.problems.append("settle: the network still moves after"
                                    " %d drain rounds" % DRAIN_ROUNDS)
            res.problems += invariants.check(net, self.model)
        except ToolError as e:
            res.problems.append("tool: " + str(e))
        except ops.SimError as e:
            res.problems.append("sim: " + str(e))
        res.stats = dict(self.stats)
        res.stats.update({"tool runs": net.tool_runs, "kills": net.kills,
                          "files": net.files_sent, "lost": net.files_lost,
                          "duplicated": net.files_dup,
                          "delayed": net.files_delayed,
                          "records": len(self.model.table),
                          "key rivals": len(self.model.rival)})
        if res.ok and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
            if self.pg_db:
                self.pg_server.dropdb(self.pg_db)
        elif self.pg_db:
            # The server goes when the simulator ends: the hub's database
            # stays in the scratch folder as a dump.
            self.pg_server.dump(self.pg_db, os.path.join(self.root,
                                                         "HUB.sql"))
            self.pg_server.dropdb(self.pg_db)
        return res


def _describe(ev):
    e = ev["e"]
    if e == "ops":
        return "; ".join("%s %s" % (o["k"], o["t"]) for o in ev["ops"])
    if e == "sync":
        extra = ""
        if ev.get("kill"):
            extra += " (kill %s after %d ms)" % (ev["kill"]["tool"],
                                                ev["kill"]["ms"])
        if ev.get("reorder"):
            extra += " (reordered)"
        return "sync" + extra
    return e + (" -> " + ev["to"] if "to" in ev else "")
