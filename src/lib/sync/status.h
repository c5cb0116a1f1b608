/* status.h: the health of a site: per peer what was exchanged and what
 * waits, and a verdict an operator or a monitor can act on. */
#ifndef SYNCPACK_STATUS_H
#define SYNCPACK_STATUS_H

#include <jansson.h>

#include "store/site.h"

/* Returns a new JSON object: {"site", "hub", "peers": [{"peer",
 * "last_sent", "last_received", "last_acked", "waiting", "held",
 * "conflicts", "rejections", "refused"}], "held", "conflicts", "rejections",
 * "verdict": "ok"|"attention", "reason"}. */
SP_MUST_CHECK
json_t *site_status(struct site *s, struct sp_error *err);

#endif
