"""network.py: the sites (real SQLite files driven by the real tools) and
the wire between them (files in flight, which faults may lose, duplicate,
delay or reorder)."""
import os
import re
import shutil
import tarfile
import signal
import sqlite3
import subprocess
import time

from . import pg, schema

DAY_MS = 86400000
EPOCH_MS = 1767225600000          # 2026-01-01T00:00:00Z


def _restore_refusal_only(name, rc, err):
    """syncunpack exits 2 when it refuses a file whose flow id its sender
    used before for another file (the sender was restored from a backup;
    syncunpack(1)): expected after a restore, as long as that is the only
    trouble it reports."""
    if name != "syncunpack" or rc != 2 or "reuses flow ids" not in err:
        return False
    for line in err.splitlines():
        if "reuses flow ids" in line:
            continue
        if not re.search(r": (flow \d+ from \S+ (applied|partial|superseded)"
                         r"|ack flow \d+ from \S+ ingested|already applied)",
                         line):
            return False
    return True


class ToolError(Exception):
    """A tool exited 2 (trouble) where the simulation did not expect it."""


class Site:
    """A site: a SQLite file, or (uri given) a PostgreSQL database whose
    key pair is in files of the scratch folder."""

    def __init__(self, net, sid, hub, uri=None):
        self.net = net
        self.id = sid
        self.hub = hub
        self.pg = uri is not None
        self.db = uri or os.path.join(net.root, sid + ".db")
        self.pub = (os.path.join(net.root, sid + ".pub") if self.pg else
                    self.db + ".pub")
        self.outdir = os.path.join(net.root, "out", sid)
        self.inbox = []            # delivered files (paths), in order
        self.skew_ms = 0
        self.has_added_column = False
        self.emptydir = os.path.join(net.root, "empty", sid)
        os.makedirs(self.outdir, exist_ok=True)
        os.makedirs(self.emptydir, exist_ok=True)

    # -- time ------------------------------------------------------------
    def now_ms(self):
        return self.net.clock_ms + self.skew_ms

    # -- tools -----------------------------------------------------------
    def tool(self, name, *args, ok=(0, 1), kill_after_ms=None):
        """Runs a tool with this site's simulated clock. Returns (rc, stderr)
        or (None, stderr) when it was killed on purpose."""
        env = dict(os.environ)
        env["SYNCPACK_TEST_CLOCK_MS"] = str(self.now_ms())
        env.pop("SYNCPACK_DB", None)
        env["LC_ALL"] = "C"
        argv = [os.path.join(self.net.bindir, name)] + [str(a) for a in args]
        self.net.tool_runs += 1
        p = subprocess.Popen(argv, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env=env,
                             cwd=self.net.root)
        if kill_after_ms is not None:
            try:
                out, err = p.communicate(timeout=kill_after_ms / 1000.0)
            except subprocess.TimeoutExpired:
                p.send_signal(signal.SIGKILL)
                out, err = p.communicate()
                self.net.log("  %s: %s killed after %d ms" % (self.id, name,
                                                             kill_after_ms))
                self.net.kills += 1
                return None, err.decode("utf-8", "replace"), out
        else:
            out, err = p.communicate()
        err = err.decode("utf-8", "replace")
        if p.returncode not in ok and not _restore_refusal_only(
                name, p.returncode, err):
            raise ToolError("%s: %s %s exited %d: %s" % (
                self.id, name, " ".join(str(a) for a in args), p.returncode,
                err.strip()[:2000]))
        if self.net.verbose > 1 and err.strip():
            for line in err.strip().splitlines():
                self.net.log("    %s %s: %s" % (self.id, name, line))
        return p.returncode, err, out

    def adm(self, *args, ok=(0, 1)):
        n = 2 if args[0] in ("peer", "conflicts") and len(args) > 1 else 1
        return self.tool("syncadm", *(args[:n] + ("-d", self.db) + args[n:]),
                         ok=ok)

    def fold(self):
        """What every tool does first: the change log becomes metadata,
        stamped with this site's clock."""
        self.tool("syncadm", "tables", "-d", self.db, ok=(0,))

    # -- database --------------------------------------------------------
    def connect(self):
        if self.pg:
            return pg.Connection(self.db)
        c = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        c.text_factory = bytes
        c.execute("pragma foreign_keys = on")
        return c

    def query(self, sql, args=()):
        c = self.connect()
        try:
            return c.execute(sql, args).fetchall()
        finally:
            c.close()

    def table_id(self, table):
        return self.net.table_ids[table]


