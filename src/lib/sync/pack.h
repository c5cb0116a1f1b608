/* pack.h: writing data files: every change a peer has not acknowledged,
 * routed by table policy, parents first, locked records held back. */
#ifndef SYNCPACK_PACK_H
#define SYNCPACK_PACK_H

#include <jansson.h>

#include "sync/exchange_file.h"

/* TABLE:KEY of --move (KEY a local key or a GUID) or TABLE:GUID of
 * --request-move. */
struct pack_ref {
	const char *table;
	const char *key;
};

struct pack_options {
	int if_changed;		/* write nothing when there is nothing to send */
	uint64_t link;		/* the flow this file answers, or 0 */
	const struct pack_ref *moves;	/* records to move to the peer */
	int nmoves;
	const struct pack_ref *requests;	/* spoke: records to ask for */
	int nrequests;
	/* Told, one message each, about records held back (NULL: not). */
	void (*warn)(void *ctx, const char *msg);
	void *warn_ctx;
};

struct pack_result {
	long long records;
	long long moved;	/* of which moves */
	long long held_back;	/* not sent: a parent is not a record here */
	int written;		/* 0: nothing written (if_changed) */
	struct exchange_written file;
};

SP_MUST_CHECK
int pack_data(struct site *s, const char *peer, const char *target,
    const struct pack_options *opt, struct pack_result *res,
    struct sp_error *err);

struct store;

/* Builds the wire form (sxf(5)) of record guid as this site holds it, as a
 * new JSON reference in *out (NULL when unknown here). owner, when not
 * NULL, replaces the record's owner (a spoke's sub-site aliases). */
/* *n: the records the next data file to peer would carry now, as
 * pack_data chooses them (the routing rule on the changes since the
 * peer's ack, neither reserved nor leaving), with the moves to it that
 * every file repeats until one is acknowledged, and, to a spoke that
 * starts from 0, the purged deletes. Reads metadata only. */
SP_MUST_CHECK
int pack_waiting(struct site *s, const char *peer, long long *n,
    struct sp_error *err);

SP_MUST_CHECK
int pack_record_by_guid(struct site *s, struct store *store,
    const char *guid, const char *owner, json_t **out, struct sp_error *err);

struct store_record;

/* 1 and fills rec with the tombstone of guid if it was purged here but is
 * remembered (syncpack_purged), 0 if not, -1 on error. */
SP_MUST_CHECK
int pack_purged_lookup(struct site *s, const char *guid,
    struct store_record *rec, struct sp_error *err);

#endif
