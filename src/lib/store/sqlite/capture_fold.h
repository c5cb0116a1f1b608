/* capture_fold.h: turns the change log the triggers append to into
 * per-record metadata: GUID, rowversion, HLC stamp, lseq, tombstones. */
#ifndef SYNCPACK_CAPTURE_FOLD_H
#define SYNCPACK_CAPTURE_FOLD_H

#include "util/error.h"
#include "store/site.h"

/* Folds every pending row of syncpack_change into syncpack_record, in
 * order, and empties the log. Runs in its own transaction, or inside the
 * caller's when one is open. Every tool calls it (through site_open)
 * before it reads the metadata. */
int capture_fold(struct site *s, struct sp_error *err);

/* Writes a new GUID for a record first stamped with hlc: 32 upper-case hex
 * digits, the 64-bit HLC stamp then 64 random bits, so that GUIDs are
 * unique without coordination and their index grows at its right edge.
 * Under the test clock (clock.h) the 64 bits derive from site and hlc. */
int capture_new_guid(const char *site, long long hlc, char out[33],
    struct sp_error *err);

#endif
