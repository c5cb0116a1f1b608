/* ack.c: writing and ingesting acknowledgements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sync/ack.h"
#include "store/flows_in.h"
#include "sync/vacuum.h"
#include "store/flows.h"
#include "store/protocol.h"
#include "store/transfers.h"
#include "store/tx.h"

/* Writes one line of transfers.jsonl. */
static int
write_transfer(void *ctx, const char *line, struct sp_error *err)
{
	struct sxf_writer *w = ctx;

	return sxf_writer_member_write(w, line, strlen(line), err) != 0 ||
	    sxf_writer_member_write(w, "\n", 1, err) != 0 ? -1 : 0;
}

/* transfers.jsonl: the hops of moved records not yet reported, so that the
 * hub holds the complete history of every record. */
static int
write_transfers(struct site *s, struct sxf_writer *w, struct sp_error *err)
{
	if (sxf_writer_member_begin(w, "transfers.jsonl", err) != 0 ||
	    store_transfers_unreported(s, write_transfer, w, err) != 0)
		return -1;
	return sxf_writer_member_end(w, err) != 0 ||
	    store_transfers_reported(s, err) != 0 ? -1 : 0;
}

int
ack_transfer_line(struct site *s, const char *line, size_t len,
    struct sp_error *err)
{
	int r = store_transfer_merge(s, line, len, err);

	return r > 0 ? sp_error_set(err, "malformed transfer") : r;
}

struct moves {
	struct site *site;
	const char *peer;
};

/* This site's record guid went to the peer with a move the peer has
 * acknowledged: it leaves this site. */
static int
move_done(void *ctx, const char *guid, struct sp_error *err)
{
	struct moves *m = ctx;

	/* This apply runs with triggers off: no tombstone is made. */
	return store_move_complete(m->site, guid, m->peer, err);
}

/* The peer acknowledged flow f: the moves to it that f carried are done
 * (the records leave this site, without a tombstone), or refused (the
 * records are writable here again). */
static int
complete_moves(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	struct moves m = { s, peer };

	if (store_transfers_refuse(s, peer, f, err) != 0)
		return -1;
	return store_transfers_in_transit(s, peer, f, move_done, &m, err);
}

struct ack_writing {
	struct site *site;
	const char *peer;
	struct sxf_writer *w;
	struct ack_result *res;
	uint64_t last_flow;
};

/* Writes line (a JSON object about flow f, consumed; NULL: out of
 * memory) as one line of the member w is writing, with f's sha256: the
 * file answered, so that a sender restored from a backup does not take it
 * for a later file with its id. */
static int
write_flow_line(struct sxf_writer *w, json_t *line,
    const struct store_flow_in *f, struct sp_error *err)
{
	char *text;
	int r;

	if (line != NULL && f->sha256 != NULL &&
	    json_object_set_new(line, "sha256", json_string(f->sha256)) != 0) {
		json_decref(line);
		line = NULL;
	}
	text = line ? json_dumps(line, JSON_COMPACT) : NULL;
	json_decref(line);
	if (text == NULL)
		return sp_error_set(err, "out of memory");
	r = sxf_writer_member_write(w, text, strlen(text), err) ||
	    sxf_writer_member_write(w, "\n", 1, err);
	free(text);
	return r != 0 ? -1 : 0;
}

/* Writes the ack.jsonl line of one applied flow, with its protocol. */
static int
ack_flow(void *ctx, const struct store_flow_in *f, struct sp_error *err)
{
	struct ack_writing *a = ctx;
	json_t *protocol = store_protocol_in(a->site, a->peer, f->flow, err);
	json_t *line;

	/* NULL: an ack must not tell the sender its records were plainly
	 * applied because their protocol could not be read. */
	if (protocol == NULL)
		return -1;
	a->last_flow = (uint64_t)f->flow;
	line = json_pack("{s:I, s:s, s:{s:I, s:I, s:I, s:I, s:I}, s:o}",
	    "flow", (json_int_t)f->flow, "status", f->status,
	    "counts", "applied", (json_int_t)f->n.applied,
	    "skipped", (json_int_t)f->n.skipped,
	    "conflict", (json_int_t)f->n.conflict,
	    "rejected", (json_int_t)f->n.rejected,
	    "held", (json_int_t)f->n.held, "protocol", protocol);
	if (write_flow_line(a->w, line, f, err) != 0)
		return -1;
	a->res->flows++;
	return 0;
}

/* Writes the refused.jsonl line of a flow an operator refused here. */
static int
refused_flow(void *ctx, const struct store_flow_in *f, struct sp_error *err)
{
	struct ack_writing *a = ctx;
	json_t *line = json_pack("{s:I}", "flow", (json_int_t)f->flow);

	a->last_flow = (uint64_t)f->flow;
	if (line != NULL && f->reason != NULL && json_object_set_new(line,
	    "reason", json_string(f->reason)) != 0) {
		json_decref(line);
		line = NULL;
	}
	if (write_flow_line(a->w, line, f, err) != 0)
		return -1;
	a->res->refused++;
	return 0;
}

/* refused.jsonl: the data flows an operator refused here. A member of its
 * own, not lines of ack.jsonl: a reader that knows no refusal skips it
 * and keeps the flow unacknowledged, instead of taking it for applied. */
static int
write_refused(struct ack_writing *a, struct sp_error *err)
{
	if (sxf_writer_member_begin(a->w, "refused.jsonl", err) != 0 ||
	    store_flows_unacked_in(a->site, a->peer, 1, refused_flow, a, err)
	    != 0)
		return -1;
	return sxf_writer_member_end(a->w, err);
}

