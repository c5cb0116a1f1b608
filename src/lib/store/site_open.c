/* site_open.c: picks a site's backend by the name of its database, and
 * the calls that then go to that backend: opening, and the tracked
 * tables as store/tables.h reads them. With store_open.c, site_peers.c
 * and facets_*.c the places above the backends that name them. */
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
	if (site_is_postgresql(path))
		return pg_site_open(s, path, flags & SITE_OPEN_UNINIT, err);
	return sqlite_site_open(s, path, flags & SITE_OPEN_UNINIT, err);
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

int
store_table_get(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_tables_ops.table_get(s, table, t, err) :
	    sqlite_table_get(s, table, t, err);
}

int
store_tables_tracked(struct site *s, char ***names, int *count,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_tables_tracked(s, names, count, err) :
	    sqlite_tables_tracked(s, names, count, err);
}

int
store_table_parents(struct site *s, long long id, long long **parents,
    int *count, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_table_parents(s, id, parents, count, err) :
	    sqlite_table_parents(s, id, parents, count, err);
}

int
tracked_fks_load(struct site *s, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_fks_load(s, table, fks, count, err) :
	    sqlite_fks_load(s, table, fks, count, err);
}

int
tracked_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_columns_load(s, table, columns, count, err) :
	    sqlite_columns_load(s, table, columns, count, err);
}

int
store_table_primary_key(struct site *s, const char *table, char **pk,
    int *pk_integer, int *ncols, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_tables_ops.table_primary_key(s, table, pk, pk_integer, ncols, err) :
	    sqlite_table_primary_key(s, table, pk, pk_integer, ncols, err);
}

int
store_table_rkey(struct site *s, const struct tracked_table *t,
    const char *const *values, int n, json_t **rkey, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_table_rkey(s, t, values, n, rkey, err) :
	    sqlite_table_rkey(s, t, values, n, rkey, err);
}

static const struct store_tables_ops sqlite_tables_ops = {
	.tx_begin = store_tx_begin,
	.tx_commit = store_tx_commit,
	.tx_rollback = store_tx_rollback,
	.table_get = sqlite_table_get,
	.table_exists = store_table_exists,
	.column_exists = store_column_exists,
	.table_primary_key = sqlite_table_primary_key,
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
