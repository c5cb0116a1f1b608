/* sxf_open.c: opens the sealed member as a stream, sxf(5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/crypto.h>

#include "sxf/seal.h"
#include "sxf/seal_keys.h"
#include "sxf/sxf_open.h"

#define refuse(err, ...) sp_error_setk((err), SP_ERR_REFUSED, 0, __VA_ARGS__)

size_t
sxf_seal_info(const struct sxf_header *h, char *buf, size_t cap)
{
	int n = snprintf(buf, cap, "syncpack sxf seal 1|%s|%s|%llu", h->from,
	    h->to, (unsigned long long)h->flow);

	return n < 0 ? 0 : (size_t)n;
}

int
sxf_seal_outer_header(const struct sxf_header *h, EVP_PKEY *recipient,
    struct sxf_header *outer, struct sp_error *err)
{
	memset(outer, 0, sizeof(*outer));
	memcpy(outer->kind, h->kind, sizeof(outer->kind));
	memcpy(outer->from, h->from, sizeof(outer->from));
	memcpy(outer->to, h->to, sizeof(outer->to));
	outer->format = h->format;
	outer->flow = h->flow;
	outer->link = h->link;
	memcpy(outer->created, h->created, sizeof(outer->created));
	strcpy(outer->extra_key[0], "seal");
	strcpy(outer->extra_value[0], SEAL_SCHEME);
	strcpy(outer->extra_key[1], "sealed_to");
	outer->nextra = 2;
	/* An outbox decides on it without opening the file (it cannot). */
	if (sxf_header_extra(h, "requests") != NULL) {
		strcpy(outer->extra_key[2], "requests");
		strcpy(outer->extra_value[2], sxf_header_extra(h, "requests"));
		outer->nextra = 3;
	}
	return seal_key_fingerprint(recipient, outer->extra_value[1], err);
}

/* The sealed member as a byte stream of plaintext, pulled by the inner
 * decompressor. */
struct opened {
	struct archive *outer;
	EVP_MD_CTX *hash;
	uint64_t got, size;
	struct seal_opener *opener;
	size_t pt_pos, pt_len;
	int failed;
	struct sp_error err;	/* why the stream failed */
	unsigned char ct[SEAL_CHUNK + SEAL_TAG];
	unsigned char pt[SEAL_CHUNK];
};

/* Reads up to len bytes of the member; short only at its end. */
static ssize_t
outer_read(struct opened *o, unsigned char *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		la_ssize_t n = archive_read_data(o->outer, buf + have,
		    len - have);
		if (n < 0) {
			o->failed = 1;
			refuse(&o->err, "truncated or corrupt tar: %s",
			    archive_error_string(o->outer) ?
			    archive_error_string(o->outer) : "read error");
			return -1;
		}
		if (n == 0)
			break;
		EVP_DigestUpdate(o->hash, buf + have, (size_t)n);
		have += (size_t)n;
		o->got += (uint64_t)n;
	}
	return (ssize_t)have;
}

static ssize_t
fail(struct opened *o)
{
	o->failed = 1;
	errno = EINVAL;
	return -1;
}

static ssize_t
opened_input(void *ctx, void *buf, size_t len)
{
	struct opened *o = ctx;
	ssize_t n;

	while (o->pt_pos == o->pt_len) {
		if (o->failed)
			return fail(o);
		if (seal_opener_ended(o->opener)) {
			if ((n = outer_read(o, o->ct, 1)) < 0)
				return fail(o);
			if (n > 0) {
				refuse(&o->err, "sealed data after the last "
				    "chunk");
				return fail(o);
			}
			return 0;
		}
		if ((n = outer_read(o, o->ct, sizeof(o->ct))) < 0)
			return fail(o);
		if (n == 0) {
			refuse(&o->err, "sealed stream truncated: its last "
			    "chunk is missing");
			return fail(o);
		}
		n = seal_opener_chunk(o->opener, o->ct, (size_t)n, o->pt,
		    &o->err);
		if (n < 0)
			return fail(o);
		o->pt_pos = 0;
		o->pt_len = (size_t)n;
	}
	if (len > o->pt_len - o->pt_pos)
		len = o->pt_len - o->pt_pos;
	memcpy(buf, o->pt + o->pt_pos, len);
	o->pt_pos += len;
	return (ssize_t)len;
}

