/* apply.c: applies one exchange file: flow tracking, streaming the
 * payload line by line into one transaction, the deletes set aside until
 * its end, held records, acks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/ack.h"
#include "sync/apply.h"
#include "sxf/wire_record.h"
#include "sync/exchange_file.h"
#include "store/deferred.h"
#include "store/flows_in.h"
#include "store/held.h"
#include "store/protocol.h"
#include "net/input.h"
#include "util/line_buffer.h"

enum member_kind {
	MEMBER_OTHER, MEMBER_DATA, MEMBER_ACK, MEMBER_REFUSED, MEMBER_REQUESTS,
	MEMBER_TRANSFERS
};

static int refuse_moves;

void
apply_refuse_moves(int refuse)
{
	refuse_moves = refuse;
}

struct file_ctx {
	struct apply_ctx ac;
	struct site *site;
	struct apply_result *res;
	const char *path;
	int in_txn;
	int started;		/* the flow row counts this execution */
	struct apply_flow_state state;
	enum member_kind member;
	struct line_buffer lines;
	struct apply_batch batch;
};

/* The same flow id on a file made at another time means the sender was
 * restored from a backup and reuses ids: refused, since its changes come
 * again in its next file. */
int
apply_flow_state(struct site *s, const struct sxf_header *h,
    struct apply_flow_state *st, struct sp_error *err)
{
	int reused;

	memset(st, 0, sizeof(*st));
	if (exchange_note_seen(s, h, err) != 0 ||
	    store_flow_in_state(s, h->from, (long long)h->flow, h->created,
	    &st->already, &st->superseded, &reused, &st->refused, err) != 0)
		return -1;
	if (strcmp(h->kind, "data") != 0)
		st->superseded = 0;	/* only data files supersede each other */
	if (reused) {
		st->already = st->refused = 0;
		if (exchange_note_restored(s, h->from, err) != 0)
			return -1;
		return sp_error_set(err, "flow %llu of %s was received before "
		    "from another file (made %s): %s was restored from a backup "
		    "and reuses flow ids; its changes come again in its next file",
		    (unsigned long long)h->flow, h->from, h->created, h->from);
	}
	return 0;
}

/* Counts an execution before the work starts, committed at once, so that
 * a run killed halfway still shows in executions. */
static int
flow_start(struct site *s, const struct sxf_header *h, const char *path,
    struct sp_error *err)
{
	return store_flow_in_start(s, h->from, (long long)h->flow, h->kind,
	    (long long)h->link, input_display_name(path), h->created, err);
}

static int
flow_finish(struct site *s, const struct sxf_header *h, const char *status,
    const struct apply_counts *n, const char *sha256, struct sp_error *err)
{
	const char *lseq = sxf_header_extra(h, "lseq");
	struct store_flow_counts c = { 0, 0, 0, 0, 0 };

	if (n != NULL) {
		c.applied = n->applied;
		c.skipped = n->skipped;
		c.conflict = n->conflict;
		c.rejected = n->rejected;
		c.held = n->held;
	}
	return store_flow_in_finish(s, h->from, (long long)h->flow, status,
	    sha256, n ? &c : NULL, lseq ? atoll(lseq) : 0, err);
}

static int
on_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct file_ctx *fc = ctx;

	fc->res->header = *h;
	if (strcmp(h->kind, "data") != 0 && strcmp(h->kind, "ack") != 0 &&
	    strcmp(h->kind, "answer") != 0)
		return sp_error_set(err, "a %s file is not applied by syncunpack "
		    "(syncdiff answers it)", h->kind);
	if (apply_flow_state(fc->site, h, &fc->state, err) != 0)
		return -1;
	if (fc->state.already)
		return sp_error_set(err, "already applied");
	/* An operator refused it here: the next file of the sender carries
	 * its records again, this one never applies. */
	if (fc->state.refused)
		return sp_error_set(err, "refused here");
	if (exchange_sender_restored(fc->site, h, err) != 0)
		return -1;
	if (flow_start(fc->site, h, fc->path, err) != 0)
		return -1;
	fc->started = 1;
	if (store_begin_apply(fc->ac.store, err) != 0)
		return -1;
	fc->in_txn = 1;
	snprintf(fc->ac.peer, sizeof(fc->ac.peer), "%s", h->from);
	fc->ac.flow = (long long)h->flow;
	fc->ac.superseded = fc->state.superseded;
	fc->ac.refuse_moves = refuse_moves;
	fc->ac.defer_deletes = 1;
	return 0;
}

