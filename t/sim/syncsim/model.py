"""model.py: the simulator's own account of which write must win, under
the rules documented in syncpack(7), syncadm(1) and syncunpack(1):

- every version of a record is kept with its HLC stamp (hlc, site); the
  winner is the newest by HLC then site id (lww, and the order the tools'
  hybrid clock gives causally later writes). Central tables are written by
  the hub only, creator tables by their creator or the hub; the triggers
  refuse the rest at the writer, so those never become versions;
- a spoke's change to a --freeze record the hub has frozen (the hub
  acknowledged it) is rejected at the hub: it does not count;
- --conflict manual: a conflict keeps both sides until an operator
  resolves it; the resolution is a new version (newest of all);
- a delete racing a new reference loses: a record some surviving record
  refers to is kept with its latest values, and so is one that a site
  kept because a row there referred to it when the delete arrived: the
  version it kept beats the deletes stamped before it, even once nothing
  refers to the record any more;
- a site restored from a backup loses the changes it made after the
  backup that the hub had not received; those the hub had come back;
- movable records live on exactly one site."""
from . import schema


class Version:
    __slots__ = ("guid", "table", "site", "hlc", "hlc_site", "deleted",
                 "content", "seq", "dropped")

    def __init__(self, guid, table, site, hlc, hlc_site, deleted, content,
                 seq):
        self.guid, self.table, self.site = guid, table, site
        self.hlc, self.hlc_site = hlc, hlc_site
        self.deleted, self.content, self.seq = deleted, content, seq
        self.dropped = False

    def stamp(self):
        return (self.hlc, self.hlc_site)

    def __repr__(self):
        return "<%s %s@%s hlc=%d %s>" % (
            self.table, self.guid[-8:], self.site, self.hlc,
            "deleted" if self.deleted else "live")


class Model:
    def __init__(self):
        self.versions = {}        # guid -> [Version]
        self.table = {}           # guid -> table
        self.origin = {}          # guid -> creating site
        self.holder = {}          # guid -> site (movable), None if unknown
        self.moved_at = {}        # guid -> (seq, site) of its last move
        self.again = {}           # guid -> restored sites that hold it again
        self.freeze = {}          # guid -> stamp the hub froze it at
        self.requested = set()    # guids a spoke asked to be moved to it
        self.rival = {}           # guid -> guids created under its key
        self.kept = {}            # guid -> stamp a site kept it at when
        #                           it refused its delete
        self.seq = 0
        self.notes = []           # what the model decided, for -v

    def add_version(self, guid, table, site, hlc, hlc_site, deleted, content,
                    origin):
        self.seq += 1
        vs = self.versions.setdefault(guid, [])
        if vs and vs[-1].site == site and vs[-1].stamp() == (hlc, hlc_site):
            return                # the same version observed again
        vs.append(Version(guid, table, site, hlc, hlc_site, deleted, content,
                          self.seq))
        self.table[guid] = table
        self.origin.setdefault(guid, origin)
        if schema.policy(table)["movable"]:
            self.holder.setdefault(guid, site)

    # -- events that change what must win ---------------------------------
    def rivals(self, a, b):
        """Two records of one natural key, created before the sites that
        wrote them exchanged them (syncpack(7), Keys)."""
        self.rival.setdefault(a, set()).add(b)
        self.rival.setdefault(b, set()).add(a)

    def delete_refused(self, guid, stamp):
        """A site applying the delete of guid found a live row of its own
        still referring to it: the record was kept, stamped just past the
        delete (syncpack(7), References between records). That version
        beats every delete stamped before it, whatever becomes of the
        row that referred to it afterwards."""
        if guid not in self.kept or self.kept[guid] < stamp:
            self.kept[guid] = stamp

    def hub_froze(self, guid, stamp):
        self.freeze.setdefault(guid, stamp)

    def moved(self, guid, to, frm=None):
        # A record a spoke asked for goes on from the hub to it (the hub
        # answers requests as records arrive): where it ends is the
        # tools' to say, on exactly one site.
        self.holder[guid] = (None if to == "HUB" and guid in self.requested
                             else to)
        self.seq += 1
        self.moved_at[guid] = (self.seq, frm)

    def move_unknown(self, guid):
        self.holder[guid] = None
        self.requested.add(guid)

    def restored(self, site, backup_seq, hub_stamp):
        """site went back to its state at backup_seq; hub_stamp(guid) is
        the stamp the hub holds now (None if it knows nothing)."""
        for guid, (seq, frm) in self.moved_at.items():
            # A move made after the backup is undone at the restored site
            # if its file had not gone: where the record ends is the
            # tools' to say. If it had gone, the site holds the record
            # again, which nothing repairs (syncdiff(1)): it may be there
            # as well as where it went.
            if seq > backup_seq:
                self.holder[guid] = None
                if frm == site:
                    self.again.setdefault(guid, set()).add(site)
        for guid, vs in self.versions.items():
            for v in vs:
                if v.site == site and v.seq > backup_seq and not v.dropped:
                    h = hub_stamp(guid)
                    if h is None or h < v.stamp():
                        v.dropped = True
                        self.notes.append("restore drops %r" % v)

    # -- the expected end state ----------------------------------------------
    def counts(self, v):
        """Whether a version takes part in deciding the winner."""
        if v.dropped:
            return False
        pol = schema.policy(v.table)
        if (pol["freeze"] and v.site != "HUB" and v.guid in self.freeze and
                v.stamp() > self.freeze[v.guid]):
            return False          # rejected: frozen at the hub
        return True

    def expected(self):
        """guid -> winning Version (None: the record must be gone)."""
        final = {}
        referenced = set()
        order = [t[0] for t in reversed(schema.TABLES)]   # children first
        by_table = {t: [] for t in order}
        for guid, t in self.table.items():
            by_table[t].append(guid)
        for t in order:
            for guid in sorted(by_table[t]):
                vs = [v for v in self.versions[guid] if self.counts(v)]
                if not vs:
                    final[guid] = None
                    continue
                w = max(vs, key=Version.stamp)
                if w.deleted and (guid in referenced or (
                        guid in self.kept and w.stamp() < self.kept[guid])):
                    live = [v for v in vs if not v.deleted]
                    w = max(live, key=Version.stamp) if live else w
                if w.deleted:
                    final[guid] = None
                    continue
                final[guid] = w
                for col in schema.fks(t):
                    ref = w.content.get(col, "null")
                    if ref.startswith("guid:"):
                        referenced.add(ref[5:])
        return final
