/* manifest.h: checksum manifests of a site's records, for reconciliation
 * and comparison.
 *
 * A record's checksum is the SHA-256 of a canonical encoding (sxf(5)):
 * table, GUID, owner, every column by name in byte order with typed values,
 * foreign keys to tracked tables as the parent's GUID, never local ids. So
 * two sites holding the same record compute the same checksum whatever
 * their local keys. */
#ifndef SYNCPACK_MANIFEST_H
#define SYNCPACK_MANIFEST_H

#include "store/site.h"

struct manifest_entry {
	char table[256];
	char guid[33];
	char owner[SITEID_MAX + 1];
	long long rowversion;
	int deleted;
	char checksum[65];
};

/* Which records a manifest covers. */
struct manifest_filter {
	const char *table;	/* only this table, or NULL */
	const char *owner;	/* only records owned by this site, or NULL */
	const char *not_owner;	/* only records not owned by this site */
	const char *route_to;	/* hub: only records routed to this spoke */
	const char *since;	/* window on each table's window column */
	const char *until;	/* (YYYY-MM-DD, inclusive), or NULL */
	int live_only;		/* leave tombstones out */
	/* Only what a reconciliation covers (syncdiff(1)): no record of a
	 * movable table and none in transit, which only moves relocate. */
	int reconciled;
	/* Sites counted as owner (a spoke's sub-sites): their records match
	 * the owner filter and are checksummed as owned by it. */
	const char *const *aliases;
	int naliases;
};

struct manifest_iter;

/* Iterates every record the filter selects, ordered by table name then
 * GUID, so that two manifests merge in one pass in bounded memory.
 * manifest_next returns 1 with e filled, 0 at the end, -1 on error. */
SP_MUST_CHECK
struct manifest_iter *manifest_open(struct site *s,
    const struct manifest_filter *f, struct sp_error *err);
SP_MUST_CHECK
int manifest_next(struct manifest_iter *it, struct manifest_entry *e,
    struct sp_error *err);
void manifest_close(struct manifest_iter *it);

/* Parses one manifest line of a request or an echo, strictly. */
SP_MUST_CHECK
int manifest_entry_parse(const char *line, size_t len,
    struct manifest_entry *e, struct sp_error *err);

struct tracked_table;

/* Whether the hub sends t's record owned by owner to spoke in regular
 * exchange (route all, owner or none). */
int manifest_routed(const struct tracked_table *t, const char *owner,
    const char *spoke);

/* Orders two entries as manifest_next returns them: <0, 0, >0. */
int manifest_order(const struct manifest_entry *a,
    const struct manifest_entry *b);

#endif
