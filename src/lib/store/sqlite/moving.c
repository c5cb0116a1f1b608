/* moving.c: moves from this site and move requests (store/moving.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/moving.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

/* Appends column 0 of every row st gives to g, then finalizes st. */
static int
collect(struct site *s, sqlite3_stmt *st, struct store_guids *g,
    struct sp_error *err)
{
	int r, rc = 0;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *v = sqlite3_column_text(st, 0);
		char **grown = realloc(g->guid, (size_t)(g->count + 1) *
		    sizeof(*g->guid));

		if (grown != NULL)
			g->guid = grown;
		if (grown == NULL || (g->guid[g->count] = strdup(v ?
		    (const char *)v : "")) == NULL) {
			rc = sp_error_set(err, "out of memory");
			break;
		}
		g->count++;
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return rc;
}

/* Prepares sql with the texts args[0..n) bound to its first parameters. */
static sqlite3_stmt *
prepare_texts(struct site *s, const char *sql, const char *const *args,
    int n, struct sp_error *err)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		if (sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC)
		    != SQLITE_OK) {
			site_sqlite_error(s, err, s->path);
			sqlite3_finalize(st);
			return NULL;
		}
	return st;
}

/* Runs a statement without results over the texts args[0..n). */
static int
run_texts(struct site *s, const char *sql, const char *const *args, int n,
    struct sp_error *err)
{
	sqlite3_stmt *st = prepare_texts(s, sql, args, n, err);
	int r;

	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_move_find(struct site *s, long long table_id, int pk_integer,
    const char *key, int by_guid, char guid[33], struct sp_error *err)
{
	sqlite3_stmt *st = prepare_texts(s, "SELECT guid FROM syncpack_record "
	    "WHERE tbl = ?2 AND rkey IS NOT NULL AND iif(?4, guid = upper(?1), "
	    "rkey = iif(?3, cast(?1 AS INTEGER), ?1))", &key, 1, err);
	int r;

	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 2, table_id) != SQLITE_OK ||
	    sqlite3_bind_int(st, 3, pk_integer) != SQLITE_OK ||
	    sqlite3_bind_int(st, 4, by_guid) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		snprintf(guid, 33, "%s", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_move_state(struct site *s, const char *guid, int *flags, char *to,
    size_t tolen, struct sp_error *err)
{
	sqlite3_stmt *st = prepare_texts(s, "SELECT r.flags, (SELECT to_site "
	    "FROM syncpack_transfer t WHERE t.guid = r.guid AND t.state = 'in "
	    "transit') FROM syncpack_record r WHERE r.guid = ?", &guid, 1, err);
	int r;

	*flags = 0;
	if (tolen > 0)
		to[0] = '\0';
	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*flags = sqlite3_column_int(st, 0);
		if (sqlite3_column_text(st, 1) != NULL)
			snprintf(to, tolen, "%s", sqlite3_column_text(st, 1));
	}
	sqlite3_finalize(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 :
	    site_sqlite_error(s, err, s->path);
}

int
sqlite_move_start(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	const char *args[] = { guid, s->id, peer };

	if (run_texts(s, "UPDATE syncpack_record SET flags = flags | 2 WHERE "
	    "guid = ?", args, 1, err) != 0)
		return -1;
	return run_texts(s, "INSERT OR REPLACE INTO syncpack_transfer(guid, tbl,"
	    " from_site, to_site, flow, at, state) SELECT guid, (SELECT name "
	    "FROM syncpack_table WHERE id = tbl), ?2, ?3, 0, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'), 'in transit' FROM syncpack_record "
	    "WHERE guid = ?1", args, 3, err);
}

int
sqlite_move_children(struct site *s, const char *guid,
    struct store_guids *kids, struct sp_error *err)
{
	sqlite3_stmt *st, *fk;
	sqlite3_value *rkey = NULL;
	long long tbl = 0;
	int r, rc = 0;

	kids->guid = NULL;
	kids->count = 0;
	if ((st = prepare_texts(s, "SELECT tbl, rkey FROM syncpack_record "
	    "WHERE guid = ?", &guid, 1, err)) == NULL)
		return -1;
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		tbl = sqlite3_column_int64(st, 0);
		rkey = sqlite3_value_dup(sqlite3_column_value(st, 1));
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	if (rkey == NULL)
		return 0;	/* not here, or a tombstone: nothing refers to it */
	if (sqlite3_prepare_v2(s->db, "SELECT f.col, c.name, c.pk, c.id FROM "
	    "syncpack_fk f JOIN syncpack_table c ON c.id = f.tbl WHERE "
	    "f.parent = ? AND c.movable AND c.tracked", -1, &fk, NULL)
	    != SQLITE_OK) {
		sqlite3_value_free(rkey);
		return site_sqlite_error(s, err, s->path);
	}
	sqlite3_bind_int64(fk, 1, tbl);
	while (rc == 0 && (r = sqlite3_step(fk)) == SQLITE_ROW) {
		char *c_key = key_sql_expr((const char *)sqlite3_column_text(fk,
		    2), "c");
		char *sql = c_key ? sqlite3_mprintf("SELECT r.guid FROM \"%w\" c "
		    "JOIN syncpack_record r ON r.tbl = %lld AND r.rkey = +(%s) "
		    "WHERE c.\"%w\" = ?", sqlite3_column_text(fk, 1),
		    (long long)sqlite3_column_int64(fk, 3), c_key,
		    sqlite3_column_text(fk, 0)) : NULL;

		sqlite3_free(c_key);
		if (sql == NULL) {
			rc = sp_error_set(err, "out of memory");
			break;
		}
		if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
			rc = site_sqlite_error(s, err, s->path);
		sqlite3_free(sql);
		if (rc != 0)
			break;
		if (sqlite3_bind_value(st, 1, rkey) != SQLITE_OK) {
			sqlite3_finalize(st);
			rc = site_sqlite_error(s, err, s->path);
			break;
		}
		rc = collect(s, st, kids, err);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(fk);
	sqlite3_value_free(rkey);
	if (rc != 0)
		store_guids_free(kids);
	return rc;
}

/* Collects column 0 of sql over the texts args[0..n) into *g. */
static int
collect_texts(struct site *s, const char *sql, const char *const *args,
    int n, struct store_guids *g, struct sp_error *err)
{
	sqlite3_stmt *st = prepare_texts(s, sql, args, n, err);

	g->guid = NULL;
	g->count = 0;
	if (st == NULL)
		return -1;
	if (collect(s, st, g, err) != 0) {
		store_guids_free(g);
		return -1;
	}
	return 0;
}

int
sqlite_move_requests(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err)
{
	return collect_texts(s, "SELECT q.guid FROM syncpack_move_request q "
	    "JOIN syncpack_record r ON r.guid = q.guid WHERE q.peer = ? AND NOT "
	    "q.answered AND r.rkey IS NOT NULL AND NOT (r.flags & 2)", &peer, 1,
	    guids, err);
}

int
sqlite_move_request_answered(struct site *s, const char *guid,
    const char *peer, struct sp_error *err)
{
	const char *args[] = { guid, peer };

	return run_texts(s, "UPDATE syncpack_move_request SET answered = 1 "
	    "WHERE guid = ? AND peer = ?", args, 2, err);
}

int
sqlite_moves_outgoing(struct site *s, const char *peer, long long table_id,
    struct store_guids *guids, struct sp_error *err)
{
	const char *args[] = { s->id, peer };
	sqlite3_stmt *st = prepare_texts(s, "SELECT r.guid FROM "
	    "syncpack_transfer t JOIN syncpack_record r ON r.guid = t.guid WHERE "
	    "t.from_site = ?1 AND t.to_site = ?2 AND t.state = 'in transit' AND "
	    "r.tbl = ?3 AND r.rkey IS NOT NULL ORDER BY r.lseq", args, 2, err);

	guids->guid = NULL;
	guids->count = 0;
	if (st == NULL)
		return -1;
	if (sqlite3_bind_int64(st, 3, table_id) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	if (collect(s, st, guids, err) != 0) {
		store_guids_free(guids);
		return -1;
	}
	return 0;
}

int
sqlite_moves_in_transit_to(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err)
{
	/* BINARY collation orders as strcmp does. */
	return collect_texts(s, "SELECT DISTINCT guid FROM syncpack_transfer "
	    "WHERE to_site = ? AND state = 'in transit' ORDER BY guid", &peer, 1,
	    guids, err);
}

int
sqlite_moves_set_flow(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	const char *args[] = { s->id, peer };
	sqlite3_stmt *st = prepare_texts(s, "UPDATE syncpack_transfer SET flow "
	    "= ?3 WHERE from_site = ?1 AND to_site = ?2 AND state = 'in transit' "
	    "AND flow = 0", args, 2, err);
	int r;

	if (st == NULL)
		return -1;
	/* Flows come from a counter in a signed column (site_next_flow). */
	if (sqlite3_bind_int64(st, 3, (sqlite3_int64)flow) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}
