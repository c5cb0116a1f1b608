"""pg.py: a hub on PostgreSQL (--hub-backend postgresql): a throwaway
server the simulator starts itself, as t/servers.sh does (initdb and pg_ctl
as the postgres user when run as root, a Unix socket in the scratch folder
only, a random port, stopped at the end), one database per run, and a
connection through psql that answers the simulator's queries with values
typed as sqlite3 gives them, so that the hub's rows are compared with the
spokes' by the same rules."""
import glob
import os
import random
import re
import shutil
import subprocess
import tempfile

from . import schema


class PgError(Exception):
    """psql reported an error (a trigger's refusal, a constraint)."""


class Text(bytes):
    """A text value read from PostgreSQL: bytes, as sqlite3 with
    text_factory = bytes returns text, but known to be text (a parameter
    of this type is bound as text, plain bytes as bytea)."""


def _bindir():
    """initdb and pg_ctl: on PATH, else the newest Debian installation,
    else pg_config's (as pg_bindir in t/servers.sh)."""
    on_path = shutil.which("initdb"), shutil.which("pg_ctl")
    if all(on_path):
        return os.path.dirname(on_path[0])
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: [int(x) for x in re.findall(r"\d+", d)])
    if not dirs and shutil.which("pg_config"):
        dirs = [subprocess.run(["pg_config", "--bindir"], check=True,
                               capture_output=True, text=True).stdout.strip()]
    for d in reversed(dirs):
        if os.access(os.path.join(d, "initdb"), os.X_OK) and \
                os.access(os.path.join(d, "pg_ctl"), os.X_OK):
            return d
    raise PgError("no initdb and pg_ctl found (install postgresql)")


def _as_owner(argv):
    """initdb refuses root: the cluster belongs to postgres then."""
    return (["runuser", "-u", "postgres", "--"] + argv if os.getuid() == 0
            else argv)


def _reachable(folder):
    """Whether postgres may reach a folder made in folder: every folder
    above it traversable by others, when the cluster is not ours (a test's
    scratch folder, made 0700 by mktemp, is not)."""
    if os.getuid() != 0:
        return True
    d = os.path.abspath(folder)
    while True:
        if not os.stat(d).st_mode & 0o001:
            return False
        if d == os.path.dirname(d):
            return True
        d = os.path.dirname(d)


