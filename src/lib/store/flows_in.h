/* flows_in.h: the incoming flows as the store keeps them: one row per
 * sender and flow id, with its state and counts, and when each peer was
 * last heard from.
 *
 * What a flow's state means for applying it again is decided in
 * sync/apply.c; these calls only keep the rows. */
#ifndef SYNCPACK_STORE_FLOWS_IN_H
#define SYNCPACK_STORE_FLOWS_IN_H

#include "util/error.h"
#include "store/site.h"

/* How a flow's records went (sync/apply.h counts them). */
struct store_flow_counts {
	long long applied, skipped, conflict, rejected, held;
};

/* What is recorded of flow of peer, whose file says it was made at
 * created: *applied when it was applied (fully, partly or as superseded),
 * *later when a later data flow of peer was applied (fully or partly),
 * *reused when a row for this flow id records another making time,
 * *refused when an operator refused it here (store_flow_in_refuse). */
int store_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused,
    int *refused, struct sp_error *err);

/* Records that an apply of flow of peer (kind, link, from file, made at
 * created) starts now: status running, one more execution. */
int store_flow_in_start(struct site *s, const char *peer, long long flow,
    const char *kind, long long link, const char *file, const char *created,
    struct sp_error *err);

/* Records how the apply of flow of peer ended: status, now, the file's
 * sha256 (NULL or "": the one recorded stays), the counts (NULL: all 0)
 * and the sender's lseq the flow covers; and that peer was heard from
 * now. */
int store_flow_in_finish(struct site *s, const char *peer, long long flow,
    const char *status, const char *sha256,
    const struct store_flow_counts *n, long long covered,
    struct sp_error *err);

/* The longest reason of a refusal kept, in bytes. */
#define STORE_REFUSAL_REASON_MAX 500

/* A data flow an operator refuses, as its verified file says it. Strings
 * are borrowed for the call. */
struct store_flow_refusal {
	const char *peer;
	long long flow;
	long long link;
	const char *file;	/* where it was read from */
	const char *created;	/* when the sender made it */
	const char *sha256;	/* of the file */
	long long covered;	/* the sender's lseq it covers */
	const char *reason;	/* the operator's words, or NULL */
};

/* Records flow r->flow of r->peer as refused by an operator, now: status
 * refused, no record counted, not yet acknowledged (the next ack tells
 * the peer), executions as they were (a refusal executes nothing); and
 * that the peer was heard from now. Any earlier row of the flow (a failed
 * try) is overwritten. */
SP_MUST_CHECK
int store_flow_in_refuse(struct site *s, const struct store_flow_refusal *r,
    struct sp_error *err);

#endif
