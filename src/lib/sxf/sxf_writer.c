/* sxf_writer.c: spools payload members, then writes the signed archive. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/hexenc.h"
#include "sxf/keys.h"
#include "sxf/seal.h"
#include "sxf/sxf_open.h"
#include "sxf/sxf_writer.h"

#define SPOOL_BUFFER (256 * 1024)

struct spooled_member {
	char name[SXF_NAME_MAX + 1];
	FILE *spool;		/* owned; anonymous temporary file */
	uint64_t size;
	unsigned char sha256[32];
};

struct sxf_writer {
	struct spooled_member *members;
	size_t count, cap;
	EVP_MD_CTX *hash;	/* hash of the member being written */
	int open;		/* a member is between begin and end */
	uint64_t payload_bytes;
	enum sxf_compression compression;
	EVP_PKEY *seal_to;	/* owned: the recipient's X25519 key */
	EVP_PKEY *ephemeral;	/* owned: a test vector's, else NULL */
};

struct sxf_writer *
sxf_writer_new(struct sp_error *err)
{
	struct sxf_writer *w = calloc(1, sizeof(*w));

	if (w == NULL || (w->hash = EVP_MD_CTX_new()) == NULL) {
		free(w);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	return w;
}

int
sxf_writer_member_begin(struct sxf_writer *w, const char *name,
    struct sp_error *err)
{
	struct spooled_member *m;

	if (w->open)
		return sp_error_set(err, "member %s begun inside another", name);
	if (!sxf_member_name_valid(name))
		return sp_error_set(err, "bad member name \"%s\"", name);
	for (size_t i = 0; i < w->count; i++)
		if (strcmp(w->members[i].name, name) == 0)
			return sp_error_set(err, "member %s written twice", name);
	if (w->count == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 4;
		struct spooled_member *nm = realloc(w->members, cap * sizeof(*nm));
		if (nm == NULL)
			return sp_error_set(err, "out of memory");
		w->members = nm;
		w->cap = cap;
	}
	m = &w->members[w->count];
	memset(m, 0, sizeof(*m));
	strcpy(m->name, name);
	m->spool = tmpfile();
	if (m->spool == NULL)
		return sp_error_io(err, "cannot create a spool file: %s",
		    strerror(errno));
	/* Records come a few hundred bytes at a time: a larger buffer
	 * than stdio's page makes far fewer writes. A refusal only costs
	 * speed. */
	(void)setvbuf(m->spool, NULL, _IOFBF, SPOOL_BUFFER);
	if (EVP_DigestInit_ex(w->hash, EVP_sha256(), NULL) != 1) {
		fclose(m->spool);
		return sp_error_set(err, "cannot start SHA-256");
	}
	w->count++;
	w->open = 1;
	return 0;
}

int
sxf_writer_member_write(struct sxf_writer *w, const void *buf, size_t len,
    struct sp_error *err)
{
	struct spooled_member *m = &w->members[w->count - 1];

	if (!w->open)
		return sp_error_set(err, "write outside a member");
	if (len == 0)
		return 0;
	if (fwrite(buf, 1, len, m->spool) != len)
		return sp_error_io(err, "spool file: %s", strerror(errno));
	EVP_DigestUpdate(w->hash, buf, len);
	m->size += len;
	w->payload_bytes += len;
	return 0;
}

int
sxf_writer_member_end(struct sxf_writer *w, struct sp_error *err)
{
	struct spooled_member *m = &w->members[w->count - 1];

	if (!w->open)
		return sp_error_set(err, "end outside a member");
	w->open = 0;
	EVP_DigestFinal_ex(w->hash, m->sha256, NULL);
	if (fflush(m->spool) != 0)
		return sp_error_io(err, "spool file: %s", strerror(errno));
	return 0;
}

void
sxf_writer_set_compression(struct sxf_writer *w, enum sxf_compression c)
{
	w->compression = c;
}

int
sxf_writer_seal_to(struct sxf_writer *w, EVP_PKEY *recipient,
    EVP_PKEY *ephemeral, struct sp_error *err)
{
	if (EVP_PKEY_up_ref(recipient) != 1 ||
	    (ephemeral != NULL && EVP_PKEY_up_ref(ephemeral) != 1))
		return sp_error_set(err, "cannot keep the sealing key");
	EVP_PKEY_free(w->seal_to);
	EVP_PKEY_free(w->ephemeral);
	w->seal_to = recipient;
	w->ephemeral = ephemeral;
	return 0;
}

uint64_t
sxf_writer_payload_bytes(const struct sxf_writer *w)
{
	return w->payload_bytes;
}

static char *
manifest_format(const struct sxf_writer *w, size_t *len)
{
	size_t cap = w->count * (64 + 2 + SXF_NAME_MAX + 1) + 1, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	buf[0] = '\0';
	for (size_t i = 0; i < w->count; i++) {
		char hex[65];
		hex_encode(w->members[i].sha256, 32, hex);
		n += (size_t)snprintf(buf + n, cap - n, "%s  %s\n", hex,
		    w->members[i].name);
	}
	*len = n;
	return buf;
}

static int
archive_fail(struct archive *a, struct sp_error *err)
{
	return sp_error_setk(err, SP_ERR_IO, archive_errno(a),
	    "cannot write archive: %s", archive_error_string(a) ?
	    archive_error_string(a) : "unknown error");
}

static int
write_entry_header(struct archive *a, struct archive_entry *e,
    const char *name, uint64_t size, time_t mtime, struct sp_error *err)
{
	archive_entry_clear(e);
	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_mtime(e, mtime, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		return archive_fail(a, err);
	return 0;
}

static int
write_all(struct archive *a, const void *buf, size_t len, struct sp_error *err)
{
	const char *p = buf;

	while (len > 0) {
		la_ssize_t n = archive_write_data(a, p, len);
		if (n <= 0)
			return archive_fail(a, err);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
write_small(struct archive *a, struct archive_entry *e, const char *name,
    const void *buf, size_t len, time_t mtime, struct sp_error *err)
{
	if (write_entry_header(a, e, name, len, mtime, err) != 0)
		return -1;
	return write_all(a, buf, len, err);
}

static int
write_spooled(struct archive *a, struct archive_entry *e,
    struct spooled_member *m, time_t mtime, struct sp_error *err)
{
	char buf[65536];
	size_t n;

	if (write_entry_header(a, e, m->name, m->size, mtime, err) != 0)
		return -1;
	rewind(m->spool);
	while ((n = fread(buf, 1, sizeof(buf), m->spool)) > 0)
		if (write_all(a, buf, n, err) != 0)
			return -1;
	if (ferror(m->spool))
		return sp_error_set(err, "spool file: read error");
	return 0;
}

/* The payload members, then the archive's end. */
static int
write_members(struct archive *a, struct archive_entry *e,
    struct sxf_writer *w, time_t mtime, struct sp_error *err)
{
	for (size_t i = 0; i < w->count; i++)
		if (write_spooled(a, e, &w->members[i], mtime, err) != 0)
			return -1;
	if (archive_write_close(a) != ARCHIVE_OK)
		return archive_fail(a, err);
	return 0;
}

/* Output through libarchive's callbacks so the file's bytes can be hashed
 * on their way to the descriptor. */
struct hashed_fd {
	int fd;
	EVP_MD_CTX *hash;
};

static la_ssize_t
hashed_fd_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct hashed_fd *h = data;
	const char *p = buf;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(h->fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			archive_set_error(a, errno, "write: %s", strerror(errno));
			return -1;
		}
		p += n;
		left -= (size_t)n;
	}
	EVP_DigestUpdate(h->hash, buf, len);
	return (la_ssize_t)len;
}

/* The compressed inner archive of a sealed file, on its way through the
 * sealed stream into the spool of the member "sealed". */
struct sealed_out {
	struct seal_writer *sw;
	struct spooled_member *m;
	EVP_MD_CTX *hash;
	struct sp_error err;
};

static int
sealed_spool_write(void *ctx, const void *buf, size_t len,
    struct sp_error *err)
{
	struct sealed_out *o = ctx;

	if (fwrite(buf, 1, len, o->m->spool) != len)
		return sp_error_io(err, "spool file: %s", strerror(errno));
	EVP_DigestUpdate(o->hash, buf, len);
	o->m->size += len;
	return 0;
}

static la_ssize_t
inner_write(struct archive *a, void *data, const void *buf, size_t len)
{
	struct sealed_out *o = data;

	if (seal_writer_write(o->sw, buf, len, &o->err) != 0) {
		archive_set_error(a, EIO, "%s", o->err.msg);
		return -1;
	}
	return (la_ssize_t)len;
}

static int
set_compression(struct archive *a, enum sxf_compression c, const char *level)
{
	if (c == SXF_ZSTD)
		return archive_write_add_filter_zstd(a) != ARCHIVE_OK ||
		    archive_write_set_filter_option(a, "zstd",
		    "compression-level", level) != ARCHIVE_OK ? -1 : 0;
	return archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "compression-level",
	    level) != ARCHIVE_OK ? -1 : 0;
}

static int write_small(struct archive *a, struct archive_entry *e,
    const char *name, const void *buf, size_t len, time_t mtime,
    struct sp_error *err);
static int write_members(struct archive *a, struct archive_entry *e,
    struct sxf_writer *w, time_t mtime, struct sp_error *err);

/* Writes the inner archive (HEADER h, then the members) sealed into m. */
static int
seal_into(struct sxf_writer *w, const struct sxf_header *h,
    struct sealed_out *o, time_t mtime, struct sp_error *err)
{
	char info[128], *header = NULL;
	size_t info_len = sxf_seal_info(h, info, sizeof(info)), hlen;
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (a == NULL || e == NULL ||
	    (header = sxf_header_format(h, &hlen, err)) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	o->sw = seal_writer_new(w->seal_to, w->ephemeral, info, info_len,
	    sealed_spool_write, o, err);
	if (o->sw == NULL)
		goto cleanup;
	if (set_compression(a, w->compression, w->compression == SXF_ZSTD ?
	    "3" : "1") != 0 || archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, o, NULL, inner_write, NULL) != ARCHIVE_OK) {
		archive_fail(a, err);
		goto cleanup;
	}
	if (write_small(a, e, "HEADER", header, hlen, mtime, err) != 0)
		goto cleanup;
	if (write_members(a, e, w, mtime, err) != 0)
		goto cleanup;
	rc = seal_writer_finish(o->sw, err);
cleanup:
	if (a != NULL)
		archive_write_free(a);
	archive_entry_free(e);
	free(header);
	seal_writer_free(o->sw);
	return rc;
}

/* Replaces the members with the one sealed member and h with the outer
 * header (routing and seal fields only). */
static int
seal_members(struct sxf_writer *w, const struct sxf_header *h,
    struct sxf_header *outer, time_t mtime, struct sp_error *err)
{
	struct spooled_member sealed;
	struct sealed_out o;

	memset(&sealed, 0, sizeof(sealed));
	memset(&o, 0, sizeof(o));
	strcpy(sealed.name, SXF_SEALED_MEMBER);
	o.m = &sealed;
	if (sxf_seal_outer_header(h, w->seal_to, outer, err) != 0)
		return -1;
	if ((sealed.spool = tmpfile()) == NULL)
		return sp_error_io(err, "cannot create a spool file: %s",
		    strerror(errno));
	if ((o.hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(o.hash, EVP_sha256(), NULL) != 1 ||
	    seal_into(w, h, &o, mtime, err) != 0 ||
	    fflush(sealed.spool) != 0) {
		EVP_MD_CTX_free(o.hash);
		fclose(sealed.spool);
		return -1;
	}
	EVP_DigestFinal_ex(o.hash, sealed.sha256, NULL);
	EVP_MD_CTX_free(o.hash);
	for (size_t i = 0; i < w->count; i++)
		fclose(w->members[i].spool);
	if (w->cap == 0) {
		struct spooled_member *one = malloc(sizeof(*one));
		if (one == NULL) {
			fclose(sealed.spool);
			w->count = 0;
			return sp_error_set(err, "out of memory");
		}
		w->members = one;
		w->cap = 1;
	}
	w->members[0] = sealed;
	w->count = 1;
	return 0;
}

int
sxf_writer_finish(struct sxf_writer *w, const struct sxf_header *h,
    EVP_PKEY *key, int fd, char *file_sha256, struct sp_error *err)
{
	struct hashed_fd out = { fd, NULL };
	unsigned char digest[32];
	struct archive *a = NULL;
	struct archive_entry *e = NULL;
	char *header = NULL, *manifest = NULL, *signed_bytes = NULL;
	size_t hlen, mlen;
	unsigned char sig[SIGNATURE_LEN];
	struct tm tm;
	time_t mtime = time(NULL);
	struct sxf_header outer;
	int rc = -1;

	if (w->open)
		return sp_error_set(err, "a member is still open");
	memset(&tm, 0, sizeof(tm));
	if (strptime(h->created, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
		mtime = timegm(&tm);
	if (w->seal_to != NULL) {
		if (seal_members(w, h, &outer, mtime, err) != 0)
			return -1;
		h = &outer;
	}
	header = sxf_header_format(h, &hlen, err);
	manifest = manifest_format(w, &mlen);
	if (header == NULL || manifest == NULL ||
	    (signed_bytes = malloc(hlen + mlen + 1)) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	memcpy(signed_bytes, header, hlen);
	memcpy(signed_bytes + hlen, manifest, mlen);
	if (key_sign(key, signed_bytes, hlen + mlen, sig, err) != 0)
		goto cleanup;

	a = archive_write_new();
	e = archive_entry_new();
	if (a == NULL || e == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	out.hash = EVP_MD_CTX_new();
	if (out.hash == NULL || EVP_DigestInit_ex(out.hash, EVP_sha256(), NULL)
	    != 1) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	/* Sealed bytes do not compress: the outer layer only stores. */
	if (set_compression(a, w->compression, w->seal_to == NULL ?
	    (w->compression == SXF_ZSTD ? "3" : "1") :
	    (w->compression == SXF_ZSTD ? "1" : "0")) != 0 ||
	    archive_write_set_format_pax(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    archive_write_open(a, &out, NULL, hashed_fd_write, NULL)
	    != ARCHIVE_OK) {
		archive_fail(a, err);
		goto cleanup;
	}
	if (write_small(a, e, "HEADER", header, hlen, mtime, err) != 0 ||
	    write_small(a, e, "MANIFEST", manifest, mlen, mtime, err) != 0 ||
	    write_small(a, e, "SIGNATURE", sig, sizeof(sig), mtime, err) != 0)
		goto cleanup;
	if (write_members(a, e, w, mtime, err) != 0)
		goto cleanup;
	EVP_DigestFinal_ex(out.hash, digest, NULL);
	if (file_sha256 != NULL)
		hex_encode(digest, sizeof(digest), file_sha256);
	rc = 0;
cleanup:
	EVP_MD_CTX_free(out.hash);
	if (a != NULL)
		archive_write_free(a);
	archive_entry_free(e);
	free(header);
	free(manifest);
	free(signed_bytes);
	return rc;
}

void
sxf_writer_free(struct sxf_writer *w)
{
	if (w == NULL)
		return;
	for (size_t i = 0; i < w->count; i++)
		if (w->members[i].spool != NULL)
			fclose(w->members[i].spool);
	free(w->members);
	EVP_MD_CTX_free(w->hash);
	EVP_PKEY_free(w->seal_to);
	EVP_PKEY_free(w->ephemeral);
	free(w);
}
