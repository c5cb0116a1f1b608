/* site.c: opens a site database and manages its identity, keys and peers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/sqlite/backend.h"
#include "store/sqlite/capture_fold.h"
#include "store/sqlite/capture_sql.h"
#include "sxf/keys.h"
#include "sxf/seal_keys.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/site_schema.h"
#include "store/manifest.h"
#include "store/site_keys.h"

/* 1 when syncadm init ran on the database, 0 when not, -1 on error (a
 * locked or damaged file is not "not a site"). */
static int
has_metadata(struct site *s, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM sqlite_master WHERE type = "
	    "'table' AND name = 'syncpack_site'", NULL, err);
}

/* How long a tool waits for another writer (the application) to let go of
 * the database: SYNCPACK_BUSY_TIMEOUT seconds, 30 when not set. */
static int
busy_timeout_ms(int *ms, struct sp_error *err)
{
	const char *v = getenv("SYNCPACK_BUSY_TIMEOUT");
	char *end;
	long secs;

	*ms = 30000;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	secs = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || secs < 0 || secs > 86400)
		return sp_error_setk(err, SP_ERR_USAGE, 0, "SYNCPACK_BUSY_TIMEOUT"
		    ": %s: not a number of seconds from 0 to 86400", v);
	*ms = (int)secs * 1000;
	return 0;
}

static int
open_db(struct site *s, const char *path, int create, struct sp_error *err)
{
	/* One thread per connection: no mutex on every call. */
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
	    (create ? SQLITE_OPEN_CREATE : 0);
	int busy_ms;

	memset(s, 0, sizeof(*s));
	if (!create && access(path, F_OK) != 0)
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
		sp_error_set(err, "%s: %s", path, s->db ? sqlite3_errmsg(s->db)
		    : "cannot open");
		sqlite3_close(s->db);
		s->db = NULL;
		return -1;
	}
	if ((s->path = strdup(path)) == NULL) {
		sqlite_site_close(s);
		return sp_error_set(err, "out of memory");
	}
	if (busy_timeout_ms(&busy_ms, err) != 0) {
		sqlite_site_close(s);
		return -1;
	}
	sqlite3_busy_timeout(s->db, busy_ms);
	sqlite3_extended_result_codes(s->db, 1);
	/* Composite keys are looked up through it (key_sql.h). */
	if (key_sql_register(s->db) != SQLITE_OK) {
		site_sqlite_error(s, err, path);
		sqlite_site_close(s);
		return -1;
	}
	/* The tool's own connection gets a larger page cache: index upkeep
	 * on GUIDs dominates bulk work (see the performance notes). Only
	 * speed depends on it, so a refusal is no reason to stop. */
	(void)sqlite3_exec(s->db, "PRAGMA cache_size = -32768; "
	    "PRAGMA temp_store = MEMORY", NULL, NULL, NULL);
	/* A file that is not SQLite fails here rather than later. */
	if (site_exec(s, "SELECT count(*) FROM sqlite_master", err) != 0) {
		sp_error_prefix(err, "%s", path);
		sqlite_site_close(s);
		return -1;
	}
	return 0;
}

/* Sites made by earlier versions get a column of syncpack_record they
 * lack on first open (def: its type and default), empty there: for
 * base_site not known, for values_hlc the version's own stamp. */
static int
add_column(struct site *s, const char *table, const char *name,
    const char *def, struct sp_error *err)
{
	sqlite3_stmt *st;
	char *sql;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?1) "
	    "WHERE name = ?2", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 0;
	if (r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN \"%w\" %s", table,
	    name, def);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	r = site_exec(s, sql, err);
	sqlite3_free(sql);
	return r;
}

/* What sites made by earlier versions lack: the ref of syncpack_fk,
 * base_site, values_hlc,
 * values_site, merged, the records' checksums (kept from the first manifest on:
 * opening a large site must not read every row, and a manifest reads them
 * anyway), syncpack_purged, capture_version, the sealing keys,
 * per-peer file settings and expected intervals (store/peer_keys.h), the
 * refusals of flows; at a hub, the index of records by owner; and
 * triggers of the current capture version. */
