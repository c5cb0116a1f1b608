"""schema.py: the simulated application: its tables, their policies, the
foreign keys between them (parent -> child -> grandchild) and their keys
(a local INTEGER PRIMARY KEY, a composite key of references, none)."""

# Each table: the CREATE statement, the syncadm track options, the columns
# the application writes (name -> kind of value), and its foreign keys
# (column -> parent table). Listed parents first: tracked in this order.
TABLES = [
    ("customer",
     "create table customer(id integer primary key, name text, city text,"
     " data blob, n integer, r real)",
     ["--owner", "shared", "--rowversion-column"],
     {"name": "text", "city": "text", "data": "blob", "n": "int", "r": "real"},
     {}),
    ("article",
     "create table article(id integer primary key, label text, price real)",
     ["--owner", "central"],
     {"label": "text", "price": "real"},
     {}),
    ("doc",
     "create table doc(id integer primary key, customer_id integer"
     " references customer(id), doc_date text, total real, memo text)",
     ["--owner", "creator", "--route", "all", "--freeze", "--window", "doc_date"],
     {"doc_date": "date", "total": "real", "memo": "text"},
     {"customer_id": "customer"}),
    ("line",
     "create table line(id integer primary key, doc_id integer references"
     " doc(id), article_id integer references article(id), qty integer,"
     " label text, data blob)",
     ["--owner", "creator", "--route", "owner"],
     {"qty": "int", "label": "text", "data": "blob"},
     {"doc_id": "doc", "article_id": "article"}),
    ("event",
     "create table event(id integer primary key, what text, payload blob)",
     ["--owner", "creator", "--route", "none"],
     {"what": "text", "payload": "blob"},
     {}),
    ("note",
     "create table note(id integer primary key, customer_id integer"
     " references customer(id), body text)",
     ["--owner", "shared", "--conflict", "manual"],
     {"body": "text"},
     {"customer_id": "customer"}),
    ("job",
     "create table job(id integer primary key, article_id integer references"
     " article(id), tech text, status text)",
     ["--owner", "creator", "--movable"],
     {"tech": "text", "status": "text"},
     {"article_id": "article"}),
    ("job_step",
     "create table job_step(id integer primary key, job_id integer"
     " references job(id), step text)",
     ["--owner", "creator", "--movable"],
     {"step": "text"},
     {"job_id": "job"}),
    # A link table like Chinook's PlaylistTrack: its composite key is two
    # references, which travel as the parents' GUIDs.
    ("basket",
     "create table basket(customer_id integer not null references"
     " customer(id), article_id integer not null references article(id),"
     " qty integer, primary key (customer_id, article_id))",
     [],
     {"qty": "int"},
     {"customer_id": "customer", "article_id": "article"}),
    # An audit log without a primary key: rows named by their rowid,
    # renumbered per site; two rows may hold the same values.
    ("audit",
     "create table audit(what text, who text, n integer)",
     [],
     {"what": "text", "who": "text", "n": "int"},
     {}),
]

# The primary key of the tables whose key is not "id" (an empty tuple: no
# primary key, the rowid names the row).
KEYS = {"basket": ("customer_id", "article_id"), "audit": ()}

# The column the hub adds mid-run (schema drift); spokes follow later.
ADDED_TABLE, ADDED_COLUMN = "customer", "vat"

# A column the toolkit keeps equal to the rowversion (--rowversion-column).
ROWVERSION_COLUMNS = {"customer": "customer_rowversion"}

BY_NAME = {t[0]: t for t in TABLES}

# What a hub on PostgreSQL cannot take part in: left out of the scenario
# under --hub-backend postgresql, at every site. syncadm track refuses a
# table without a key there (PostgreSQL cannot name its rows across
# updates).
PG_HUB_DROPS = {"audit": "no primary key"}
HUB_BACKEND = "sqlite"


def configure(hub_backend):
    """Selects the application for a hub on this backend; called once per
    process, before any history is drawn or run."""
    global TABLES, BY_NAME, WRITABLE, HUB_BACKEND
    HUB_BACKEND = hub_backend
    if hub_backend != "postgresql":
        return
    TABLES = [t for t in TABLES if t[0] not in PG_HUB_DROPS]
    BY_NAME = {t[0]: t for t in TABLES}
    WRITABLE = [t[0] for t in TABLES]


def track_args(table):
    return BY_NAME[table][2]


def columns(table):
    return BY_NAME[table][3]


def fks(table):
    return BY_NAME[table][4]


def key(table):
    """The primary key's columns (empty: none, the table's rowid)."""
    return KEYS.get(table, ("id",))


def natural_key(table):
    """Whether the table's key is natural (content that must name the same
    row at every site): neither a local INTEGER key nor the rowid."""
    return key(table) not in (("id",), ())


def local_key(table):
    """The column of a local key, renumbered per site and not part of a
    record's content (None: the rowid, or a key that is content)."""
    return "id" if key(table) == ("id",) else None


def rkey_sql(table):
    """The SQL expression of a row's syncpack_record.rkey: the key, the
    rowid without one, a composite key's values joined by commas as
    quote() writes them (the same text for integers, which is all the
    simulated key columns hold)."""
    cols = key(table)
    if not cols:
        return "rowid"
    return " || ',' || ".join('"%s"' % c for c in cols)


def children(table):
    """(child table, fk column) pairs that refer to table."""
    return [(t[0], col) for t in TABLES for col, p in t[4].items()
            if p == table]


def policy(table):
    opts = track_args(table)

    def opt(name, default):
        return opts[opts.index(name) + 1] if name in opts else default
    return {
        "owner": opt("--owner", "shared"),
        "route": opt("--route", "all"),
        "conflict": opt("--conflict", "lww"),
        "freeze": "--freeze" in opts,
        "movable": "--movable" in opts,
    }


# Tables a spoke's application may write (central ones are refused there,
# which the simulator also tries now and then, expecting the refusal).
WRITABLE = [t[0] for t in TABLES]