class Server:
    """A cluster in a folder of its own under workdir: the superuser
    postgres, the ordinary role sp_app the tools run as, one database per
    run made with newdb()."""

    def __init__(self, workdir=None):
        self.bin = _bindir()
        if workdir is not None and not _reachable(workdir):
            workdir = None     # the system's temporary folder, then
        self.dir = tempfile.mkdtemp(prefix="syncsim-pg.", dir=workdir)
        self.port = random.SystemRandom().randrange(20000, 32000)
        self.serial = 0
        self.owner_pid = os.getpid()
        self.running = False

    def start(self):
        os.chmod(self.dir, 0o755)
        if os.getuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        data = os.path.join(self.dir, "data")
        for argv in (
                [os.path.join(self.bin, "initdb"), "-D", data, "-U",
                 "postgres", "--auth=trust", "--no-sync", "-E", "UTF8",
                 "--locale=C"],
                [os.path.join(self.bin, "pg_ctl"), "-D", data, "-l",
                 os.path.join(self.dir, "log"), "-w", "-o",
                 "-k %s -p %d -c listen_addresses='' -c fsync=off" % (
                     self.dir, self.port), "start"]):
            p = subprocess.run(_as_owner(argv), capture_output=True,
                               text=True)
            if p.returncode != 0:
                log = os.path.join(self.dir, "log")
                tail = open(log).read()[-2000:] if os.path.exists(log) else ""
                raise PgError("%s failed: %s%s" % (
                    os.path.basename(argv[0]), p.stderr.strip()[-2000:], tail))
            self.running = True
        self.admin("CREATE ROLE sp_app LOGIN NOSUPERUSER NOCREATEROLE"
                   " NOCREATEDB")
        return self

    def stop(self):
        """Only the process that started the server stops it (not the
        workers of --jobs, which inherit this object)."""
        if not self.running or os.getpid() != self.owner_pid:
            return
        subprocess.run(_as_owner([os.path.join(self.bin, "pg_ctl"), "-D",
                                  os.path.join(self.dir, "data"), "-m",
                                  "immediate", "-w", "stop"]),
                       capture_output=True)
        self.running = False
        shutil.rmtree(self.dir, ignore_errors=True)

    def admin(self, *sqls):
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.dir,
                "-p", str(self.port), "-U", "postgres", "-d", "postgres"]
        for s in sqls:
            argv += ["-c", s]
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            raise PgError(p.stderr.strip())

    def newdb(self):
        """A fresh database owned by sp_app; returns its name."""
        self.serial += 1
        name = "sim_%d_%d" % (os.getpid(), self.serial)
        self.admin('CREATE DATABASE "%s" OWNER sp_app' % name)
        return name

    def dropdb(self, name):
        self.admin("SET client_min_messages = warning",
                   'DROP DATABASE IF EXISTS "%s"' % name)

    def dump(self, db, path):
        """pg_dump of the database into path (best effort: a failed run is
        being reported already)."""
        subprocess.run(["pg_dump", "-d", self.uri(db), "-f", path],
                       capture_output=True)

    def uri(self, db):
        return "postgresql:///%s?host=%s&port=%d&user=sp_app" % (
            db, self.dir, self.port)


# -- the application's schema -------------------------------------------------
def ddl(create):
    """The simulator's SQLite CREATE TABLE in PostgreSQL's types: a local
    key numbered by the database, 64-bit integers, double precision for
    real, bytea for blob."""
    s = re.sub(r"\binteger primary key\b",
               "bigint generated by default as identity primary key", create)
    s = re.sub(r"\binteger\b", "bigint", s)
    s = re.sub(r"\breal\b", "double precision", s)
    return re.sub(r"\bblob\b", "bytea", s)


# The toolkit's tables: syncpack_X in SQLite, syncpack.X here.
_META = {"table": "tracked_table"}


def translate(sql):
    """The simulator's SQL for PostgreSQL: the schema syncpack for the
    toolkit's tables, a composite key's rkey as a PostgreSQL site makes it
    (the JSON array of its values as jsonb prints it, where SQLite joins
    them by commas), and the key for the rowid (every other table a
    PostgreSQL hub tracks has a key column id)."""
    sql = re.sub(r"\bsyncpack_(\w+)\b",
                 lambda m: "syncpack." + _META.get(m.group(1), m.group(1)),
                 sql)
    for table in schema.KEYS:
        cols = schema.key(table)
        if len(cols) > 1:
            sql = sql.replace(schema.rkey_sql(table),
                              "jsonb_build_array(%s)::text"
                              % ", ".join('"%s"' % c for c in cols))
    return re.sub(r"\browid\b", "id", sql)


def literal(v):
    """A parameter as an SQL literal. Numbers go quoted, as literals of
    unknown type, so that they take the type of the column they meet (an
    integer key compared with syncpack.record's text rkey, say)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "'%d'" % v
    if isinstance(v, int):
        return "'%d'" % v
    if isinstance(v, float):
        return "'%r'" % v
    if isinstance(v, (Text, str)):
        s = v.decode("utf-8") if isinstance(v, bytes) else v
        if "\x00" in s:
            raise PgError("text with a NUL byte cannot go into PostgreSQL")
        return "'%s'" % s.replace("'", "''")
    if isinstance(v, (bytes, bytearray)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    raise TypeError(v)


def bind(sql, params):
    """Replaces each ? by its parameter; cast(? as text) binds bytes as
    text (the application's way to write text with these exact bytes)."""
    params = list(params)
    out = []
    for part in re.split(r"(cast\(\? as text\)|\?)", sql):
        if part == "?":
            out.append(literal(params.pop(0)))
        elif part == "cast(? as text)":
            v = params.pop(0)
            out.append(literal(Text(v) if isinstance(v, bytes) else v))
        else:
            out.append(part)
    if params:
        raise PgError("%d parameters left over for %s" % (len(params), sql))
    return "".join(out)


_ESC = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v",
        "\\": "\\"}