struct inner {
	struct opened *o;
	struct sxf_source *src;
	struct archive *a;
	const struct sxf_limits *limits;
	const struct sxf_read_ops *ops;
	struct sxf_read_result *result;
	char (*names)[SXF_NAME_MAX + 1];
	size_t count;
	uint64_t total;
};

/* The failure of the inner archive, the deepest cause first. */
static int
inner_problem(struct inner *in, struct sp_error *err)
{
	const char *msg;

	if (in->o->failed) {
		*err = in->o->err;
		return -1;
	}
	if (sxf_source_failed(in->src))
		return sxf_source_error(in->src, err);
	msg = archive_error_string(in->a);
	return refuse(err, "sealed member: corrupt tar: %s",
	    msg ? msg : "unknown error");
}

static int
read_inner_header(struct inner *in, uint64_t size, struct sp_error *err)
{
	const struct sxf_header *outer = &in->result->header;
	struct sxf_header h;
	char *buf;
	size_t got = 0;
	int rc;

	if (size > SXF_META_MAX)
		return refuse(err, "sealed HEADER larger than %d bytes",
		    SXF_META_MAX);
	if ((buf = malloc((size_t)size + 1)) == NULL)
		return sp_error_set(err, "out of memory");
	while (got < size) {
		la_ssize_t n = archive_read_data(in->a, buf + got,
		    (size_t)size - got);
		if (n <= 0) {
			free(buf);
			return n < 0 ? inner_problem(in, err) :
			    refuse(err, "sealed HEADER truncated");
		}
		got += (size_t)n;
	}
	rc = sxf_header_parse(buf, (size_t)size, &h, err);
	free(buf);
	if (rc != 0)
		return sp_error_prefix(err, "sealed");
	if (h.format != outer->format || strcmp(h.kind, outer->kind) ||
	    strcmp(h.from, outer->from) ||
	    strcmp(h.to, outer->to) || h.flow != outer->flow ||
	    h.link != outer->link || strcmp(h.created, outer->created))
		return refuse(err, "the sealed HEADER differs from the outer "
		    "one");
	in->result->header = h;
	if (in->ops->check_header != NULL && in->ops->check_header(
	    in->ops->key_ctx, &h, 1, err) != 0)
		return -1;
	if (in->ops->on_header != NULL &&
	    in->ops->on_header(in->ops->ctx, &h, err) != 0)
		return -1;
	return 0;
}

static int
check_member(struct inner *in, const char *name, uint64_t size,
    struct sp_error *err)
{
	void *grown;

	if (name == NULL || !sxf_member_name_valid(name))
		return refuse(err, "sealed member with a bad name \"%.100s\"",
		    name ? name : "");
	for (size_t i = 0; i < in->count; i++)
		if (strcmp(in->names[i], name) == 0)
			return refuse(err, "sealed member %s duplicated", name);
	if (in->count >= in->limits->max_members)
		return refuse(err, "more than %zu payload members (limit)",
		    in->limits->max_members);
	if (size > in->limits->max_member)
		return refuse(err, "member %s is %llu bytes, over the limit "
		    "of %llu", name, (unsigned long long)size,
		    (unsigned long long)in->limits->max_member);
	if ((grown = realloc(in->names, (in->count + 1) *
	    sizeof(*in->names))) == NULL)
		return sp_error_set(err, "out of memory");
	in->names = grown;
	snprintf(in->names[in->count++], SXF_NAME_MAX + 1, "%s", name);
	return 0;
}

static int
read_inner_member(struct inner *in, const char *name, uint64_t size,
    struct sp_error *err)
{
	const struct sxf_read_ops *ops = in->ops;
	char buf[SEAL_CHUNK];
	uint64_t got = 0;

	if (check_member(in, name, size, err) != 0)
		return -1;
	if (ops->on_member_begin != NULL &&
	    ops->on_member_begin(ops->ctx, name, size, err) != 0)
		return -1;
	for (;;) {
		la_ssize_t n = archive_read_data(in->a, buf, sizeof(buf));
		if (n < 0)
			return inner_problem(in, err);
		if (n == 0)
			break;
		got += (uint64_t)n;
		if (ops->on_member_data != NULL &&
		    ops->on_member_data(ops->ctx, buf, (size_t)n, err) != 0)
			return -1;
	}
	if (got != size)
		return refuse(err, "truncated sealed member %s", name);
	in->result->members++;
	in->result->payload_bytes += size;
	if (ops->on_member_end != NULL &&
	    ops->on_member_end(ops->ctx, name, err) != 0)
		return -1;
	return 0;
}

