/* compress.c: gzip (zlib) and zstd (libzstd) sources for the reader. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "util/hexenc.h"
#include "sxf/compress.h"

#define BLOCK 65536

/* A zstd window over this is refused, so memory stays bounded whatever
 * the file asks for (syncpack writes far smaller ones). */
#define ZSTD_WINDOW_LOG_MAX 24

struct sxf_source {
	sxf_input_fn input;
	void *input_ctx;
	int fd;
	enum sxf_compression kind;
	z_stream z;
	int z_ready;
	ZSTD_DCtx *zstd;
	size_t in_pos, in_len;	/* unread input in in[] */
	int ended;		/* end of the compressed stream seen */
	int eof;		/* the fd has no more bytes */
	uint64_t out_total;	/* decompressed bytes so far */
	uint64_t max_total;
	EVP_MD_CTX *file_hash;	/* of the compressed bytes, as read */
	const char *problem;	/* why the stream failed, for messages */
	int problem_errno;	/* the errno of a read error, else 0 */
	unsigned char in[BLOCK];
	unsigned char out[BLOCK];
};

static const char *const names[] = { "gzip", "zstd" };

const char *
sxf_compression_name(enum sxf_compression c)
{
	return names[c == SXF_ZSTD];
}

int
sxf_compression_parse(const char *name, enum sxf_compression *c)
{
	if (strcmp(name, "gzip") == 0)
		*c = SXF_GZIP;
	else if (strcmp(name, "zstd") == 0)
		*c = SXF_ZSTD;
	else
		return -1;
	return 0;
}

/* Appends what fd gives to the unread input; 0 bytes sets eof. */
static int
fill(struct sxf_source *src)
{
	ssize_t n;

	if (src->in_pos > 0) {
		memmove(src->in, src->in + src->in_pos, src->in_len);
		src->in_pos = 0;
	}
	n = src->input(src->input_ctx, src->in + src->in_len,
	    sizeof(src->in) - src->in_len);
	if (n < 0) {
		src->problem = "read error";
		src->problem_errno = errno;
		return -1;
	}
	if (n == 0)
		src->eof = 1;
	else
		EVP_DigestUpdate(src->file_hash, src->in + src->in_len,
		    (size_t)n);
	src->in_len += (size_t)n;
	return 0;
}

int
sxf_source_failed(const struct sxf_source *src)
{
	return src->problem != NULL;
}

int
sxf_source_error(const struct sxf_source *src, struct sp_error *err)
{
	if (src->problem_errno != 0)
		return sp_error_setk(err, SP_ERR_IO, src->problem_errno,
		    "%s: %s", src->problem, strerror(src->problem_errno));
	return sp_error_setk(err, SP_ERR_REFUSED, 0, "%s",
	    src->problem ? src->problem : "compressed stream failed");
}

/* One step of the decompressor over the unread input; 1 at the end of
 * the stream, 0 to go on, -1 with problem set. */
static int
step(struct sxf_source *src, size_t *produced)
{
	size_t room = sizeof(src->out) - *produced;

	if (src->kind == SXF_GZIP) {
		int r;

		src->z.next_in = src->in + src->in_pos;
		src->z.avail_in = (uInt)src->in_len;
		src->z.next_out = src->out + *produced;
		src->z.avail_out = (uInt)room;
		r = inflate(&src->z, Z_NO_FLUSH);
		src->in_pos += src->in_len - src->z.avail_in;
		src->in_len = src->z.avail_in;
		*produced += room - src->z.avail_out;
		if (r == Z_STREAM_END)
			return 1;
		if (r == Z_OK || r == Z_BUF_ERROR)
			return 0;
		src->problem = r == Z_DATA_ERROR ? "corrupt gzip data" :
		    r == Z_MEM_ERROR ? "out of memory" : "gzip error";
		return -1;
	} else {
		ZSTD_inBuffer in = { src->in + src->in_pos, src->in_len, 0 };
		ZSTD_outBuffer out = { src->out + *produced, room, 0 };
		size_t r = ZSTD_decompressStream(src->zstd, &out, &in);

		src->in_pos += in.pos;
		src->in_len -= in.pos;
		*produced += out.pos;
		if (ZSTD_isError(r)) {
			src->problem = "corrupt zstd data";
			return -1;
		}
		return r == 0;
	}
}

