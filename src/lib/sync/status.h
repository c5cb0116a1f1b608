/* status.h: the health of a site: per peer what was exchanged and what
 * waits, and a verdict an operator or a monitor can act on. */
#ifndef SYNCPACK_STATUS_H
#define SYNCPACK_STATUS_H

#include <jansson.h>

#include "store/site.h"

/* Returns a new JSON object: {"site", "hub", "peers": [{"peer",
 * "last_sent", "last_received", "last_acked", "waiting", "held",
 * "conflicts", "rejections", "failed_flows", "refused", "expect_seconds",
 * "quiet", "verdict", "reason"}], "held", "conflicts", "rejections",
 * "failed_flows", "verdict": "ok"|"attention", "reason"}. A peer is quiet
 * when no file came from it for longer than expect_seconds (not 0) since
 * its last file, or since it was added; "now" is clock_wall_ms's.
 * "refused": data files to the peer its operator refused, not yet made up
 * for by a later one acknowledged. */
SP_MUST_CHECK
json_t *site_status(struct site *s, struct sp_error *err);

#endif
