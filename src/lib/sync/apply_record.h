/* apply_record.h: what the files deciding one incoming record share
 * (apply_record.c, apply_decide.c, apply_delete.c); not for other
 * callers, who use apply.h. */
#ifndef SYNCPACK_SYNC_APPLY_RECORD_H
#define SYNCPACK_SYNC_APPLY_RECORD_H

#include "store/tables.h"
#include "sync/apply.h"

/* Policies of the tracked tables, loaded once per apply, with their
 * columns as the apply's store holds them. */
struct policy_entry {
	struct tracked_table t;
	char *const *columns;	/* borrowed from the store */
	int ncolumns;
};

struct policy_cache {
	struct policy_entry *e;
	int n;
};

/* 1 and *out for a table tracked here, 0 when it is not, -1 on error.
 * *out stays valid until the next call, which may grow the cache. */
/* The policy cache of an apply (apply_policy.c). */
void policy_cache_free(struct policy_cache *pc);

/* 1 when table e has column col here. */
int policy_has_column(const struct policy_entry *e, const char *col);

/* 0 when upsert w can be written here, its references made local keys;
 * 1 with *o and reason set when a column or a parent is not (held, or
 * rejected for a reference that cannot be read); -1: error
 * (apply_parents.c). */
SP_MUST_CHECK
int writable_here(struct apply_ctx *ac, const struct policy_entry *p,
    struct wire_record *w, enum apply_outcome *o, char *reason, size_t rlen,
    struct sp_error *err);

SP_MUST_CHECK
int policy_find(struct apply_ctx *ac, const char *table,
    struct policy_entry **out, struct sp_error *err);

/* Version order (apply_decide.c). */

/* (hlc, site) order: the newest change wins, the site id breaks ties. */
int newer(long long hlc_a, const char *site_a, long long hlc_b,
    const char *site_b);

/* Whether version v is the one that version of grew from. */
int is_base(const struct store_record *v, const struct store_record *of);

/* The sender brought the record back because its delete lost there. */
int revived(const struct wire_record *w);

/* Whether live version a holds a later write than live version b. */
int values_newer(const struct store_record *a, const struct store_record *b);

/* Whether the winner of a conflict between two live versions must be
 * stamped past the loser (syncpack(7)). */
int winner_needs_stamp(const struct store_record *winner,
    const struct store_record *loser);

/* An incoming live version made against this site's own tombstone. */
int undoes_local_delete(struct apply_ctx *ac, const struct wire_record *w,
    const struct store_record *local, int have_local);

/* 1 when the incoming version wins a conflict under the table's policy;
 * -1 for the manual policy (nobody wins). */
int incoming_wins(struct apply_ctx *ac, const struct policy_entry *p,
    const struct store_record *local, const struct store_record *in);

/* The outcome for w against the local version (have_local: there is
 * one) before the write; OUTCOME_CONFLICT_LOST stands for a conflict the
 * caller settles by policy. Sets reason for a rejection. */
enum apply_outcome decide(struct apply_ctx *ac, const struct policy_entry *p,
    const struct wire_record *w, const struct store_record *local,
    int have_local, char *reason, size_t rlen);

/* Deletes (apply_delete.c). */

/* For a version of a record unknown here: 1 (reason set) when a purged
 * tombstone of it is later and was stamped again, 0 when not, -1 on
 * error. */
SP_MUST_CHECK
int deleted_before(struct apply_ctx *ac, const struct wire_record *w,
    char *reason, size_t rlen, struct sp_error *err);

/* Sets an incoming delete aside until the end of the file. */
SP_MUST_CHECK
int defer_delete(struct apply_ctx *ac, const char *line, size_t len,
    struct sp_error *err);

/* Identity merge (apply_merge.c). */

/* As store_lookup, through the tombstones of merged records to the
 * record each merged into; *via says whether one was passed. */
SP_MUST_CHECK
int lookup_resolved(struct apply_ctx *ac, const char *guid,
    struct store_record *rec, json_t **row, int *via, struct sp_error *err);

/* incoming_wins for two records merged into one, or for a version of a
 * merged record: the later write where a manual policy would keep both
 * for an operator. */
int merged_wins(struct apply_ctx *ac, const struct policy_entry *p,
    const struct store_record *local, const struct store_record *in);

/* The metadata of a version of a merged record, written as the next
 * version of the local record it merged into. */
void readdressed_version(struct store_record *rec,
    const struct store_record *local);

/* A version of a record merged here into another becomes a version of
 * that one: 1 when w's GUID was replaced, 0 when not, -1 on error. */
SP_MUST_CHECK
int readdress(struct apply_ctx *ac, struct wire_record *w,
    struct sp_error *err);

/* For an incoming live version whose natural key a live local record of
 * another GUID holds, at the last try in its file: merges the two
 * records, sets *o and reason and returns 1; 0 when they are not to
 * merge (a local key, another UNIQUE column, a lock), -1 on error. */
SP_MUST_CHECK
int merge_identity(struct apply_ctx *ac, const struct policy_entry *p,
    struct wire_record *w, enum apply_outcome *o, char *reason, size_t rlen,
    struct sp_error *err);

#endif
