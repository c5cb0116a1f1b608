/* sxf_reader.c: libarchive-based streaming reader with strict checks. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/hexenc.h"
#include "sxf/compress.h"
#include "sxf/keys.h"
#include "sxf/seal.h"
#include "sxf/sxf_open.h"
#include "sxf/sxf_reader.h"

/* The file itself is wrong: not an sxf, forged, truncated, over a limit. */
#define refuse(err, ...) sp_error_setk((err), SP_ERR_REFUSED, 0, __VA_ARGS__)

const struct sxf_limits sxf_default_limits = {
	.max_member = UINT64_C(4) << 30,
	.max_total = UINT64_C(16) << 30,
	.max_members = 10000,
};

#define BLOCK 65536

struct reader_state {
	struct archive *a;
	struct sxf_source *src;
	const struct sxf_limits *limits;
	const struct sxf_read_ops *ops;
	struct sxf_read_result *result;
	uint64_t total;
	size_t entries;
	EVP_MD_CTX *hash;
	char *meta[2];		/* HEADER and MANIFEST bytes, owned */
	size_t meta_len[2];
	unsigned char sig[SIGNATURE_LEN];
	struct sxf_manifest_entry *manifest;
	size_t manifest_count;
	size_t next_payload;	/* index into manifest of the next member */
	int open_sealed;	/* sealed, and the key to open it is at hand */
};

static int
archive_problem(struct reader_state *st, struct sp_error *err)
{
	const char *msg = archive_error_string(st->a);

	if (sxf_source_failed(st->src))
		return sxf_source_error(st->src, err);
	if (msg == NULL)
		msg = "unknown error";
	if (st->entries == 0 && strstr(msg, "Unrecognized archive format"))
		return refuse(err, "not a tar archive");
	return refuse(err, "truncated or corrupt tar: %s", msg);
}

static int
name_is_safe(const char *name, struct sp_error *err)
{
	if (name == NULL || name[0] == '\0')
		return refuse(err, "member with an empty name");
	if (strchr(name, '/') != NULL)
		return refuse(err, "member name \"%.100s\" contains '/'",
		    name);
	if (strstr(name, "..") != NULL)
		return refuse(err, "member name \"%.100s\" contains '..'",
		    name);
	return 0;
}

/* Reads a fixed member (HEADER, MANIFEST, SIGNATURE) fully into memory. */
static int
read_small(struct reader_state *st, uint64_t size, char **out,
    struct sp_error *err)
{
	char *buf;
	size_t got = 0;