static int
read_inner(struct inner *in, struct sp_error *err)
{
	struct archive_entry *e;
	size_t entries = 0;

	for (;;) {
		const char *name;
		uint64_t size;
		int r = archive_read_next_header(in->a, &e);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return inner_problem(in, err);
		name = archive_entry_pathname(e);
		if (archive_entry_filetype(e) != AE_IFREG ||
		    !archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
			return refuse(err, "sealed member %.100s is not a "
			    "regular file with a size", name ? name : "");
		size = (uint64_t)archive_entry_size(e);
		in->total += size;
		if (in->total > in->limits->max_total)
			return refuse(err, "decompressed size over the limit "
			    "of %llu bytes",
			    (unsigned long long)in->limits->max_total);
		if (entries == 0) {
			if (name == NULL || strcmp(name, "HEADER") != 0)
				return refuse(err, "sealed member HEADER "
				    "missing");
			if (read_inner_header(in, size, err) != 0)
				return -1;
		} else if (read_inner_member(in, name, size, err) != 0)
			return -1;
		entries++;
	}
	if (entries == 0)
		return refuse(err, "sealed member HEADER missing");
	/* The compressed stream must end, and the sealed stream with it. */
	if (sxf_source_finish(in->src, err) != 0)
		return in->o->failed ? inner_problem(in, err) : -1;
	return 0;
}

/* The ephemeral key, then the opener; refuses a key not sealed to. */
static int
start_opener(struct opened *o, EVP_PKEY *key, const struct sxf_header *h,
    struct sp_error *err)
{
	unsigned char eph[SEAL_PUB];
	char fp[65], info[128];
	const char *to = sxf_header_extra(h, "sealed_to");
	size_t info_len = sxf_seal_info(h, info, sizeof(info));
	ssize_t n;

	if (seal_key_fingerprint(key, fp, err) != 0)
		return -1;
	if (to == NULL || strcmp(to, fp) != 0)
		return refuse(err, "sealed to another key (%.16s...), not this "
		    "site's sealing key (%.16s...): sealed to a replaced key, "
		    "or for another site", to ? to : "none", fp);
	if ((n = outer_read(o, eph, sizeof(eph))) < 0) {
		*err = o->err;
		return -1;
	}
	if (n != SEAL_PUB)
		return refuse(err, "sealed member truncated");
	o->opener = seal_opener_new(key, eph, info, info_len, err);
	return o->opener == NULL ? -1 : 0;
}

int
sxf_open_sealed(struct archive *a, EVP_MD_CTX *hash, uint64_t size,
    EVP_PKEY *key, const struct sxf_limits *limits,
    const struct sxf_read_ops *ops, struct sxf_read_result *result,
    struct sp_error *err)
{
	struct opened *o = calloc(1, sizeof(*o));
	struct inner in = { o, NULL, NULL, limits, ops, result, NULL, 0, 0 };
	int rc = -1;

	if (o == NULL)
		return sp_error_set(err, "out of memory");
	o->outer = a;
	o->hash = hash;
	o->size = size;
	if (start_opener(o, key, &result->header, err) != 0)
		goto cleanup;
	in.src = sxf_source_open_input(opened_input, o, -1,
	    limits->max_total, err);
	if (in.src == NULL) {
		if (o->failed)
			*err = o->err;
		goto cleanup;
	}
	if ((in.a = archive_read_new()) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	archive_read_support_format_tar(in.a);
	if (archive_read_open(in.a, in.src, NULL, sxf_source_archive_read,
	    NULL) != ARCHIVE_OK) {
		inner_problem(&in, err);
		goto cleanup;
	}
	if (read_inner(&in, err) != 0)
		goto cleanup;
	if (o->got != size) {
		refuse(err, "truncated input in member %s", SXF_SEALED_MEMBER);
		goto cleanup;
	}
	result->sealed = 1;
	rc = 0;
cleanup:
	if (in.a != NULL)
		archive_read_free(in.a);
	sxf_source_free(in.src);
	seal_opener_free(o->opener);
	OPENSSL_cleanse(o->pt, sizeof(o->pt));
	free(o);
	free(in.names);
	return rc;
}
