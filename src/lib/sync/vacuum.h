/* vacuum.h: purging the metadata every peer has acknowledged. */
#ifndef SYNCPACK_VACUUM_H
#define SYNCPACK_VACUUM_H

#include "util/error.h"
#include "store/site.h"

/* Purges tombstones every peer has acknowledged; *purged (unless NULL)
 * gets how many. */
SP_MUST_CHECK
int site_vacuum(struct site *s, long long *purged, struct sp_error *err);

/* site_vacuum in a write transaction of its own (site_vacuum runs inside
 * the caller's). */
SP_MUST_CHECK
int site_vacuum_alone(struct site *s, long long *purged,
    struct sp_error *err);

#endif