	buf = malloc((size_t)size + 1);
	if (buf == NULL)
		return sp_error_set(err, "out of memory");
	while (got < size) {
		la_ssize_t n = archive_read_data(st->a, buf + got,
		    (size_t)size - got);
		if (n < 0) {
			free(buf);
			return archive_problem(st, err);
		}
		if (n == 0) {
			free(buf);
			return refuse(err, "truncated input");
		}
		got += (size_t)n;
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

static int
verify_signature(struct reader_state *st, struct sp_error *err)
{
	const struct sxf_read_ops *ops = st->ops;
	struct sxf_header *h = &st->result->header;
	EVP_PKEY *key;
	char *msg;
	int ok;

	if (ops->signer_key != NULL) {
		key = ops->signer_key(ops->key_ctx, h->from, err);
		if (key == NULL)
			return -1;
		msg = malloc(st->meta_len[0] + st->meta_len[1] + 1);
		if (msg == NULL) {
			EVP_PKEY_free(key);
			return sp_error_set(err, "out of memory");
		}
		memcpy(msg, st->meta[0], st->meta_len[0]);
		memcpy(msg + st->meta_len[0], st->meta[1], st->meta_len[1]);
		ok = key_verify(key, msg, st->meta_len[0] + st->meta_len[1],
		    st->sig, SIGNATURE_LEN);
		free(msg);
		EVP_PKEY_free(key);
		if (!ok)
			return refuse(err, "bad signature (not signed "
			    "by %s's registered key, or altered)", h->from);
		st->result->signature_checked = 1;
	}
	if (ops->expect_to != NULL && strcmp(ops->expect_to, h->to) != 0)
		return refuse(err, "addressed to %s, not to this site (%s)",
		    h->to, ops->expect_to);
	/* A sealed file's header goes out once opened (sxf_open.c). */
	if (st->open_sealed)
		return 0;
	if (ops->check_header != NULL && ops->check_header(ops->key_ctx, h,
	    st->result->sealed, err) != 0)
		return -1;
	if (ops->on_header != NULL && ops->on_header(ops->ctx, h, err) != 0)
		return -1;
	return 0;
}

/* A sealed file names its scheme and has exactly its one member. */
static int
check_sealed(struct reader_state *st, int manifest_read,
    struct sp_error *err)
{
	const char *seal = sxf_header_extra(&st->result->header, "seal");

	if (seal == NULL)
		return 0;
	if (!manifest_read) {
		if (strcmp(seal, SEAL_SCHEME) != 0)
			return refuse(err, "unknown seal scheme \"%.60s\"",
			    seal);
		st->result->sealed = 1;
		st->open_sealed = st->ops->sealing_key != NULL;
		return 0;
	}
	if (st->manifest_count != 1 ||
	    strcmp(st->manifest[0].name, SXF_SEALED_MEMBER) != 0)
		return refuse(err, "a sealed file has exactly one member, %s",
		    SXF_SEALED_MEMBER);
	return 0;
}

static const char *const fixed_names[3] = { "HEADER", "MANIFEST", "SIGNATURE" };

static int
read_fixed_member(struct reader_state *st, const char *name, uint64_t size,
    struct sp_error *err)
{
	size_t idx = st->entries;
	char *buf = NULL;

	for (size_t i = 0; i < idx; i++)
		if (strcmp(name, fixed_names[i]) == 0)
			return refuse(err, "member %s duplicated", name);
	/* A stream cannot tell "missing" from "later": say both. */
	if (strcmp(name, fixed_names[idx]) != 0)
		return refuse(err, "member %s missing or out of order "
		    "(found %.100s in its place)", fixed_names[idx], name);
	if (idx == 2) {
		if (size != SIGNATURE_LEN)
			return refuse(err, "SIGNATURE is %llu bytes, not %d",
			    (unsigned long long)size, SIGNATURE_LEN);
	} else if (size > SXF_META_MAX)
		return refuse(err, "%s larger than %d bytes (limit)", name,
		    SXF_META_MAX);
	if (read_small(st, size, &buf, err) != 0)
		return -1;
	if (idx == 2) {
		memcpy(st->sig, buf, SIGNATURE_LEN);
		free(buf);
		return verify_signature(st, err);
	}
	st->meta[idx] = buf;
	st->meta_len[idx] = (size_t)size;
	if (idx == 0) {
		if (sxf_header_parse(buf, (size_t)size, &st->result->header,
		    err) != 0)
			return -1;
		st->result->header_ok = 1;
		return check_sealed(st, 0, err);
	}
	if (sxf_manifest_parse(buf, (size_t)size, &st->manifest,
	    &st->manifest_count, st->limits->max_members, err) != 0)
		return -1;
	return check_sealed(st, 1, err);
}

static int
open_sealed(struct reader_state *st, uint64_t size, struct sp_error *err)
{
	EVP_PKEY *key = st->ops->sealing_key(st->ops->key_ctx, err);
	int rc;

	if (key == NULL)
		return -1;
	rc = sxf_open_sealed(st->a, st->hash, size, key, st->limits, st->ops,
	    st->result, err);
	EVP_PKEY_free(key);
	return rc;
}

static int
read_payload_member(struct reader_state *st, const char *name, uint64_t size,
    struct sp_error *err)
{
	const struct sxf_read_ops *ops = st->ops;
	struct sxf_manifest_entry *m = NULL;
	unsigned char digest[32];
	char buf[BLOCK];
	uint64_t got = 0;
	size_t i;

	for (i = 0; i < 3; i++)
		if (strcmp(name, fixed_names[i]) == 0)
			return refuse(err, "member %s duplicated", name);
	for (i = 0; i < st->manifest_count; i++)
		if (strcmp(st->manifest[i].name, name) == 0)
			break;
	if (i == st->manifest_count)
		return refuse(err, "unknown member %.100s (not in "
		    "MANIFEST)", name);
	if (i < st->next_payload)
		return refuse(err, "member %s duplicated", name);
	if (i > st->next_payload)
		return refuse(err, "member %s out of order (expected %s)",
		    name, st->manifest[st->next_payload].name);
	m = &st->manifest[i];
	if (size > st->limits->max_member)
		return refuse(err, "member %s is %llu bytes, over the "
		    "limit of %llu", name, (unsigned long long)size,
		    (unsigned long long)st->limits->max_member);
	EVP_DigestInit_ex(st->hash, EVP_sha256(), NULL);
	if (st->open_sealed) {
		if (open_sealed(st, size, err) != 0)
			return -1;
		got = size;
	} else if (ops->on_member_begin != NULL &&
	    ops->on_member_begin(ops->ctx, name, size, err) != 0)
		return -1;
	while (!st->open_sealed) {
		la_ssize_t n = archive_read_data(st->a, buf, sizeof(buf));
		if (n < 0)
			return archive_problem(st, err);
		if (n == 0)
			break;
		got += (uint64_t)n;
		EVP_DigestUpdate(st->hash, buf, (size_t)n);
		if (ops->on_member_data != NULL &&
		    ops->on_member_data(ops->ctx, buf, (size_t)n, err) != 0)
			return -1;
	}
	if (got != size)
		return refuse(err, "truncated input in member %s", name);
	EVP_DigestFinal_ex(st->hash, digest, NULL);
	if (memcmp(digest, m->sha256, 32) != 0)
		return refuse(err, "hash mismatch in member %s", name);
	st->next_payload++;
	if (st->open_sealed)
		return 0;
	st->result->members++;
	st->result->payload_bytes += size;
	if (ops->on_member_end != NULL &&
	    ops->on_member_end(ops->ctx, name, err) != 0)
		return -1;
	return 0;
}

static int
read_entries(struct reader_state *st, struct sp_error *err)
{
	struct archive_entry *e;

	for (;;) {
		const char *name;
		uint64_t size;
		int r = archive_read_next_header(st->a, &e);

		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return archive_problem(st, err);
		name = archive_entry_pathname(e);
		if (name_is_safe(name, err) != 0)
			return -1;
		if (archive_entry_filetype(e) != AE_IFREG)
			return refuse(err, "member %.100s is not a regular "
			    "file", name);
		if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0)
			return refuse(err, "member %.100s has no size", name);
		size = (uint64_t)archive_entry_size(e);
		if (st->entries >= 3 + st->limits->max_members)
			return refuse(err, "more than %zu payload members "
			    "(limit)", st->limits->max_members);
		st->total += size;
		if (st->total > st->limits->max_total)
			return refuse(err, "decompressed size over the "
			    "limit of %llu bytes",
			    (unsigned long long)st->limits->max_total);
		if (st->entries < 3) {
			if (read_fixed_member(st, name, size, err) != 0)
				return -1;
		} else if (read_payload_member(st, name, size, err) != 0)
			return -1;
		st->entries++;
	}
	if (st->entries < 3)
		return refuse(err, st->entries == 0 ? "empty archive "
		    "(member HEADER missing)" : "member %s missing",
		    fixed_names[st->entries]);
	if (st->next_payload < st->manifest_count)
		return refuse(err, "member %s missing",
		    st->manifest[st->next_payload].name);
	return 0;
}

int
sxf_read_fd(int fd, const struct sxf_limits *limits,
    const struct sxf_read_ops *ops, struct sxf_read_result *result,
    struct sp_error *err)
{
	struct reader_state st;
	int rc = -1;

	memset(&st, 0, sizeof(st));
	memset(result, 0, sizeof(*result));
	st.limits = limits ? limits : &sxf_default_limits;
	st.ops = ops;
	st.result = result;
	st.hash = EVP_MD_CTX_new();
	if (st.hash == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if ((st.src = sxf_source_open(fd, st.limits->max_total, err)) == NULL)
		goto cleanup;
	st.a = archive_read_new();
	if (st.a == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	archive_read_support_format_tar(st.a);
	if (archive_read_open(st.a, st.src, NULL, sxf_source_archive_read, NULL)
	    != ARCHIVE_OK) {
		archive_problem(&st, err);
		goto cleanup;
	}
	if (read_entries(&st, err) != 0)
		goto cleanup;
	rc = sxf_source_finish(st.src, err);
	if (rc == 0)
		sxf_source_digest(st.src, result->file_sha256);
cleanup:
	if (st.a != NULL)
		archive_read_free(st.a);
	sxf_source_free(st.src);
	EVP_MD_CTX_free(st.hash);
	free(st.meta[0]);
	free(st.meta[1]);
	free(st.manifest);
	return rc;
}