static int
on_member_begin(void *ctx, const char *name, uint64_t size,
    struct sp_error *err)
{
	struct file_ctx *fc = ctx;
	int ack = strcmp(fc->res->header.kind, "ack") == 0;

	/* Answers of a reconciliation carry records in data.jsonl too; their
	 * manifests (want, echo) are for syncdiff. */

	(void)size;
	(void)err;
	fc->lines.len = 0;
	if (!ack && strcmp(name, "data.jsonl") == 0)
		fc->member = MEMBER_DATA;
	else if (ack && strcmp(name, "ack.jsonl") == 0)
		fc->member = MEMBER_ACK;
	else if (ack && strcmp(name, "refused.jsonl") == 0)
		fc->member = MEMBER_REFUSED;
	else if (!ack && strcmp(name, "requests.jsonl") == 0)
		fc->member = MEMBER_REQUESTS;
	else if (ack && strcmp(name, "transfers.jsonl") == 0)
		fc->member = MEMBER_TRANSFERS;
	else
		fc->member = MEMBER_OTHER;
	return 0;
}

/* A spoke asks for a record to be moved to it (answered by a pack). */
static int
move_request_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	const char *table, *guid;
	int rc;

	if (o == NULL || json_unpack(o, "{s:s, s:s}", "table", &table, "guid",
	    &guid) != 0 || !guid_valid(guid)) {
		json_decref(o);
		return sp_error_set(err, "malformed move request");
	}
	rc = store_move_requested(s, guid, table, peer, err);
	json_decref(o);
	return rc;
}

static int
process_line(void *ctx, const char *line, size_t len, struct sp_error *err)
{
	struct file_ctx *fc = ctx;
	enum apply_outcome o;

	if (fc->member == MEMBER_ACK)
		return ack_ingest_line(fc->site, fc->res->header.from, line, len,
		    err);
	if (fc->member == MEMBER_REFUSED)
		return ack_refused_line(fc->site, fc->res->header.from, line,
		    len, err);
	if (fc->member == MEMBER_REQUESTS)
		return move_request_line(fc->site, fc->res->header.from, line,
		    len, err);
	if (fc->member == MEMBER_TRANSFERS)
		return ack_transfer_line(fc->site, line, len, err);
	if (apply_batching(&fc->ac))
		return apply_batch_add(&fc->ac, &fc->batch, line, len, err);
	return apply_record(&fc->ac, line, len, &o, err);
}

static int
on_member_data(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	struct file_ctx *fc = ctx;

	if (fc->member == MEMBER_OTHER)
		return 0;
	return line_buffer_feed(&fc->lines, buf, len, process_line, fc, err);
}

static int
on_member_end(void *ctx, const char *name, struct sp_error *err)
{
	struct file_ctx *fc = ctx;
	int rc = 0;

	(void)name;
	if (fc->member != MEMBER_OTHER)
		rc = line_buffer_flush(&fc->lines, process_line, fc, err);
	if (rc == 0 && fc->member == MEMBER_DATA)
		rc = apply_batch_run(&fc->ac, &fc->batch, err);
	fc->member = MEMBER_OTHER;
	return rc;
}

int
apply_file(struct site *s, const char *path, const char *label,
    const struct sxf_limits *limits,
    struct apply_result *res, struct sp_error *err)
{
	struct sxf_read_ops ops;
	struct sxf_read_result rr;
	struct file_ctx fc;
	struct sp_error ferr;
	const char *status;
	int rc = -1;

