/* conflicts.h: concurrent changes kept for an operator (the manual policy):
 * as an apply records them and later versions settle them, and as an
 * operator resolves one (syncadm resolve). Which conflicts are kept is
 * decided in sync/apply_record.c; which version a resolution keeps and how,
 * in sync/conflicts.c. This is the store interface; store/facets_*.c passes
 * each call to the site's backend, store/sqlite/conflicts.c or
 * store/pg/conflicts_pg.c. */
#ifndef SYNCPACK_STORE_CONFLICTS_H
#define SYNCPACK_STORE_CONFLICTS_H

#include <stddef.h>
#include <stdlib.h>

#include <jansson.h>

#include "util/error.h"
#include "store/site.h"
#include "store/store.h"

/* During an apply. Both calls run inside an apply (store_begin_apply) on
 * its store, whose backend keeps their statements prepared. */

/* Records a conflict on guid (table) between the local version, local
 * (its exchange-file line; NULL: none here), and the one received from
 * peer in flow, remote (len bytes), detected now. */
int store_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err);

/* Marks every unresolved conflict of guid resolved now: a version made
 * from the local one arrived, so another site's operator settled it. */
int store_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err);

/* Resolving one. Each call belongs inside the caller's transaction
 * (store/tx.h), so that a resolution is all or nothing. */

/* An unresolved conflict. */
struct store_conflict {
	char guid[33];
	char table[256];
	char *remote;		/* owned: the remote version, a wire record */
	/* From the remote version: its rowversion and HLC stamp (0 when it
	 * has none) and the stamp's site ("" when it has none). */
	long long remote_rowversion;
	long long remote_hlc;
	char remote_site[SITEID_MAX + 1];
};

/* 1 and fills *c with unresolved conflict id, 0 when there is no such
 * unresolved conflict, -1 on error. Free with store_conflict_free. */
SP_MUST_CHECK
int store_conflict_get(struct site *s, long long id,
    struct store_conflict *c, struct sp_error *err);

static inline void
store_conflict_free(struct store_conflict *c)
{
	free(c->remote);
	c->remote = NULL;
}

/* Writes values into table's row as a local change, which the capture
 * logs like any application write: values is an object of columns (a
 * local key left out: it stays this site's) and their values in their
 * travelling form (sxf/value.h), borrowed; pk is the table's key
 * (store/tables.h). With exists (guid's record has its row here) and
 * values, the row is updated; with exists and values NULL, it is deleted;
 * without exists, a new row with the values is inserted and takes the
 * record guid, a tombstone, again. */
SP_MUST_CHECK
int store_conflict_write(struct site *s, const char *table,
    const char *pk, const char *guid, int exists, json_t *values,
    struct sp_error *err);

/* Logs a local update of guid's live row without changing it, so that
 * its values become a new version. */
SP_MUST_CHECK
int store_conflict_touch(struct site *s, const char *guid,
    struct sp_error *err);

/* Turns the local changes logged so far into new versions of their
 * records (the capture's fold), as every tool does on opening a site. */
SP_MUST_CHECK
int store_conflict_fold(struct site *s, struct sp_error *err);

/* Makes guid's version a successor of the remote version c names (its
 * base, and a rowversion past it) and marks every unresolved conflict of
 * guid resolved now. */
SP_MUST_CHECK
int store_conflict_settle(struct site *s,
    const struct store_conflict *c, struct sp_error *err);

#endif
