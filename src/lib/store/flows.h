/* flows.h: the store's log of exchange files (flows) written to and read
 * from peers, the acknowledgements they got, the peers' acknowledged marks
 * and this site's next flow id as the headers of peers move it.
 *
 * Only the bookkeeping is here; what a header or an ack means (a restore,
 * a complete reconciliation) is decided in sync/exchange_file.c and
 * sync/ack.c. This is the store interface; the SQLite backend implements
 * it (store/sqlite/flows.c). */
#ifndef SYNCPACK_STORE_FLOWS_H
#define SYNCPACK_STORE_FLOWS_H

#include <stdint.h>

#include "util/error.h"
#include "store/site.h"
#include "store/flows_in.h"

/* An exchange file this site wrote, as store_flow_add_out logs it. */
struct store_flow_out {
	const char *peer;
	uint64_t flow;
	const char *kind;	/* data, ack, request, answer */
	uint64_t link;		/* the flow answered, or 0 */
	const char *file;	/* where it went */
	const char *sha256;	/* hex checksum of the file */
	long long covered;	/* the lseq a data file covers, or 0 */
};

/* Logs the outgoing flow f as sent now, not yet acknowledged. */
SP_MUST_CHECK
int store_flow_add_out(struct site *s, const struct store_flow_out *f,
    struct sp_error *err);

/* Stamps peer's last_sent with the time now; no error for an unknown
 * peer. */
SP_MUST_CHECK
int store_peer_sent(struct site *s, const char *peer, struct sp_error *err);

/* The highest flow logged as received from peer: 1 with *flow and
 * *sha256 (owned by the caller, NULL when the flow has no checksum), 0
 * when none was received (*sha256 NULL), -1 on error. */
SP_MUST_CHECK
int store_flow_last_in(struct site *s, const char *peer, long long *flow,
    char **sha256, struct sp_error *err);

/* The outgoing flow to peer with id flow: 1 when it is logged, with
 * *sha256 its checksum (owned by the caller, NULL when it has none), 0
 * when it is not (*sha256 NULL), -1 on error. */
SP_MUST_CHECK
int store_flow_out_sha256(struct site *s, const char *peer, long long flow,
    char **sha256, struct sp_error *err);

/* This site's next flow id, without taking it: 1 with *next, 0 when the
 * site has no flow counter, -1 on error. */
SP_MUST_CHECK
int store_next_flow_peek(struct site *s, long long *next,
    struct sp_error *err);

/* Moves the next flow id past seen (never back). */
SP_MUST_CHECK
int store_next_flow_raise(struct site *s, long long seen,
    struct sp_error *err);

/* Peer's acknowledged mark (acked_lseq): 1 with *mark, 0 when peer is not
 * registered, -1 on error. */
SP_MUST_CHECK
int store_peer_mark(struct site *s, const char *peer, long long *mark,
    struct sp_error *err);

/* Lowers peer's acknowledged mark to mark (never raises it). */
SP_MUST_CHECK
int store_peer_mark_lower(struct site *s, const char *peer, long long mark,
    struct sp_error *err);

/* Raises peer's acknowledged mark to mark (never lowers it) and stamps its
 * last_acked with the time now. */
SP_MUST_CHECK
int store_peer_mark_acked(struct site *s, const char *peer, long long mark,
    struct sp_error *err);

/* The lowest acknowledged mark of all peers: 1 with *mark, 0 when the
 * site has no peer, -1 on error. */
SP_MUST_CHECK
int store_peers_min_mark(struct site *s, long long *mark,
    struct sp_error *err);

/* Sets the lseq covered by every flow written to peer so far to -1, below
 * any mark. */
SP_MUST_CHECK
int store_flows_out_uncover(struct site *s, const char *peer,
    struct sp_error *err);

/* An incoming flow waiting for this site's acknowledgement. Strings are
 * borrowed for the call. */
struct store_flow_in {
	long long flow;
	const char *status;	/* applied, partial, superseded or refused */
	struct store_flow_counts n;
	const char *sha256;	/* NULL when the flow has no checksum */
	const char *reason;	/* of a refusal, or NULL */
};

/* Called for each waiting flow; non-zero stops the walk, which then
 * returns -1 (the callback sets err). */
typedef int (*store_flow_in_cb)(void *ctx, const struct store_flow_in *f,
    struct sp_error *err);

/* Walks, in flow order, the data and answer flows received from peer
 * that are not acknowledged yet and ended applied, partial or superseded
 * (refused 0), or that an operator refused here (refused 1,
 * store_flow_in_refuse). The callback may call other store functions. */
SP_MUST_CHECK
int store_flows_unacked_in(struct site *s, const char *peer, int refused,
    store_flow_in_cb cb, void *ctx, struct sp_error *err);

/* Marks every flow store_flows_unacked_in would walk (either way)
 * acknowledged. */
SP_MUST_CHECK
int store_flows_ack_in(struct site *s, const char *peer,
    struct sp_error *err);

/* Peer acknowledged the outgoing flow f, whose file had the checksum
 * sha256 (NULL: not said): marks it acknowledged and returns 1 with
 * *covered the lseq it covered; 0 when no such flow is logged, or it had
 * another checksum (nothing changes); -1 on error. A flow logged without a
 * checksum matches any. */
SP_MUST_CHECK
int store_flow_ack_out(struct site *s, const char *peer, long long f,
    const char *sha256, long long *covered, struct sp_error *err);

/* Peer's operator refused the outgoing data flow f, whose file had the
 * checksum sha256 (NULL: not said), for reason (NULL: none given): marks
 * it refused and answered (acked), leaving peer's mark where it is, and
 * returns 1; 0 when no such flow is logged, or it had another checksum
 * (nothing changes); -1 on error. store_flow_ack_out of the flow later
 * (its file applied after all) clears the refusal. */
SP_MUST_CHECK
int store_flow_refused_out(struct site *s, const char *peer, long long f,
    const char *sha256, const char *reason, struct sp_error *err);

/* Peer acknowledged the outgoing answer f: the request this site sent to
 * peer that f's chain answers (request <- peer's answer <- answer f) is
 * marked complete. Nothing changes when f is no such answer. */
SP_MUST_CHECK
int store_flow_request_complete(struct site *s, const char *peer,
    long long f, struct sp_error *err);

#endif