	memset(res, 0, sizeof(*res));
	memset(&fc, 0, sizeof(fc));
	memset(&ops, 0, sizeof(ops));
	fc.site = s;
	fc.res = res;
	fc.path = label ? label : path;
	if (apply_ctx_init(&fc.ac, s, err) != 0)
		return -1;
	ops.on_header = on_header;
	ops.on_member_begin = on_member_begin;
	ops.on_member_data = on_member_data;
	ops.on_member_end = on_member_end;
	ops.ctx = &fc;
	if (exchange_file_read(s, path, limits, &ops, &rr, err) != 0) {
		if (fc.in_txn)
			store_rollback(fc.ac.store);
		if (fc.state.already || fc.state.refused) {
			res->status = fc.state.already ? APPLY_ALREADY :
			    APPLY_REFUSED;
			rc = 0;
		} else if (fc.started)
			/* Verified header, then a bad payload or a failure:
			 * nothing applied, and the flow says so. */
			flow_finish(s, &res->header, "refused", NULL, NULL, &ferr);
		goto cleanup;
	}
	if (strcmp(res->header.kind, "ack") == 0) {
		if (ack_after_ingest(s, res->header.from, err) != 0)
			goto rollback;
		res->status = APPLY_ACK;
		status = "applied";
	} else {
		if (apply_deferred_in_txn(&fc.ac, err) != 0 ||
		    apply_release_held_in_txn(&fc.ac, &res->released, err) != 0)
			goto rollback;
		res->n = fc.ac.n;
		if (fc.state.superseded)
			res->status = APPLY_SUPERSEDED;
		else if (res->n.rejected || res->n.held ||
		    res->n.conflict > 0)
			res->status = APPLY_PARTIAL;
		else
			res->status = APPLY_APPLIED;
		status = res->status == APPLY_SUPERSEDED ? "superseded" :
		    res->status == APPLY_PARTIAL ? "partial" : "applied";
	}
	if (flow_finish(s, &res->header, status, &res->n, rr.file_sha256,
	    err) != 0 || store_commit(fc.ac.store, err) != 0)
		goto rollback;
	fc.in_txn = 0;
	rc = 0;
	goto cleanup;
rollback:
	store_rollback(fc.ac.store);
	flow_finish(s, &res->header, "failed", NULL, NULL, &ferr);
cleanup:
	line_buffer_free(&fc.lines);
	apply_batch_free(&fc.batch);
	apply_ctx_free(&fc.ac);
	return rc;
}

int
apply_release_held(struct site *s, long long *released, struct sp_error *err)
{
	struct apply_ctx ac;
	int rc = -1;

	*released = 0;
	if (apply_ctx_init(&ac, s, err) != 0)
		return -1;
	/* Nothing held (as at almost every run): no write transaction,
	 * whose journal and fsyncs were a sixth of a small file's apply. */
	if (!ac.any_held) {
		rc = 0;
		goto cleanup;
	}
	if (store_begin_apply(ac.store, err) != 0)
		goto cleanup;
	if (apply_release_held_in_txn(&ac, released, err) != 0 ||
	    store_commit(ac.store, err) != 0) {
		store_rollback(ac.store);
		goto cleanup;
	}
	rc = 0;
cleanup:
	apply_ctx_free(&ac);
	return rc;
}

struct deferred_pass_ctx {
	struct apply_ctx *ac;
	int progress;
};

static int
deferred_one(void *ctx, long long id, const char *line, size_t len,
    struct sp_error *err)
{
	struct deferred_pass_ctx *ps = ctx;
	enum apply_outcome o;

	if (apply_record(ps->ac, line, len, &o, err) != 0)
		return -1;
	if (o == OUTCOME_DEFERRED)
		return 0;
	ps->progress = 1;
	return store_deferred_drop(ps->ac->store, id, err);
}

/* One pass over the deferred deletes: those no longer referenced are
 * applied and dropped; *progress says whether any was. With
 * defer_deletes 0, every one left is decided (brought back). */
static int
deferred_pass(struct apply_ctx *ac, int *progress, struct sp_error *err)
{
	struct deferred_pass_ctx ps = { ac, 0 };
	int rc = store_deferred_each(ac->store, deferred_one, &ps, err);

	*progress = ps.progress;
	return rc == 0 ? 0 : -1;
}

struct park_pass {
	struct apply_ctx *ac;
	long long parked;
};

/* Parks the row of a deferred write (store_park); deletes stay. */
static int
park_one(void *ctx, long long id, const char *line, size_t len,
    struct sp_error *err)
{
	struct park_pass *pp = ctx;
	struct wire_record w;
	int r;

	(void)id;
	if (wire_record_parse(line, len, &w, err) != 0)
		return 0;	/* rejected as malformed by the last pass */
	r = w.rec.deleted ? 0 : store_park(pp->ac->store, w.rec.guid, err);
	wire_record_free(&w);
	if (r < 0)
		return -1;
	pp->parked += r;
	return 0;
}

