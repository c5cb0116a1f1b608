"""values.py: the hostile values the application writes, as JSON-able
specs in the history, and their SQL form.

A spec is a list: ["n"] NULL, ["t", HEX] text with exactly these bytes
(possibly invalid UTF-8, possibly with NUL), ["b", HEX] blob, ["B", SEED,
SIZE] a large blob made from SEED, ["i", INT], ["r", FLOAT.hex()]."""
import random

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63

_TEXTS = [
    b"", b"Dupont", b"Lyon", "Caf\u00e9".encode(), "\u20ac 12".encode(),
    b"Caf\xe9\x97",              # Windows-1252, not UTF-8
    b"a\x00b", b"\x00",          # NUL bytes inside text
    b"\xed\xa0\x80",             # a UTF-16 surrogate encoded: invalid
    b"\xc0\x80",                 # overlong NUL: invalid
    b"\xff\xfe",                 # never valid
    "\U0001F600 plane 1".encode(),
    "\U00020000 plane 2".encode(),
    "\U00030000 plane 3".encode(),
    "\U000E0041 plane 14".encode(),
    "\U000F0000 plane 15".encode(),
    "\U0010FFFD plane 16".encode(),
    "\u0000\uffff\ufeff".encode(),
    b"quote ' double \" back \\ newline \n tab \t",
    b"NULL", b"0", b"-0", b"1e5",
]

_REALS = [0.0, -0.0, 1.5, 0.1, 0.1 + 0.2, 1 / 3, 2 ** -1074, 2.2250738585072014e-308,
          1.7976931348623157e308, -1.7976931348623157e308, 123456789.12345678,
          3.141592653589793, 1e-300, 9007199254740993.0, -2.5e-7]

_INTS = [0, 1, -1, INT64_MAX, INT64_MIN, INT64_MAX - 1, INT64_MIN + 1,
         2 ** 53 + 1, -(2 ** 31), 4294967296]


def draw(rng, kind, hostile=True, big_blobs=True, bad_text=True,
         typed=False):
    """A value spec for a column of this kind. typed: only values a typed
    column holds (PostgreSQL's): no blob in a text column, no text in a
    blob column, no fraction in an integer column (an integer in a real
    column is a real in both databases)."""
    r = rng.random()
    if r < 0.08 and kind != "date":
        # (A window column is always set: a record whose window column is
        # NULL falls in no reconciliation window, see syncdiff(1).)
        return ["n"]
    if kind in ("text", "date"):
        if kind == "date":
            return ["t", ("2026-%02d-%02d" % (rng.randint(1, 12),
                                              rng.randint(1, 28))).encode().hex()]
        if hostile and r < 0.55:
            pool = _TEXTS if bad_text else [t for t in _TEXTS if _valid(t)]
            return ["t", rng.choice(pool).hex()]
        if hostile and r < 0.6 and not typed:
            return ["b", rng.randbytes(rng.randint(0, 8)).hex()]  # a blob in a text column
        return ["t", ("v%d" % rng.randint(0, 10 ** 6)).encode().hex()]
    if kind == "blob":
        if big_blobs and hostile and r < 0.12:
            return ["B", rng.randint(0, 2 ** 31), 1 << 20]
        if r < 0.3:
            return ["b", ""]
        if hostile and r < 0.4 and not typed:
            return ["t", rng.choice(_TEXTS).hex() if bad_text else "616263"]
        return ["b", rng.randbytes(rng.randint(1, 40)).hex()]
    if kind == "int":
        if hostile and r < 0.6:
            return ["i", rng.choice(_INTS)]
        if hostile and r < 0.65 and not typed:
            return ["r", rng.choice(_REALS).hex()]
        return ["i", rng.randint(-1000, 1000)]
    if kind == "real":
        if hostile and r < 0.6:
            pool = _REALS
            if typed:
                # PostgreSQL keeps the sign of a zero, SQLite does not:
                # a hub's -0.0 would differ from the spokes' 0.0
                # (t/t1461 shows it), set aside here.
                pool = [f for f in _REALS if f or str(f) != "-0.0"]
            return ["r", rng.choice(pool).hex()]
        if hostile and r < 0.65:
            return ["i", rng.choice(_INTS)]
        return ["r", (rng.randint(0, 10 ** 6) / 100.0).hex()]
    raise ValueError(kind)


def _valid(b):
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in b


def sql_param(spec):
    """(SQL expression, parameters) that writes this value."""
    k = spec[0]
    if k == "n":
        return "NULL", []
    if k == "t":
        return "cast(? as text)", [bytes.fromhex(spec[1])]
    if k == "b":
        return "?", [bytes.fromhex(spec[1])]
    if k == "B":
        return "?", [random.Random(spec[1]).randbytes(spec[2])]
    if k == "i":
        return "?", [int(spec[1])]
    if k == "r":
        return "?", [float.fromhex(spec[1])]
    raise ValueError(spec)


def encode(typ, value):
    """The canonical, lossless form of a stored value (typeof included),
    for comparison: never through a lossy text decoding."""
    import hashlib
    typ = typ.decode() if isinstance(typ, bytes) else typ
    if value is None:
        return "null"
    if typ == "real":
        return "real:" + float(value).hex()
    if typ == "integer":
        return "integer:%d" % value
    if isinstance(value, str):
        value = value.encode("utf-8", "surrogatepass")
    if len(value) > 64:
        return "%s:%d:sha256:%s" % (typ, len(value),
                                    hashlib.sha256(value).hexdigest())
    return "%s:%s" % (typ, value.hex())