int
ack_write(struct site *s, const char *peer, const char *target,
    uint64_t link, struct ack_result *res, struct sp_error *err)
{
	struct ack_writing a = { s, peer, NULL, res, 0 };

	memset(res, 0, sizeof(*res));
	if (store_tx_begin(s, err) != 0)
		return -1;
	/* Every flow walked is marked acknowledged below: one that a failing
	 * step left out of the file must not be, so any failure rolls back. */
	if ((a.w = sxf_writer_new(err)) == NULL ||
	    sxf_writer_member_begin(a.w, "ack.jsonl", err) != 0 ||
	    store_flows_unacked_in(s, peer, 0, ack_flow, &a, err) != 0 ||
	    sxf_writer_member_end(a.w, err) != 0 ||
	    write_refused(&a, err) != 0 ||
	    write_transfers(s, a.w, err) != 0)
		goto rollback;
	if (res->flows == 0 && res->refused == 0) {
		store_tx_rollback(s);
		sxf_writer_free(a.w);
		return 0;
	}
	{
		struct exchange_meta m = { "ack", peer, link ? link :
		    a.last_flow, 0, NULL };

		if (exchange_file_write(s, a.w, &m, target, &res->file, err)
		    != 0 || store_flows_ack_in(s, peer, err) != 0)
			goto rollback;
		/* The hub's word: records of --freeze tables acknowledged to
		 * their creator may no longer be changed by it. */
		if (s->hub && store_freeze_from(s, peer, err) != 0)
			goto rollback;
	}
	if (store_tx_commit(s, err) != 0)
		goto rollback;
	sxf_writer_free(a.w);
	/* Committed: the flows count as acknowledged even if the file
	 * cannot be put in place, and the next file acknowledges the peer's
	 * next flows, which cover what these did. */
	if (exchange_file_publish(&res->file, err) != 0)
		return -1;
	res->written = 1;
	return 0;
rollback:
	store_tx_rollback(s);
	exchange_file_discard(&res->file);
	sxf_writer_free(a.w);
	return -1;
}

int
ack_ingest_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr), *flow, *sha;
	long long covered = -1, f;
	int rc = -1, r;

	if (o == NULL || !json_is_integer(flow = json_object_get(o, "flow"))) {
		json_decref(o);
		return sp_error_set(err, "malformed ack line");
	}
	f = json_integer_value(flow);
	sha = json_object_get(o, "sha256");
	r = store_flow_ack_out(s, peer, f, json_is_string(sha) ?
	    json_string_value(sha) : NULL, &covered, err);
	if (r < 0)
		goto cleanup;
	if (r == 0) {
		/* A flow this site does not know, or one of its own with
		 * that id from before it was restored: ignored. */
		rc = 0;
		goto cleanup;
	}
	if (store_protocol_save_out(s, peer, f, json_object_get(o, "protocol"),
	    err) != 0 || complete_moves(s, peer, f, err) != 0 ||
	    store_peer_mark_acked(s, peer, covered, err) != 0)
		goto cleanup;
	/* At a spoke, its acknowledged documents freeze. */
	if (!s->hub && store_freeze_acked(s, s->id, covered, peer, f, err) != 0)
		goto cleanup;
	/* A reconciliation is complete once the answer to its echo is
	 * acknowledged: request <- answer <- answer. */
	if (store_flow_request_complete(s, peer, f, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	json_decref(o);
	return rc;
}

int
ack_refusal_reason_check(const char *reason, struct sp_error *err)
{
	json_t *utf8;

	if (reason == NULL)
		return 0;
	if (strlen(reason) > STORE_REFUSAL_REASON_MAX)
		return sp_error_setk(err, SP_ERR_USAGE, 0, "the reason is over "
		    "%d bytes", STORE_REFUSAL_REASON_MAX);
	/* It is shown in listings and travels in an ack (JSON). */
	for (const char *c = reason; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return sp_error_setk(err, SP_ERR_USAGE, 0, "the reason "
			    "must be one line of printable text");
	if ((utf8 = json_string(reason)) == NULL)
		return sp_error_setk(err, SP_ERR_USAGE, 0, "the reason is not "
		    "UTF-8 text");
	json_decref(utf8);
	return 0;
}

int
ack_refused_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr), *flow, *sha, *why;
	char reason[STORE_REFUSAL_REASON_MAX + 1] = "";
	int r;

	if (o == NULL || !json_is_integer(flow = json_object_get(o, "flow"))) {
		json_decref(o);
		return sp_error_set(err, "malformed refused line");
	}
	sha = json_object_get(o, "sha256");
	why = json_object_get(o, "reason");
	/* The peer's words go into listings: one line of printable text,
	 * as syncunpack --refuse takes them. */
	if (json_is_string(why)) {
		struct sp_error ignored;

		snprintf(reason, sizeof(reason), "%s", json_string_value(why));
		for (char *c = reason; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = ' ';
		if (strlen(json_string_value(why)) >= sizeof(reason) ||
		    ack_refusal_reason_check(reason, &ignored) != 0)
			snprintf(reason, sizeof(reason), "(the peer's reason "
			    "is not one line of text)");
	}
	/* The mark stays: the records of a refused file count as never
	 * delivered, and the next file carries them again. Its moves stay
	 * in transit until a later file's acknowledgement. An unknown flow,
	 * or one from before a restore of this site, is ignored. */
	r = store_flow_refused_out(s, peer, json_integer_value(flow),
	    json_is_string(sha) ? json_string_value(sha) : NULL,
	    json_is_string(why) ? reason : NULL, err);
	json_decref(o);
	return r < 0 ? -1 : 0;
}

int
ack_after_ingest(struct site *s, const char *peer, struct sp_error *err)
{
	(void)peer;
	return site_vacuum(s, NULL, err);
}