/* Counts the deferred writes (not deletes) into *(long long *)ctx. */
static int
count_write(void *ctx, long long id, const char *line, size_t len,
    struct sp_error *err)
{
	struct wire_record w;

	(void)id;
	(void)err;
	if (wire_record_parse(line, len, &w, err) == 0) {
		*(long long *)ctx += !w.rec.deleted;
		wire_record_free(&w);
	}
	return 0;
}

/* Writes still waiting for a key that another waiting write's row holds
 * (records that exchanged their keys): every such row is parked aside,
 * then they are tried again. Either all of them land, or none of that
 * is kept and the last pass rejects them as before. */
static int
exchange_keys(struct apply_ctx *ac, struct sp_error *err)
{
	struct park_pass pp = { ac, 0 };
	struct apply_counts saved = ac->n;
	long long left = 0;
	int progress = 1, parked;

	/* Readies the count of parked rows outside the savepoint. */
	if (store_parked(ac->store, err) < 0 ||
	    store_record_savepoint(ac->store, err) != 0)
		return -1;
	if (store_deferred_each(ac->store, park_one, &pp, err) != 0)
		return -1;
	while (pp.parked > 0 && progress)
		if (deferred_pass(ac, &progress, err) != 0)
			return -1;
	if (store_deferred_each(ac->store, count_write, &left, err) != 0 ||
	    (parked = store_parked(ac->store, err)) < 0)
		return -1;
	/* A write tried again may fail for another reason than its key
	 * (another UNIQUE column, a rule): its row would stay parked. */
	if (pp.parked > 0 && (left > 0 || parked > 0)) {
		ac->n = saved;
		if (store_record_rollback(ac->store, err) != 0)
			return -1;
	}
	return store_record_release(ac->store, err);
}

int
apply_deferred_in_txn(struct apply_ctx *ac, struct sp_error *err)
{
	int progress = 1;

	if (ac->ndeferred == 0) {
		ac->defer_deletes = 0;
		return 0;
	}
	/* Children deleted in the same file free their parents, in any
	 * order, and a key one row gives up is free for the next: repeat
	 * until nothing changes, then the rest lose. */
	ac->defer_deletes = 2;
	while (progress)
		if (deferred_pass(ac, &progress, err) != 0)
			return -1;
	if (exchange_keys(ac, err) != 0)
		return -1;
	ac->defer_deletes = 0;
	if (deferred_pass(ac, &progress, err) != 0)
		return -1;
	ac->ndeferred = 0;
	return 0;
}

struct release_pass {
	struct apply_ctx *ac;
	long long *released;
	int progress;
};

static int
release_one(void *ctx, const char *guid, const char *peer, long long flow,
    const char *line, struct sp_error *err)
{
	struct release_pass *rp = ctx;
	struct apply_ctx *ac = rp->ac;
	struct apply_counts saved = ac->n;
	char saved_peer[sizeof(ac->peer)];
	long long saved_flow = ac->flow;
	enum apply_outcome o;
	int r;

	memcpy(saved_peer, ac->peer, sizeof(saved_peer));
	snprintf(ac->peer, sizeof(ac->peer), "%s", peer);
	ac->flow = flow;
	ac->releasing = 1;
	r = apply_record(ac, line, strlen(line), &o, err);
	ac->releasing = 0;
	if (r != 0)
		return -1;
	memcpy(ac->peer, saved_peer, sizeof(saved_peer));
	ac->flow = saved_flow;
	ac->n = saved;	/* counted in its own flow already */
	if (o != OUTCOME_HELD) {
		/* A row left behind is applied again next time, as a
		 * duplicate: not worth failing the file for. */
		(void)store_held_release(ac->store, guid, NULL);
		(*rp->released)++;
		rp->progress = 1;
	}
	return 0;
}

int
apply_release_held_in_txn(struct apply_ctx *ac, long long *released,
    struct sp_error *err)
{
	struct release_pass rp = { ac, released, 1 };
	int superseded = ac->superseded;

	/* A held record is judged on its own, not as part of the (maybe
	 * superseded) file that happens to release it. */
	ac->superseded = 0;
	*released = 0;
	while (rp.progress) {
		rp.progress = 0;
		if (store_held_each(ac->store, release_one, &rp, err) != 0)
			return -1;
	}
	ac->superseded = superseded;
	return 0;
}
