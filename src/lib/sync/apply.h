/* apply.h: applying exchange files to a site: data files (records) and
 * ack files (acknowledgements), each in one transaction committed only
 * after the signature and every hash verified. */
#ifndef SYNCPACK_APPLY_H
#define SYNCPACK_APPLY_H

#include "store/store.h"
#include "sxf/sxf_reader.h"
#include "sxf/wire_record.h"

/* What happened to one incoming record. */
enum apply_outcome {
	OUTCOME_APPLIED,
	OUTCOME_DUPLICATE,	/* this version is already here */
	OUTCOME_OLDER,		/* a newer version is already here */
	OUTCOME_CONFLICT_WON,	/* concurrent change; the incoming one won */
	OUTCOME_CONFLICT_LOST,	/* concurrent change; the local one stays */
	OUTCOME_CONFLICT_KEPT,	/* manual policy: kept for an operator */
	OUTCOME_REJECTED,	/* the sender may not make this change */
	OUTCOME_HELD,		/* waits for a parent, an unlock, a schema */
	OUTCOME_DEFERRED,	/* a delete decided at the end of the file */
};

const char *apply_outcome_name(enum apply_outcome o);

struct apply_counts {
	long long applied, skipped, conflict, rejected, held;
};

enum apply_status {
	APPLY_APPLIED,		/* every record applied (or already there) */
	APPLY_PARTIAL,		/* some rejected, held or in conflict */
	APPLY_SUPERSEDED,	/* older than a flow already applied */
	APPLY_ALREADY,		/* this flow was applied before: nothing done */
	APPLY_REFUSED,		/* an operator refused it here: nothing done */
	APPLY_ACK,		/* an ack file, ingested */
};

struct apply_result {
	struct sxf_header header;
	enum apply_status status;
	struct apply_counts n;
	long long released;	/* held records applied at last */
};

/* Verifies and applies one exchange file (data, answer or ack) from path
 * ("-" for stdin); label (NULL: path) is the name the flow records, such
 * as the URL a file was downloaded from. Returns 0 when the file was
 * applied, ingested, already applied or refused here before; -1 when
 * nothing was applied (err says why). */
SP_MUST_CHECK
int apply_file(struct site *s, const char *path, const char *label,
    const struct sxf_limits *limits, struct apply_result *res,
    struct sp_error *err);

/* What this site knows of an incoming flow. */
struct apply_flow_state {
	int already;		/* applied here (fully, partly, superseded) */
	int superseded;		/* a later data flow of its sender was */
	int refused;		/* an operator refused it here */
};

/* Takes in what the verified header h says of this site (its "seen"
 * marks, sync/exchange_file.h) and tells what is known here of flow h.
 * A flow id its sender used before for another file is an error (the
 * sender was restored from a backup; noted). */
SP_MUST_CHECK
int apply_flow_state(struct site *s, const struct sxf_header *h,
    struct apply_flow_state *st, struct sp_error *err);

/* Incoming moves are refused (rejected) by apply_file from now on. */
void apply_refuse_moves(int refuse);

/* Applies held records whose reason is gone, in one transaction. */
SP_MUST_CHECK
int apply_release_held(struct site *s, long long *released,
    struct sp_error *err);

struct policy_cache;

/* Context of applying records, shared by data files and held records. */
struct apply_ctx {
	struct site *site;
	struct store *store;
	struct policy_cache *policies;	/* owned */
	char peer[SITEID_MAX + 1];	/* the sender */
	long long flow;
	int superseded;		/* the flow is older than one applied */
	int refuse_moves;	/* incoming moves are rejected */
	int any_held;		/* some record may be held */
	int any_lock;		/* some record may be locked */
	int defer_deletes;	/* 1: deletes of referenced rows, and writes
				 * whose key another row holds, wait for the
				 * end of the file; 2: they are only tried */
	long long ndeferred;	/* deletes set aside (store/deferred.h) */
	int readdressed;	/* the record at hand is a version of one
				 * merged into another (sync/apply_merge.c) */
	int releasing;		/* the record at hand was held here, and its
				 * sender may hold another version since */
	struct apply_counts n;
};

SP_MUST_CHECK
int apply_ctx_init(struct apply_ctx *ac, struct site *s,
    struct sp_error *err);
void apply_ctx_free(struct apply_ctx *ac);

/* Decides and applies one record (its JSON text line) inside an open
 * apply transaction; records its protocol row and, when held, its held
 * row. Returns -1 only on a database error; a bad record is an outcome
 * (rejected). */
SP_MUST_CHECK
int apply_record(struct apply_ctx *ac, const char *line, size_t len,
    enum apply_outcome *outcome, struct sp_error *err);

/* apply_record of a record parsed already from line, which it takes
 * (frees) whatever it returns. */
SP_MUST_CHECK
int apply_record_parsed(struct apply_ctx *ac, struct wire_record *w,
    const char *line, size_t len, enum apply_outcome *outcome,
    struct sp_error *err);

/* The records of a data file, gathered into batches where the store
 * batches (store_batch_begin), each applied by apply_record (in order,
 * each as if alone) when it is full and at the end of the member. */
struct apply_batch {
	char *text;		/* the lines, each ending in NUL */
	size_t len, cap;
	size_t *starts;
	int n, cap_n;
};

/* 1 when the apply's store takes batches. */
int apply_batching(const struct apply_ctx *ac);
SP_MUST_CHECK
int apply_batch_add(struct apply_ctx *ac, struct apply_batch *b,
    const char *line, size_t len, struct sp_error *err);
/* Applies what the batch holds and empties it. */
SP_MUST_CHECK
int apply_batch_run(struct apply_ctx *ac, struct apply_batch *b,
    struct sp_error *err);
void apply_batch_free(struct apply_batch *b);

/* Inside an open apply transaction, after a file's records: decides the
 * deletes apply_record deferred (defer_deletes) now that the whole file is
 * in, and stops deferring. */
SP_MUST_CHECK
int apply_deferred_in_txn(struct apply_ctx *ac, struct sp_error *err);

/* Inside an open apply transaction: applies every held record whose reason
 * is gone, repeating while that releases more. */
SP_MUST_CHECK
int apply_release_held_in_txn(struct apply_ctx *ac, long long *released,
    struct sp_error *err);

#endif