def _unescape(field):
    """One field of COPY's text format (None for \\N)."""
    if field == b"\\N":
        return None
    s = field.decode("utf-8")
    return re.sub(r"\\(.)", lambda m: _ESC.get(m.group(1), m.group(1)), s)


def _typed(typ, s):
    if s is None:
        return None
    if typ in ("bigint", "integer", "smallint"):
        return int(s)
    if typ in ("double precision", "real"):
        return float(s)
    if typ == "boolean":
        return int(s == "t")
    if typ == "bytea":
        return bytes.fromhex(s[2:])
    return Text(s.encode("utf-8"))


class Cursor:
    def __init__(self, rows, lastrowid=None):
        self.rows = rows
        self.lastrowid = lastrowid

    def fetchall(self):
        return self.rows

    def fetchone(self):
        return self.rows[0] if self.rows else None

    def __iter__(self):
        return iter(self.rows)


class Connection:
    """What the simulator uses of a sqlite3 connection, over psql: each
    statement is one psql run in autocommit, as sqlite3 with
    isolation_level None; rows come back typed by their columns' types
    (integers, floats, text as Text, bytea as bytes)."""

    def __init__(self, uri):
        self.uri = uri

    def _psql(self, script):
        env = dict(os.environ, PGCLIENTENCODING="UTF8")
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
                            "-d", self.uri], input=script.encode("utf-8"),
                           capture_output=True, env=env)
        if p.returncode != 0:
            raise PgError(p.stderr.decode("utf-8", "replace").strip())
        return p.stdout

    def execute(self, sql, params=()):
        q = bind(translate(sql), params).strip().rstrip(";")
        head = q.split(None, 1)[0].lower()
        returning = re.search(r"\breturning\b", q, re.I) is not None
        returns = head in ("select", "with", "values") or returning
        if head == "insert" and not returning:
            q += " RETURNING id"
            returns = True
        if not returns:
            self._psql(q + ";\n")
            return Cursor([])
        marker = "@@syncsim-rows@@"
        out = self._psql("%s \\gdesc\n\\echo %s\nCOPY (%s) TO STDOUT;\n" % (
            q, marker, q))
        desc, _, data = out.partition(("%s\n" % marker).encode())
        types = [line.split(b"|", 1)[1].decode()
                 for line in desc.splitlines() if b"|" in line]
        rows = []
        for line in data.split(b"\n")[:-1]:
            fields = line.split(b"\t")
            rows.append(tuple(_typed(t, _unescape(f))
                              for t, f in zip(types, fields)))
        last = rows[-1][0] if head == "insert" and rows else None
        return Cursor(rows, last)

    def columns(self, table):
        """The table's columns in order, with their types."""
        return [(r[0].decode(), r[1].decode()) for r in self.execute(
            "select column_name::text, data_type::text from"
            " information_schema.columns where table_schema ="
            " current_schema() and table_name = ? order by ordinal_position",
            (table,))]

    def close(self):
        pass


# A column's type as SQLite's typeof() names what the store maps it to
# (values_pg.c): what a SQLite site holds for the same value.
TYPEOF = {"bigint": "integer", "integer": "integer", "smallint": "integer",
          "double precision": "real", "real": "real", "text": "text",
          "bytea": "blob"}


def typeof(data_type, value):
    return "null" if value is None else TYPEOF.get(data_type, "text")
