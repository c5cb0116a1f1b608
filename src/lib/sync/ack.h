/* ack.h: acknowledgements: written for the flows applied from a peer, with
 * their protocol; ingested to move the ack mark, freeze acknowledged
 * records and keep the peer's protocol. The vacuum that follows an
 * ingest is sync/vacuum.c's. */
#ifndef SYNCPACK_ACK_H
#define SYNCPACK_ACK_H

#include "sync/exchange_file.h"

struct ack_result {
	int flows;		/* flows acknowledged in the file */
	int refused;		/* flows it says were refused here */
	int written;		/* 0: nothing to acknowledge, no file */
	struct exchange_written file;
};

/* Writes an ack file for every flow applied from peer, or refused here,
 * and not yet acknowledged. */
SP_MUST_CHECK
int ack_write(struct site *s, const char *peer, const char *target,
    uint64_t link, struct ack_result *res, struct sp_error *err);

/* Ingests one line of an ack file from peer (inside the apply
 * transaction). */
SP_MUST_CHECK
int ack_ingest_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err);

/* 0 when reason may be the reason of a refusal (one line of printable
 * UTF-8 text of at most STORE_REFUSAL_REASON_MAX bytes, store/flows_in.h),
 * else -1 with err set (SP_ERR_USAGE). */
SP_MUST_CHECK
int ack_refusal_reason_check(const char *reason, struct sp_error *err);

/* Ingests one line of an ack file's refused.jsonl (inside the apply
 * transaction): peer's operator refused one of this site's data flows,
 * whose records thus wait for the next file. */
SP_MUST_CHECK
int ack_refused_line(struct site *s, const char *peer, const char *line,
    size_t len, struct sp_error *err);

/* Ingests one line of an ack file's transfers.jsonl: hops of moved
 * records as the peer knows them. */
SP_MUST_CHECK
int ack_transfer_line(struct site *s, const char *line, size_t len,
    struct sp_error *err);

/* After an ack file's lines: freeze and vacuum (inside the transaction). */
SP_MUST_CHECK
int ack_after_ingest(struct site *s, const char *peer, struct sp_error *err);

#endif