static int
upgrade_metadata(struct site *s, struct sp_error *err)
{
	return add_column(s, "syncpack_fk", "ref", "INTEGER NOT NULL DEFAULT 0",
	    err) ||
	    add_column(s, "syncpack_record", "base_site", "TEXT", err) ||
	    add_column(s, "syncpack_record", "values_hlc",
	    "INTEGER NOT NULL DEFAULT 0", err) ||
	    add_column(s, "syncpack_record", "values_site", "TEXT", err) ||
	    add_column(s, "syncpack_record", "checksum", "BLOB", err) ||
	    add_column(s, "syncpack_table", "checksum_shape", "TEXT", err) ||
	    add_column(s, "syncpack_site", "checksum_lseq", "INTEGER", err) ||
	    site_exec(s, site_checksums_sql, err) ||
	    add_column(s, "syncpack_record", "merged", "TEXT", err) ||
	    site_exec(s, site_purged_sql, err) ||
	    add_column(s, "syncpack_site", "capture_version",
	    "INTEGER NOT NULL DEFAULT 0", err) ||
	    add_column(s, "syncpack_site", "seal_pub", "TEXT", err) ||
	    add_column(s, "syncpack_peer", "seal_pub", "TEXT", err) ||
	    add_column(s, "syncpack_peer", "no_seal",
	    "INTEGER NOT NULL DEFAULT 0", err) ||
	    add_column(s, "syncpack_peer", "sealed_seen",
	    "INTEGER NOT NULL DEFAULT 0", err) ||
	    add_column(s, "syncpack_peer", "compress",
	    "TEXT NOT NULL DEFAULT 'gzip'", err) ||
	    add_column(s, "syncpack_peer", "reads", "TEXT", err) ||
	    add_column(s, "syncpack_peer", "expect",
	    "INTEGER NOT NULL DEFAULT 93600", err) ||
	    add_column(s, "syncpack_flow", "refused",
	    "INTEGER NOT NULL DEFAULT 0", err) ||
	    add_column(s, "syncpack_flow", "reason", "TEXT", err) ||
	    (s->hub && site_exec(s, site_hub_sql, err)) ||
	    store_capture_upgrade(s, err) ? -1 : 0;
}