class Network:
    """The sites and the files between them. A file in flight is
    [path, ready_after_round, receiver]."""

    def __init__(self, root, bindir, spokes, verbose=0, logf=None,
                 hub_uri=None):
        self.root = root
        self.bindir = bindir
        self.verbose = verbose
        self.logf = logf
        self.clock_ms = EPOCH_MS
        self.tool_runs = 0
        self.kills = 0
        self.files_sent = 0
        self.files_lost = 0
        # Sites made by this version seal every file (sxf(5)): the
        # names of the files that went out unsealed.
        self.unsealed = []
        self.files_dup = 0
        self.files_delayed = 0
        self.wire = []
        self.serial = 0
        os.makedirs(os.path.join(root, "wire"), exist_ok=True)
        self.hub = Site(self, "HUB", True, hub_uri)
        self.spokes = [Site(self, "S%d" % (i + 1), False)
                       for i in range(spokes)]
        self.sites = [self.hub] + self.spokes
        self.by_id = {s.id: s for s in self.sites}
        self.table_ids = {}

    def log(self, msg):
        if self.verbose:
            print(msg, file=self.logf, flush=True)

    def setup(self):
        for s in self.sites:
            args = ["init", "--site", s.id] + (["--hub"] if s.hub else [])
            if s.pg:
                args += ["--key", os.path.join(self.root, s.id + ".key"),
                         "--pub", s.pub]
            s.adm(*args, ok=(0,))
        for sp in self.spokes:
            self.hub.adm("peer", "add", "--site", sp.id, "--key", sp.pub,
                         ok=(0,))
            sp.adm("peer", "add", "--site", "HUB", "--key", self.hub.pub,
                   ok=(0,))
        for s in self.sites:
            c = s.connect()
            for name, create, *_ in schema.TABLES:
                c.execute(pg.ddl(create) if s.pg else create)
            c.close()
            for name, *_ in schema.TABLES:
                s.adm("track", name, *schema.track_args(name), ok=(0,))
        for row in self.hub.query("select name, id from syncpack_table"):
            self.table_ids[row[0].decode()] = row[1]
        for s in self.spokes:
            ids = {r[0].decode(): r[1] for r in
                   s.query("select name, id from syncpack_table")}
            assert ids == self.table_ids, "table ids differ between sites"

    # -- the wire --------------------------------------------------------
    def collect(self, site, fates, round_no):
        """Takes the files a tool wrote into site's out folder onto the
        wire, applying the faults planned for their names."""
        for name in sorted(os.listdir(site.outdir)):
            if name.startswith(".") or not name.endswith(".sxf"):
                continue
            src = os.path.join(site.outdir, name)
            key = name[:-4]
            parts = key.split("_")
            receiver = parts[1] if len(parts) >= 4 else None
            self.files_sent += 1
            if not _sealed(src):
                self.unsealed.append(name)
            fate = fates.get(key, {}) if fates is not None else {}
            if fate.get("lose"):
                self.files_lost += 1
                self.log("  wire: %s lost" % key)
                os.unlink(src)
                continue
            copies = 2 if fate.get("dup") else 1
            delay = fate.get("delay", 0)
            if delay:
                self.files_delayed += 1
            for i in range(copies):
                self.serial += 1
                dst = os.path.join(self.root, "wire", "%06d-%s" % (
                    self.serial, name))
                shutil.copyfile(src, dst)
                self.wire.append([dst, round_no + delay + (3 * i), receiver])
                if i:
                    self.files_dup += 1
            if delay or copies > 1:
                self.log("  wire: %s delayed %d%s" % (
                    key, delay, ", duplicated" if copies > 1 else ""))
            os.unlink(src)

    def deliver(self, site, round_no):
        """Moves the files ready for site into its inbox, oldest first."""
        keep = []
        for item in self.wire:
            path, ready, receiver = item
            if receiver == site.id and ready <= round_no:
                site.inbox.append(path)
            else:
                keep.append(item)
        self.wire = keep

    def in_flight(self):
        return len(self.wire) + sum(len(s.inbox) for s in self.sites)

    def drop_from(self, site):
        """Files not yet delivered from site disappear (with the site's
        machine, when it is restored from a backup)."""
        prefix = site.id + "_"
        keep = []
        for item in self.wire:
            if os.path.basename(item[0]).split("-", 1)[1].startswith(prefix):
                os.unlink(item[0])
                self.files_lost += 1
            else:
                keep.append(item)
        self.wire = keep
        for s in self.sites:
            left = []
            for path in s.inbox:
                if os.path.basename(path).split("-", 1)[1].startswith(prefix):
                    os.unlink(path)
                    self.files_lost += 1
                else:
                    left.append(path)
            s.inbox = left
        for name in os.listdir(site.outdir):
            os.unlink(os.path.join(site.outdir, name))


def _sealed(path):
    """Whether the exchange file at path is sealed (its HEADER names the
    seal); a file a fault broke is not the writer's, and counts as
    sealed."""
    try:
        with tarfile.open(path, "r:gz") as t:
            f = t.extractfile("HEADER")
            return f is None or b"\nseal: " in f.read()
    except (tarfile.TarError, OSError, KeyError, EOFError):
        return True
