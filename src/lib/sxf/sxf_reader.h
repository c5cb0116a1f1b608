/* sxf_reader.h: streams and verifies an exchange file, sxf(5).
 *
 * The reader reads HEADER, MANIFEST and SIGNATURE, checks the signature
 * against the sender's key before any payload is handed out, then streams
 * each payload member through the callbacks while hashing it. A member's
 * data is only trustworthy once on_member_end has been called for it, and
 * the file as a whole only once sxf_read_fd has returned 0: callers apply
 * inside a transaction they commit after that. Memory stays bounded: no
 * payload is held in memory by the reader. */
#ifndef SYNCPACK_SXF_READER_H
#define SYNCPACK_SXF_READER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/sxf_header.h"

/* HEADER and MANIFEST are read into memory, so they have a fixed ceiling. */
#define SXF_META_MAX (1024 * 1024)

struct sxf_limits {
	uint64_t max_member;	/* largest payload member, in bytes */
	uint64_t max_total;	/* all members together, decompressed */
	size_t max_members;	/* payload members */
};

/* The defaults syncunpack uses unless told otherwise. */
extern const struct sxf_limits sxf_default_limits;

struct sxf_read_ops {
	/* Returns the sender's public key (the reader frees it), or NULL with
	 * err set when the sender is unknown. NULL callback: the signature is
	 * not checked (syncunpack --list without a database). */
	EVP_PKEY *(*signer_key)(void *key_ctx, const char *site,
	    struct sp_error *err);
	void *key_ctx;
	/* Returns this site's X25519 private key (the reader frees it) to
	 * open a sealed file, whose inner header then goes to on_header and
	 * whose inner members to the member callbacks. NULL callback: a
	 * sealed file is read as it stands, its one member "sealed" handed
	 * out unopened. */
	EVP_PKEY *(*sealing_key)(void *key_ctx, struct sp_error *err);
	/* Called with key_ctx on the verified header (of a sealed file, the
	 * opened one) before on_header; a non-zero return refuses the file.
	 * sealed: whether the file was sealed. May be NULL. */
	int (*check_header)(void *key_ctx, const struct sxf_header *h,
	    int sealed, struct sp_error *err);
	/* When set, a file whose "to" differs is refused. */
	const char *expect_to;
	/* Each callback may be NULL; a non-zero return stops the read. */
	int (*on_header)(void *ctx, const struct sxf_header *h,
	    struct sp_error *err);
	int (*on_member_begin)(void *ctx, const char *name, uint64_t size,
	    struct sp_error *err);
	int (*on_member_data)(void *ctx, const void *buf, size_t len,
	    struct sp_error *err);
	int (*on_member_end)(void *ctx, const char *name, struct sp_error *err);
	void *ctx;
};

struct sxf_read_result {
	struct sxf_header header;
	int header_ok;		/* header parsed, even if reading failed later */
	int signature_checked;
	int sealed;		/* the file is sealed (sxf/sxf_open.h) */
	size_t members;		/* payload members verified */
	uint64_t payload_bytes;
	char file_sha256[65];	/* of the bytes read, once all were read */
};

/* Reads the whole file from fd. Returns 0 when every check passed. */
SP_MUST_CHECK
int sxf_read_fd(int fd, const struct sxf_limits *limits,
    const struct sxf_read_ops *ops, struct sxf_read_result *result,
    struct sp_error *err);

#endif