int
sqlite_site_open(struct site *s, const char *path, int allow_uninit,
    struct sp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	int init;

	if (open_db(s, path, 0, err) != 0)
		return -1;
	if ((init = has_metadata(s, err)) < 0) {
		sp_error_prefix(err, "%s", path);
		goto cleanup;
	}
	if (!init) {
		if (allow_uninit)
			return 0;
		sp_error_set(err, "%s: not a syncpack site (run syncadm init)",
		    path);
		goto cleanup;
	}
	if (sqlite3_prepare_v2(s->db, "SELECT site, hub, key_path, "
	    "schema_version FROM syncpack_site WHERE id = 1", -1, &st, NULL)
	    != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW) {
		site_sqlite_error(s, err, path);
		goto cleanup;
	}
	if (sqlite3_column_int(st, 3) != SITE_SCHEMA_VERSION) {
		sp_error_set(err, "%s: metadata version %d, this syncpack "
		    "reads %d", path, sqlite3_column_int(st, 3),
		    SITE_SCHEMA_VERSION);
		goto cleanup;
	}
	snprintf(s->id, sizeof(s->id), "%s", sqlite3_column_text(st, 0));
	s->hub = sqlite3_column_int(st, 1);
	s->key_path = sqlite3_column_text(st, 2) ? strdup((const char *)
	    sqlite3_column_text(st, 2)) : NULL;
	if (s->key_path == NULL) {
		sp_error_set(err, "%s: %s", path, sqlite3_column_text(st, 2) ?
		    "out of memory" : "no key file recorded");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (upgrade_metadata(s, err) != 0) {
		sp_error_prefix(err, "%s", path);
		goto cleanup;
	}
	/* Whatever the application changed since the last run gets its
	 * metadata before any tool looks at it. */
	if (capture_fold(s, err) != 0 ||
	    store_checksums_refresh(s, 0, err) < 0) {
		sp_error_prefix(err, "%s", path);
		goto cleanup;
	}
	rc = 0;
cleanup:
	sqlite3_finalize(st);
	if (rc != 0)
		sqlite_site_close(s);
	return rc;
}

void
sqlite_site_close(struct site *s)
{
	if (s->db != NULL)
		sqlite3_close(s->db);
	free(s->path);
	free(s->key_path);
	memset(s, 0, sizeof(*s));
}

static char *
default_path(const char *db, const char *suffix)
{
	size_t n = strlen(db) + strlen(suffix) + 1;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s%s", db, suffix);
	return p;
}

int
sqlite_site_init(const char *path, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err)
{
	struct site s;
	struct site_new_keys k = { 0 };
	sqlite3_stmt *st = NULL;
	char *kpath = NULL, *ppath = NULL;
	int rc = -1, wrote = 0;

	if (!siteid_valid(site_id))
		return sp_error_set(err, "bad site id \"%s\": 1-16 characters "
		    "of A-Z a-z 0-9 _ -", site_id);
	if (open_db(&s, path, 1, err) != 0)
		return -1;
	kpath = key_path ? strdup(key_path) : default_path(path, ".key");
	ppath = pub_path ? strdup(pub_path) : default_path(path, ".pub");
	if (kpath == NULL || ppath == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if (site_exec(&s, "BEGIN IMMEDIATE", err) != 0)
		goto cleanup;
	switch (has_metadata(&s, err)) {
	case 0:
		break;
	case 1:
		sp_error_set(err, "%s: already initialised as a syncpack site",
		    path);
		goto rollback;
	default:
		sp_error_prefix(err, "%s", path);
		goto rollback;
	}
	if (site_new_keys_make(&k, kpath, err) != 0)
		goto rollback;
	if (site_exec(&s, site_schema_sql, err) != 0)
		goto rollback;
	if (sqlite3_prepare_v2(s.db, "INSERT INTO syncpack_site(id, site, hub,"
	    " schema_version, created, key_path, pubkey, capture_version, "
	    "seal_pub) VALUES (1, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', "
	    "'now'), ?, ?, ?, ?)", -1, &st, NULL)
	    != SQLITE_OK) {
		site_sqlite_error(&s, err, path);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, site_id, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, hub != 0);
	sqlite3_bind_int(st, 3, SITE_SCHEMA_VERSION);
	sqlite3_bind_text(st, 4, k.key_abs, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, k.sign_pem, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 6, CAPTURE_SQL_VERSION);
	sqlite3_bind_text(st, 7, k.seal_pem, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		site_sqlite_error(&s, err, path);
		goto rollback;
	}
	if (site_new_keys_write(&k, kpath, ppath, err) != 0)
		goto rollback;
	wrote = 1;
	if (site_exec(&s, "COMMIT", err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	sqlite3_finalize(st);
	st = NULL;
	sqlite3_exec(s.db, "ROLLBACK", NULL, NULL, NULL);
	if (wrote)
		site_new_keys_unlink(kpath, ppath);
cleanup:
	sqlite3_finalize(st);
	site_new_keys_free(&k);
	free(kpath);
	free(ppath);
	sqlite_site_close(&s);
	return rc;
}

EVP_PKEY *
site_private_key(struct site *s, struct sp_error *err)
{
	return key_load_private(s->key_path, err);
}

static char *
query_text(struct site *s, const char *sql, const char *arg,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	char *out = NULL;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		out = strdup((const char *)sqlite3_column_text(st, 0));
	else if (r == SQLITE_ROW || r == SQLITE_DONE)
		sp_error_set(err, "not found");
	else
		site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return out;
}

char *
sqlite_site_public_pem(struct site *s, struct sp_error *err)
{
	return query_text(s, "SELECT pubkey FROM syncpack_site WHERE id = 1",
	    NULL, err);
}

int
sqlite_peer_exists(struct site *s, const char *peer, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_peer WHERE site = ?",
	    peer, err);
}

int
sqlite_peer_insert(struct site *s, const char *peer, const char *pem,
    const char *url, char clash[SITEID_MAX + 1], struct sp_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = -1, r;

	if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
		goto cleanup;
	if (sqlite3_prepare_v2(s->db, "SELECT site FROM syncpack_peer WHERE "
	    "site <> ?1 AND (?2 = 0 OR lower(site) = lower(?1)) LIMIT 1", -1,
	    &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, s->hub);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		snprintf(clash, SITEID_MAX + 1, "%s",
		    (const char *)sqlite3_column_text(st, 0));
		rc = 1;
		goto rollback;
	}
	if (r != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO syncpack_peer(site, pubkey,"
	    " url, added) VALUES (?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ',"
	    " 'now')) ON CONFLICT(site) DO UPDATE SET pubkey = excluded.pubkey,"
	    " url = coalesce(excluded.url, url)", -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, pem, -1, SQLITE_STATIC);
	if (url != NULL)
		sqlite3_bind_text(st, 3, url, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE) {
		site_sqlite_error(s, err, s->path);
		goto rollback;
	}
	if (site_exec(s, "COMMIT", err) != 0)
		goto rollback;
	rc = 0;
	goto cleanup;
rollback:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
cleanup:
	sqlite3_finalize(st);
	return rc;
}

EVP_PKEY *
sqlite_peer_key(struct site *s, const char *peer, struct sp_error *err)
{
	struct sp_error qerr;
	EVP_PKEY *key;
	char *pem = query_text(s, "SELECT pubkey FROM syncpack_peer WHERE "
	    "site = ?", peer, &qerr);

	if (pem == NULL) {
		/* query_text's "not found" is the one error of kind other;
		 * the database's own are database or busy. */
		if (qerr.kind == SP_ERR_OTHER)
			sp_error_setk(err, SP_ERR_REFUSED, 0, "unknown signer "
			    "%s (not a registered peer of %s)", peer, s->id);
		else if (err != NULL)
			*err = qerr;
		return NULL;
	}
	key = key_parse_public(pem, err);
	free(pem);
	return key;
}

int
sqlite_next_flow(struct site *s, uint64_t *flow, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_site SET next_flow = "
	    "next_flow + 1 WHERE id = 1 RETURNING next_flow - 1", -1, &st,
	    NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*flow = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (r != SQLITE_ROW)
		return site_sqlite_error(s, err, s->path);
	return 0;
}
