/* conflicts.h: resolving a conflict kept for an operator (syncadm
 * resolve). */
#ifndef SYNCPACK_CONFLICTS_H
#define SYNCPACK_CONFLICTS_H

#include "store/site.h"

/* Resolves conflict id by keeping the local or the remote version; the
 * kept version becomes a new local change that supersedes both. */
SP_MUST_CHECK
int conflict_resolve(struct site *s, long long id, int keep_remote,
    struct sp_error *err);

#endif
