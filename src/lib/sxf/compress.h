/* compress.h: the compression layer of an exchange file, sxf(5).
 *
 * A file is gzip or zstd; the reader tells them apart by their magic
 * number. Decompression is zlib's and libzstd's own, not libarchive's
 * filters, so the reader can tell "not compressed" from "not tar", insist
 * on one complete stream (gzip CRC, zstd frame end) after the tar end,
 * refuse trailing bytes, and count decompressed bytes itself. */
#ifndef SYNCPACK_SXF_COMPRESS_H
#define SYNCPACK_SXF_COMPRESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/error.h"

enum sxf_compression {
	SXF_GZIP,		/* the default: tar -xzf reads it */
	SXF_ZSTD,
};

/* "gzip" or "zstd". */
const char *sxf_compression_name(enum sxf_compression c);

/* Parses "gzip" or "zstd"; -1 for anything else. */
SP_MUST_CHECK
int sxf_compression_parse(const char *name, enum sxf_compression *c);

struct sxf_source;

/* Reads the first bytes of fd and starts the decompressor its magic
 * number names; refuses (SP_ERR_REFUSED) empty input and input that is
 * neither gzip nor zstd. max_total: the most decompressed bytes taken. */
SP_MUST_CHECK
struct sxf_source *sxf_source_open(int fd, uint64_t max_total,
    struct sp_error *err);

/* Reads up to len bytes into buf: the count, 0 at the end, -1 on error
 * with errno set (EINVAL: the input itself is bad). */
typedef ssize_t (*sxf_input_fn)(void *ctx, void *buf, size_t len);

/* The same reading from input (with ctx) rather than a descriptor: the
 * opened payload of a sealed file. */
SP_MUST_CHECK
struct sxf_source *sxf_source_open_input(sxf_input_fn input, void *ctx,
    int fd, uint64_t max_total, struct sp_error *err);

/* The next decompressed block in *out; returns its length, 0 at the end
 * of the compressed stream, -1 with sxf_source_error ready to explain. */
ssize_t sxf_source_read(struct sxf_source *src, const void **out);

/* 1 once a read failed; then sxf_source_error says why. */
int sxf_source_failed(const struct sxf_source *src);
/* The failure of the stream: SP_ERR_IO for reading, else refused. */
int sxf_source_error(const struct sxf_source *src, struct sp_error *err);

/* After the tar end: the stream must end cleanly with nothing after it. */
SP_MUST_CHECK
int sxf_source_finish(struct sxf_source *src, struct sp_error *err);

/* The SHA-256 of the compressed bytes read (hex, 65 bytes); call after
 * sxf_source_finish succeeded. */
void sxf_source_digest(struct sxf_source *src, char *hex);

enum sxf_compression sxf_source_compression(const struct sxf_source *src);

void sxf_source_free(struct sxf_source *src);

/* libarchive's read callback over a source (data): archive_read_open
 * with it reads the tar inside. */
struct archive;
ssize_t sxf_source_archive_read(struct archive *a, void *data,
    const void **out);

#endif
