/* site_open.c: picks a site's backend by the name of its database, and
 * the calls that then go to that backend. With store_open.c the one
 * place above the backends that names them. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/backend.h"
#include "store/sqlite/backend.h"
#include "store/tables.h"
#include "store/tx.h"

int
site_is_postgresql(const char *path)
{
	return strncmp(path, "postgresql://", 13) == 0 ||
	    strncmp(path, "postgres://", 11) == 0;
}

int
site_uri_has_password(const char *path)
{
	return site_is_postgresql(path) && pg_uri_has_password(path);
}

char *
site_display_name(const char *path)
{
	return site_is_postgresql(path) ? pg_uri_display(path) : strdup(path);
}

int
site_open(struct site *s, const char *path, int flags, struct sp_error *err)
{
	if (!site_is_postgresql(path))
		return sqlite_site_open(s, path, flags & SITE_OPEN_UNINIT, err);
	if (!(flags & SITE_OPEN_POSTGRESQL)) {
		char *shown = pg_uri_display(path);
		sp_error_set(err, "%s: not yet available on a PostgreSQL site",
		    shown ? shown : "postgresql://");
		free(shown);
		return -1;
	}
	return pg_site_open(s, path, flags & SITE_OPEN_UNINIT, err);
}

void
site_close(struct site *s)
{
	if (s->backend == SITE_POSTGRESQL)
		pg_site_close(s);
	else
		sqlite_site_close(s);
}

int
site_init(const char *path, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err)
{
	if (site_is_postgresql(path))
		return pg_site_init(path, site_id, hub, key_path, pub_path,
		    err);
	return sqlite_site_init(path, site_id, hub, key_path, pub_path, err);
}

int
store_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_list_tables(s, cb, ctx, err)
	    : sqlite_list_tables(s, cb, ctx, err);
}

static const struct store_tables_ops sqlite_tables_ops = {
	.tx_begin = store_tx_begin,
	.tx_commit = store_tx_commit,
	.tx_rollback = store_tx_rollback,
	.table_get = store_table_get,
	.table_exists = store_table_exists,
	.column_exists = store_column_exists,
	.table_primary_key = store_table_primary_key,
	.table_save = store_table_save,
	.table_untrack = store_table_untrack,
	.table_adopt = store_table_adopt,
	.capture_install = store_capture_install,
	.capture_remove = store_capture_remove,
	.fks_refresh = store_fks_refresh,
};

const struct store_tables_ops *
store_tables_ops(const struct site *s)
{
	return s->backend == SITE_POSTGRESQL ? &pg_tables_ops
	    : &sqlite_tables_ops;
}