ssize_t
sxf_source_read(struct sxf_source *src, const void **out)
{
	size_t produced = 0;

	*out = src->out;
	if (src->problem != NULL)
		return -1;
	while (produced == 0 && !src->ended) {
		int r;

		if (src->in_len == 0) {
			if (!src->eof && fill(src) != 0)
				return -1;
			if (src->in_len == 0) {
				src->problem = src->kind == SXF_GZIP ?
				    "truncated gzip stream" :
				    "truncated zstd stream";
				return -1;
			}
		}
		if ((r = step(src, &produced)) < 0)
			return -1;
		if (r == 1)
			src->ended = 1;
	}
	src->out_total += produced;
	if (src->out_total > src->max_total) {
		src->problem = "decompressed size over the limit";
		return -1;
	}
	return (ssize_t)produced;
}

int
sxf_source_finish(struct sxf_source *src, struct sp_error *err)
{
	const void *p;

	while (!src->ended)
		if (sxf_source_read(src, &p) < 0)
			return sxf_source_error(src, err);
	if (src->in_len == 0 && !src->eof && fill(src) != 0)
		return sxf_source_error(src, err);
	if (src->in_len != 0)
		return sp_error_setk(err, SP_ERR_REFUSED, 0, "trailing data "
		    "after the %s stream", sxf_compression_name(src->kind));
	return 0;
}

void
sxf_source_digest(struct sxf_source *src, char *hex)
{
	unsigned char digest[32];

	EVP_DigestFinal_ex(src->file_hash, digest, NULL);
	hex_encode(digest, sizeof(digest), hex);
}

enum sxf_compression
sxf_source_compression(const struct sxf_source *src)
{
	return src->kind;
}

static int
start(struct sxf_source *src, struct sp_error *err)
{
	static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	/* A pipe may deliver the first bytes one at a time. */
	while (src->in_len < 4 && !src->eof)
		if (fill(src) != 0)
			return sxf_source_error(src, err);
	if (src->in_len == 0)
		return sp_error_setk(err, SP_ERR_REFUSED, 0, "empty input");
	if (src->in_len >= 2 && src->in[0] == 0x1f && src->in[1] == 0x8b) {
		src->kind = SXF_GZIP;
		/* 16 + MAX_WBITS: gzip wrapper only, with its CRC-32
		 * checked. */
		if (inflateInit2(&src->z, 16 + MAX_WBITS) != Z_OK)
			return sp_error_set(err, "cannot start gzip "
			    "decompression");
		src->z_ready = 1;
		return 0;
	}
	if (src->in_len >= 4 && memcmp(src->in, zstd_magic, 4) == 0) {
		src->kind = SXF_ZSTD;
		src->zstd = ZSTD_createDCtx();
		if (src->zstd == NULL || ZSTD_isError(ZSTD_DCtx_setParameter(
		    src->zstd, ZSTD_d_windowLogMax, ZSTD_WINDOW_LOG_MAX)))
			return sp_error_set(err, "cannot start zstd "
			    "decompression");
		return 0;
	}
	return sp_error_setk(err, SP_ERR_REFUSED, 0, "not a gzip or zstd "
	    "file");
}

static ssize_t
fd_input(void *ctx, void *buf, size_t len)
{
	const struct sxf_source *src = ctx;
	ssize_t n;

	do
		n = read(src->fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

struct sxf_source *
sxf_source_open(int fd, uint64_t max_total, struct sp_error *err)
{
	return sxf_source_open_input(NULL, NULL, fd, max_total, err);
}

struct sxf_source *
sxf_source_open_input(sxf_input_fn input, void *ctx, int fd,
    uint64_t max_total, struct sp_error *err)
{
	struct sxf_source *src = calloc(1, sizeof(*src));

	if (src == NULL || (src->file_hash = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(src->file_hash, EVP_sha256(), NULL) != 1) {
		sxf_source_free(src);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	src->fd = fd;
	src->input = input != NULL ? input : fd_input;
	src->input_ctx = input != NULL ? ctx : src;
	src->max_total = max_total;
	if (start(src, err) != 0) {
		sxf_source_free(src);
		return NULL;
	}
	return src;
}

void
sxf_source_free(struct sxf_source *src)
{
	if (src == NULL)
		return;
	if (src->z_ready)
		inflateEnd(&src->z);
	ZSTD_freeDCtx(src->zstd);
	EVP_MD_CTX_free(src->file_hash);
	free(src);
}

la_ssize_t
sxf_source_archive_read(struct archive *a, void *data, const void **out)
{
	ssize_t n = sxf_source_read(data, out);

	if (n < 0) {
		archive_set_error(a, EINVAL, "decompression failed");
		return -1;
	}
	return n;
}
