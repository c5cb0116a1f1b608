/* site_schema.c: the toolkit's metadata tables, documented in syncpack(7). */
#include "store/sqlite/site_schema.h"

const char site_schema_sql[] =
    /* One row: who this site is. */
    "CREATE TABLE syncpack_site("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " site TEXT NOT NULL,"
    " hub INTEGER NOT NULL,"
    " schema_version INTEGER NOT NULL,"
    " created TEXT NOT NULL,"
    " key_path TEXT NOT NULL,"
    " pubkey TEXT NOT NULL,"
    " next_flow INTEGER NOT NULL DEFAULT 1,"
    /* CAPTURE_SQL_VERSION of the tracked tables' triggers. */
    " capture_version INTEGER NOT NULL DEFAULT 0,"
    /* Records' checksums are current up to this lseq (checksums.h);
     * NULL in sites made before they were kept, until a manifest. */
    " checksum_lseq INTEGER DEFAULT 0,"
    /* The X25519 sealing public key PEM; NULL in sites made before
     * sealing existed until syncadm key --add-sealing. */
    " seal_pub TEXT);"
    /* The last local sequence number and HLC stamp given out, and the
     * marker that silences the ownership triggers: 1 while syncunpack
     * applies, 2 while a trigger keeps a rowversion column up to date.
     * It is only ever set inside a transaction that clears it again, so
     * no other connection sees it set. */
    "CREATE TABLE syncpack_clock("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " lseq INTEGER NOT NULL DEFAULT 0,"
    " hlc INTEGER NOT NULL DEFAULT 0,"
    " applying INTEGER NOT NULL DEFAULT 0);"
    "INSERT INTO syncpack_clock(id) VALUES (1);"
    /* The change log the capture triggers append to (op 1 insert,
     * 2 update with the old key in okey, 3 delete; ms the wall clock);
     * capture_fold turns it into syncpack_record and empties it. */
    "CREATE TABLE syncpack_change("
    " id INTEGER PRIMARY KEY,"
    " tbl INTEGER NOT NULL,"
    " rkey,"
    " okey,"
    " op INTEGER NOT NULL,"
    " ms INTEGER NOT NULL);"
    "CREATE TABLE syncpack_peer("
    " site TEXT PRIMARY KEY,"
    " pubkey TEXT NOT NULL,"
    " url TEXT,"
    " added TEXT NOT NULL,"
    " acked_lseq INTEGER NOT NULL DEFAULT 0,"
    " last_sent TEXT,"
    " last_received TEXT,"
    " last_acked TEXT,"
    /* Its X25519 sealing key PEM (NULL: files to it are not sealed),
     * syncadm peer set --no-seal, whether a sealed file from it was
     * read here, and how files to it are compressed. expect: the
     * seconds after its last file (or after it was added) that the
     * status turns red (0: never); 26 hours, a day and a margin. */
    " seal_pub TEXT,"
    " no_seal INTEGER NOT NULL DEFAULT 0,"
    " sealed_seen INTEGER NOT NULL DEFAULT 0,"
    " compress TEXT NOT NULL DEFAULT 'gzip',"
    /* The format versions its files say it reads (sxf(5)); NULL until
     * a file from it says so. */
    " reads TEXT,"
    " expect INTEGER NOT NULL DEFAULT 93600);"
    /* One row per exchange file written (out) or read (in). covered is
     * the sender's lseq the file covers (data files); acked marks an
     * outgoing flow the peer acknowledged, or an incoming one this site
     * acknowledged. The n_* columns count outcomes per record. refused
     * marks a data flow an operator refused (syncunpack --refuse): an
     * incoming one refused here, an outgoing one the peer refused; reason
     * is the operator's, or NULL. */
    "CREATE TABLE syncpack_flow("
    " peer TEXT NOT NULL,"
    " direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),"
    " flow INTEGER NOT NULL,"
    " kind TEXT NOT NULL,"
    " link INTEGER NOT NULL DEFAULT 0,"
    " file TEXT,"
    " sha256 TEXT,"
    " ready TEXT,"
    " started TEXT,"
    " ended TEXT,"
    " executions INTEGER NOT NULL DEFAULT 0,"
    " status TEXT NOT NULL,"
    " covered INTEGER NOT NULL DEFAULT 0,"
    " acked INTEGER NOT NULL DEFAULT 0,"
    " n_applied INTEGER NOT NULL DEFAULT 0,"
    " n_skipped INTEGER NOT NULL DEFAULT 0,"
    " n_conflict INTEGER NOT NULL DEFAULT 0,"
    " n_rejected INTEGER NOT NULL DEFAULT 0,"
    " n_held INTEGER NOT NULL DEFAULT 0,"
    " refused INTEGER NOT NULL DEFAULT 0,"
    " reason TEXT,"
    " PRIMARY KEY (peer, direction, flow));"
    /* Per-record outcomes that were not a plain apply: of incoming flows
     * (direction in, sent back in acks) and of outgoing flows (direction
     * out, as the peer's ack reported them). */
    "CREATE TABLE syncpack_protocol("
    " peer TEXT NOT NULL,"
    " direction TEXT NOT NULL,"
    " flow INTEGER NOT NULL,"
    " guid TEXT NOT NULL,"
    " tbl TEXT NOT NULL,"
    " outcome TEXT NOT NULL,"
    " reason TEXT,"
    " PRIMARY KEY (peer, direction, flow, guid));"
    /* Incoming records waiting for a parent, an unlock or a schema
     * change; retried on every run, never dropped. */
    "CREATE TABLE syncpack_held("
    " guid TEXT PRIMARY KEY,"
    " peer TEXT NOT NULL,"
    " flow INTEGER NOT NULL,"
    " tbl TEXT NOT NULL,"
    " reason TEXT NOT NULL,"
    " since TEXT NOT NULL,"
    " record TEXT NOT NULL);"
    /* Conflicts kept for an operator (policy manual). */
    "CREATE TABLE syncpack_conflict("
    " id INTEGER PRIMARY KEY,"
    " guid TEXT NOT NULL,"
    " tbl TEXT NOT NULL,"
    " peer TEXT NOT NULL,"
    " flow INTEGER NOT NULL,"
    " local TEXT,"
    " remote TEXT NOT NULL,"
    " detected TEXT NOT NULL,"
    " resolved TEXT);"
    /* Tracked tables and their policies. */
    "CREATE TABLE syncpack_table("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " pk TEXT NOT NULL,"
    " pk_integer INTEGER NOT NULL,"
    " owner TEXT NOT NULL CHECK (owner IN ('central', 'creator', 'shared')),"
    " route TEXT NOT NULL CHECK (route IN ('all', 'owner', 'none')),"
    " conflict TEXT NOT NULL"
    "  CHECK (conflict IN ('lww', 'hub', 'owner', 'manual')),"
    " freeze INTEGER NOT NULL,"
    " movable INTEGER NOT NULL,"
    " window_column TEXT,"
    " key_kind TEXT NOT NULL CHECK (key_kind IN ('local', 'natural')),"
    " rowversion_column INTEGER NOT NULL,"
    " tracked INTEGER NOT NULL DEFAULT 1,"
    " since TEXT NOT NULL,"
    /* What its records' checksums were made for (checksums.h). */
    " checksum_shape TEXT);"
    /* Foreign keys between tracked tables, so records travel with their
     * parents' GUIDs and parents are packed first. */
    "CREATE TABLE syncpack_fk("
    " tbl INTEGER NOT NULL REFERENCES syncpack_table(id),"
    " col TEXT NOT NULL,"
    " parent INTEGER NOT NULL REFERENCES syncpack_table(id),"
    " parent_col TEXT NOT NULL,"
    /* The reference's number in the schema (pragma foreign_key_list),
     * which groups the columns of a composite one. */
    " ref INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (tbl, col));"
    /* Per-record metadata. rkey is the row's local key (no declared type
     * so integer and text keys keep their type); a tombstone has rkey NULL.
     * flags: 1 frozen, 2 in transit, 4 held, 8 revived, 16 sent back to
     * src too (applied after it was held). src: the peer
     * the current version came from (NULL: changed here). base,
     * base_hlc, base_site: the version the current one was made against
     * (base_site NULL: not known, as in sites made before it existed;
     * site_open adds the column to those). values_hlc, values_site: the
     * write the values come from when this site or a peer stamped them
     * anew to keep the record alive (0: the version's own stamp).
     * checksum: the record's manifest checksum (sxf(5)), 32 bytes, kept
     * by store/sqlite/checksums.c; NULL where not known.
     * merged: on the tombstone of a record that met another holding the
     * same natural key, the GUID that took its place (syncpack(7), Keys;
     * site_open adds the column to older sites). */
    "CREATE TABLE syncpack_record("
    " guid TEXT PRIMARY KEY,"
    " tbl INTEGER NOT NULL,"
    " rkey,"
    " origin TEXT NOT NULL,"
    " owner TEXT NOT NULL,"
    " rowversion INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL,"
    " hlc_site TEXT NOT NULL,"
    " lseq INTEGER NOT NULL,"
    " deleted INTEGER NOT NULL DEFAULT 0,"
    " flags INTEGER NOT NULL DEFAULT 0,"
    " src TEXT,"
    " base INTEGER NOT NULL DEFAULT 0,"
    " base_hlc INTEGER NOT NULL DEFAULT 0,"
    " base_site TEXT,"
    " values_hlc INTEGER NOT NULL DEFAULT 0,"
    " values_site TEXT,"
    " checksum BLOB,"
    " merged TEXT) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX syncpack_record_key ON syncpack_record(tbl, rkey);"
    "CREATE INDEX syncpack_record_lseq ON syncpack_record(lseq);"
    /* Moves: every hop of a record between sites, as this site knows it
     * (the hub learns the hops of spokes from their acks). state: in
     * transit, done, refused. */
    "CREATE TABLE syncpack_transfer("
    " guid TEXT NOT NULL,"
    " tbl TEXT NOT NULL,"
    " from_site TEXT NOT NULL,"
    " to_site TEXT NOT NULL,"
    " flow INTEGER NOT NULL,"
    " at TEXT NOT NULL,"
    " state TEXT NOT NULL,"
    " reported INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (guid, from_site, to_site, flow));"
    /* Records a spoke asked the hub to move to it. */
    "CREATE TABLE syncpack_move_request("
    " guid TEXT NOT NULL,"
    " tbl TEXT NOT NULL,"
    " peer TEXT NOT NULL,"
    " requested TEXT NOT NULL,"
    " answered INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY (guid, peer));"
    /* Exchange files written for a server and not delivered yet: they
     * wait in the local outbox folder and go first on the next run. */
    "CREATE TABLE syncpack_outbox("
    " name TEXT PRIMARY KEY,"
    " peer TEXT NOT NULL,"
    " kind TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " added TEXT NOT NULL);"
    /* Reservations: applications may insert and delete rows here directly.
     * A locked record is not packed; unlocking gives it a new lseq so the
     * next pack sends it. */
    "CREATE TABLE syncpack_lock("
    " tbl TEXT NOT NULL,"
    " rkey NOT NULL,"
    " locked_by TEXT,"
    " since TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),"
    " PRIMARY KEY (tbl, rkey));"
    "CREATE TRIGGER syncpack_lock_released AFTER DELETE ON syncpack_lock"
    " BEGIN"
    "  UPDATE syncpack_clock SET lseq = lseq + 1 WHERE id = 1;"
    "  UPDATE syncpack_record"
    "   SET lseq = (SELECT lseq FROM syncpack_clock WHERE id = 1)"
    "   WHERE tbl = (SELECT id FROM syncpack_table WHERE name = OLD.tbl)"
    "   AND rkey = OLD.rkey;"
    " END;";

