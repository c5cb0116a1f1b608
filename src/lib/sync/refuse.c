/* refuse.c: recording an incoming data file as refused by an operator,
 * without applying any of it. */
#include <stdlib.h>
#include <string.h>

#include "sync/ack.h"
#include "sync/apply.h"
#include "sync/exchange_file.h"
#include "sync/refuse.h"
#include "store/flows_in.h"
#include "store/tx.h"
#include "net/input.h"

/* Only a data file is refused: acks, requests and answers are the
 * exchange's own bookkeeping, and nothing would carry them again. */
static int
on_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct refuse_result *res = ctx;

	res->header = *h;
	if (strcmp(h->kind, "data") != 0)
		return sp_error_setk(err, SP_ERR_REFUSED, 0, "only data files "
		    "can be refused; this is a %s file", h->kind);
	return 0;
}

/* Inside the transaction: what is known of the flow decides. */
static int
record(struct site *s, const char *name, const char *reason,
    const char *sha256, struct refuse_result *res, struct sp_error *err)
{
	const struct sxf_header *h = &res->header;
	const char *lseq = sxf_header_extra(h, "lseq");
	struct apply_flow_state st;
	struct store_flow_refusal r = { h->from, (long long)h->flow,
	    (long long)h->link, name, h->created, sha256,
	    lseq ? atoll(lseq) : 0, reason };

	if (apply_flow_state(s, h, &st, err) != 0)
		return -1;
	if (st.already)
		return sp_error_setk(err, SP_ERR_REFUSED, 0, "flow %llu from %s "
		    "was applied here already: a refusal cannot undo it",
		    (unsigned long long)h->flow, h->from);
	if (st.refused) {
		res->already = 1;
		return 0;
	}
	if (exchange_sender_restored(s, h, err) != 0)
		return -1;
	return store_flow_in_refuse(s, &r, err);
}

int
refuse_file(struct site *s, const char *path, const char *label,
    const char *reason, const struct sxf_limits *limits,
    struct refuse_result *res, struct sp_error *err)
{
	struct sxf_read_ops ops;
	struct sxf_read_result rr;

	memset(res, 0, sizeof(*res));
	memset(&ops, 0, sizeof(ops));
	if (ack_refusal_reason_check(reason, err) != 0)
		return -1;
	ops.on_header = on_header;
	ops.ctx = res;
	/* Every check an apply makes, the payload hashed and not read. */
	if (exchange_file_read(s, path, limits, &ops, &rr, err) != 0)
		return -1;
	if (store_tx_begin(s, err) != 0)
		return -1;
	if (record(s, label ? label : input_display_name(path), reason,
	    rr.file_sha256, res, err) != 0) {
		store_tx_rollback(s);
		return -1;
	}
	if (store_tx_commit(s, err) != 0) {
		store_tx_rollback(s);
		return -1;
	}
	return 0;
}
