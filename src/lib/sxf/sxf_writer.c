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
#include "sxf/sxf_writer.h"

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
	int rc = -1;

	if (w->open)
		return sp_error_set(err, "a member is still open");
	memset(&tm, 0, sizeof(tm));
	if (strptime(h->created, "%Y-%m-%dT%H:%M:%SZ", &tm) != NULL)
		mtime = timegm(&tm);
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
	if (archive_write_add_filter_gzip(a) != ARCHIVE_OK ||
	    archive_write_set_filter_option(a, "gzip", "compression-level",
	    "1") != ARCHIVE_OK ||
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
	for (size_t i = 0; i < w->count; i++)
		if (write_spooled(a, e, &w->members[i], mtime, err) != 0)
			goto cleanup;
	if (archive_write_close(a) != ARCHIVE_OK) {
		archive_fail(a, err);
		goto cleanup;
	}
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
	free(w);
}