/* The index of the records without a checksum, and the keys records lost
 * since the last refresh of the checksums (checksums.h); site_open creates
 * them, in new sites and in those made before them. */
const char site_checksums_sql[] =
    "CREATE INDEX IF NOT EXISTS syncpack_record_stale ON syncpack_record(tbl)"
    " WHERE checksum IS NULL;"
    "CREATE TABLE IF NOT EXISTS syncpack_unmapped("
    " tbl INTEGER NOT NULL,"
    " rkey);";

/* A hub's records by owner, in lseq order: what it sends a spoke of a
 * table routed to owners (store_changes_owned) without reading the other
 * spokes' records. site_open creates it at a hub. */
const char site_hub_sql[] =
    "CREATE INDEX IF NOT EXISTS syncpack_record_owner ON "
    "syncpack_record(tbl, owner, lseq);";

/* Tombstones every peer acknowledged, kept out of syncpack_record for
 * STORE_PURGED_DAYS (store/vacuum.h): a site restored from an older
 * backup still learns of those deletes, and does not bring the records
 * back. site_open creates it, in new sites and in those made before it
 * existed. */
const char site_purged_sql[] =
    "CREATE TABLE IF NOT EXISTS syncpack_purged("
    " guid TEXT PRIMARY KEY,"
    " tbl INTEGER NOT NULL,"
    " origin TEXT NOT NULL,"
    " owner TEXT NOT NULL,"
    " rowversion INTEGER NOT NULL,"
    " hlc INTEGER NOT NULL,"
    " hlc_site TEXT NOT NULL,"
    " purged TEXT NOT NULL) WITHOUT ROWID;";
