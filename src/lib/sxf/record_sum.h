/* record_sum.h: the checksum of one record as manifests carry it (sxf(5),
 * "Manifests"): SHA-256 of a canonical text made of the table, the GUID,
 * the owner, then "deleted" or every column by name in byte order with its
 * typed value, a reference to a tracked table as the parent's GUID.
 *
 * Manifests compute it (sync/manifest.c) and the SQLite backend keeps it
 * with each record (store/sqlite/checksums.c); both must give the same
 * bytes, so the encoding lives here, once. Which columns a record has and
 * in what order is the caller's (store/record_columns.h). */
#ifndef SYNCPACK_RECORD_SUM_H
#define SYNCPACK_RECORD_SUM_H

#include <stddef.h>

#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/value.h"

/* The first line of the canonical text: changing the encoding means a new
 * version here, and stored checksums of the old one are recomputed. */
#define RECORD_SUM_VERSION "syncpack-record 1"

#define RECORD_SUM_BUFFER 4096

/* Gathers the canonical text a few KiB at a time: one digest update per
 * field went through OpenSSL's dispatch each time. A failure is
 * remembered in bad and reported by record_sum_end. */
struct record_sum {
	EVP_MD_CTX *h;
	EVP_MD *sha256;		/* fetched once, not per record */
	size_t n;
	int bad;
	unsigned char buf[RECORD_SUM_BUFFER];
};

SP_MUST_CHECK
int record_sum_init(struct record_sum *rs, struct sp_error *err);
void record_sum_free(struct record_sum *rs);

/* Starts a record: table, GUID, owner, and "deleted" for a tombstone (which
 * then takes no values). */
void record_sum_begin(struct record_sum *rs, const char *table,
    const char *guid, const char *owner, int deleted);

/* Appends column name's value. ref: the column refers to a tracked table
 * and v is the parent's GUID as text, or NULL. Text without bytes (NULL),
 * or a blob of n > 0 without, is a value memory ran out reading:
 * record_sum_end then fails. */
void record_sum_value(struct record_sum *rs, const char *name,
    const struct value *v, int ref);

/* The 32 bytes of the digest; -1 when memory or the digest failed. */
SP_MUST_CHECK
int record_sum_end(struct record_sum *rs, unsigned char digest[32]);

#endif
