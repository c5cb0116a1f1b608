/* reconcile.h: the four-step reconciliation (syncpack(7)): the hub's
 * request (step 1), the spoke's answer with records and echo (step 2), the
 * hub's answer to the echo (step 3); step 4 is an ordinary apply and ack. */
#ifndef SYNCPACK_RECONCILE_H
#define SYNCPACK_RECONCILE_H

#include "sync/exchange_file.h"

struct recon_result {
	struct exchange_written file;
	long long records;	/* full records in the answer */
	long long wanted;	/* records the answering side lacks */
	long long echoed;	/* manifest lines of the echo */
	long long manifest;	/* manifest lines of a request */
	long long withheld;	/* records the rules keep from the other side */
	long long moved;	/* records in transit to the other side, as moves */
};

/* Step 1, at the hub: the manifest of spoke's records in the window
 * [since, until] (YYYY-MM-DD), written to target. */
SP_MUST_CHECK
int recon_request(struct site *s, const char *spoke, const char *since,
    const char *until, const char *target, struct recon_result *res,
    struct sp_error *err);

/* Steps 2 and 3: answers the request or answer file input. aliases are
 * sub-site ids counted as this site (step 2). */
SP_MUST_CHECK
int recon_answer(struct site *s, const char *input,
    const char *const *aliases, int naliases, const char *target,
    struct recon_result *res, struct sp_error *err);

#endif
