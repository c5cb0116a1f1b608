/* outbox.c: syncpack_outbox and the peers' URLs (store/outbox.h). */
#include <stdlib.h>
#include <string.h>

#include "store/outbox.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

int
sqlite_peer_url(struct site *s, const char *peer, char **url,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	*url = NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT url FROM syncpack_peer WHERE "
	    "site = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL &&
	    (*url = strdup((const char *)sqlite3_column_text(st, 0))) == NULL) {
		sqlite3_finalize(st);
		return sp_error_set(err, "out of memory");
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return *url != NULL;
}

int
sqlite_outbox_add(struct site *s, const char *name, const char *peer,
    const char *kind, const char *url, struct sp_error *err)
{
	const char *args[] = { name, peer, kind, url };
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO syncpack_outbox("
	    "name, peer, kind, url, added) VALUES (?, ?, ?, ?, strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	for (int i = 0; i < 4; i++)
		if (sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_STATIC)
		    != SQLITE_OK) {
			sqlite3_finalize(st);
			return site_sqlite_error(s, err, s->path);
		}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_outbox_forget(struct site *s, const char *name, struct sp_error *err)
{
	return site_step_text(s, "DELETE FROM syncpack_outbox WHERE name = ?",
	    name, err) < 0 ? -1 : 0;
}

int
sqlite_outbox_has(struct site *s, const char *name, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_outbox WHERE name = ?",
	    name, err);
}

int
sqlite_outbox_any(struct site *s, struct sp_error *err)
{
	return site_step_text(s, "SELECT 1 FROM syncpack_outbox LIMIT 1", NULL,
	    err);
}

/* Copies column col of st into *dst; -1 when memory runs out. */
static int
copy_column(sqlite3_stmt *st, int col, char **dst)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	*dst = strdup(v != NULL ? (const char *)v : "");
	return *dst != NULL ? 0 : -1;
}

int
sqlite_outbox_list(struct site *s, struct store_outbox_file **files,
    size_t *count, struct sp_error *err)
{
	struct store_outbox_file *all = NULL;
	sqlite3_stmt *st;
	size_t n = 0;
	int r;

	*files = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT name, peer, kind, url FROM "
	    "syncpack_outbox", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_outbox_file *grown, *f;

		grown = realloc(all, (n + 1) * sizeof(*all));
		if (grown == NULL)
			break;
		all = grown;
		f = &all[n++];
		memset(f, 0, sizeof(*f));
		if (copy_column(st, 0, &f->name) != 0 ||
		    copy_column(st, 1, &f->peer) != 0 ||
		    copy_column(st, 2, &f->kind) != 0 ||
		    copy_column(st, 3, &f->url) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		store_outbox_files_free(all, n);
		return r == SQLITE_ROW ? sp_error_set(err, "out of memory")
		    : site_sqlite_error(s, err, s->path);
	}
	*files = all;
	*count = n;
	return 0;
}
