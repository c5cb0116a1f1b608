/* sxf_header.h: the HEADER and MANIFEST members of an exchange file, sxf(5). */
#ifndef SYNCPACK_SXF_HEADER_H
#define SYNCPACK_SXF_HEADER_H

#include <stddef.h>
#include <stdint.h>

#include "util/error.h"
#include "sxf/siteid.h"

/* Format versions (sxf(5), "Format versions"). A reader reads every
 * version syncpack has ever written; a writer writes, to each peer, the
 * newest version the peer announced in its files' reads field, and the
 * oldest it still writes to a peer that announced none. */
#define SXF_FORMAT_OLDEST 1	/* the oldest version this syncpack writes */
#define SXF_FORMAT_NEWEST 1	/* the newest version it reads and writes */
#define SXF_FORMAT_PREFIX "sxf "
/* This syncpack's reads field: every version it reads. */
#define SXF_FORMATS_READ "1"
#define SXF_KIND_MAX 31
#define SXF_NAME_MAX 100
#define SXF_EXTRA_MAX 16

struct sxf_header {
	unsigned format;	/* the N of "sxf N"; 0 writes SXF_FORMAT_NEWEST */
	char kind[SXF_KIND_MAX + 1];
	char from[SITEID_MAX + 1];
	char to[SITEID_MAX + 1];
	uint64_t flow;
	uint64_t link;
	char created[32];	/* RFC 3339 UTC, e.g. 2026-11-22T04:15:37Z */
	/* Further key: value lines, kept so later kinds can add fields. */
	int nextra;
	char extra_key[SXF_EXTRA_MAX][32];
	char extra_value[SXF_EXTRA_MAX][128];
};

/* Fills created with the current UTC time. */
void sxf_header_stamp_now(struct sxf_header *h);

/* Returns the HEADER bytes in a buffer the caller frees. */
SP_MUST_CHECK
char *sxf_header_format(const struct sxf_header *h, size_t *len,
    struct sp_error *err);

SP_MUST_CHECK
int sxf_header_parse(const char *buf, size_t len, struct sxf_header *h,
    struct sp_error *err);

/* Returns the value of an extra header key, or NULL. */
const char *sxf_header_extra(const struct sxf_header *h, const char *key);

/* Whether list is a valid reads field: 1 to 16 format versions, positive
 * decimal numbers in increasing order, separated by single spaces. */
int sxf_format_list_valid(const char *list);

/* The version to write to a peer whose reads field is announced (NULL: it
 * announced none, so oldest), by a writer of versions oldest..newest:
 * the newest it announced in that range. 0, or -1 with err set when the
 * peer reads none of them. */
SP_MUST_CHECK
int sxf_format_pick(const char *announced, unsigned oldest, unsigned newest,
    unsigned *version, struct sp_error *err);

/* 1 when name may be a payload member: 1-100 characters of A-Z a-z 0-9
 * . _ -, not starting with a dot, not one of the fixed member names. */
int sxf_member_name_valid(const char *name);

struct sxf_manifest_entry {
	char name[SXF_NAME_MAX + 1];
	unsigned char sha256[32];
};

/* Parses MANIFEST (sha256sum format) into a new array the caller frees. */
SP_MUST_CHECK
int sxf_manifest_parse(const char *buf, size_t len,
    struct sxf_manifest_entry **entries, size_t *count, size_t max_count,
    struct sp_error *err);

#endif
