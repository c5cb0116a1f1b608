/* fuzz_sxf_open.c: libFuzzer target for what a sealed file holds.
 *
 * The input is the plaintext of a sealed member (sxf(5): a compressed tar
 * of HEADER and the payload). The target seals it to the fixed key of
 * fuzz_key.h, wraps it in an exchange file as the writer would (the
 * signature is not checked, as syncunpack --list does without a
 * database), and reads it, so the fuzzer reaches the opener's chunking,
 * the inner decompressor, the inner tar and header checks, which
 * authentication keeps out of reach of fuzz_sxf_reader. Build with
 * `make fuzz`; run as t/fuzz/fuzz_sxf_open t/fuzz/open-corpus/. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "util/hexenc.h"
#include "sxf/seal.h"
#include "sxf/sxf_open.h"
#include "sxf/sxf_reader.h"
#include "fuzz_common.h"

struct mem {
	unsigned char *p;
	size_t len, cap;
};

static int
to_mem(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	struct mem *m = ctx;

	(void)err;
	if (m->len + len > m->cap) {
		size_t cap = 2 * (m->len + len);
		unsigned char *p = realloc(m->p, cap);
		if (p == NULL)
			return -1;
		m->p = p;
		m->cap = cap;
	}
	memcpy(m->p + m->len, buf, len);
	m->len += len;
	return 0;
}

static void
add(struct archive *a, const char *name, const void *buf, size_t len)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	if (archive_write_header(a, e) == ARCHIVE_OK && len > 0)
		(void)archive_write_data(a, buf, len);
	archive_entry_free(e);
}

static la_ssize_t
archive_to_mem(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct sp_error err;

	(void)a;
	return to_mem(ctx, buf, len, &err) == 0 ? (la_ssize_t)len : -1;
}

/* The sealed member of plaintext data, to the fixed key, and its file. */
static int
build(const uint8_t *data, size_t size, struct mem *file)
{
	struct sxf_header h, outer;
	struct sp_error err;
	struct mem sealed = { NULL, 0, 0 };
	unsigned char digest[32], sig[64];
	char manifest[128], hex[65], info[128], *header = NULL;
	size_t hlen = 0, ilen;
	EVP_PKEY *key = fuzz_open_key(NULL, &err);
	struct seal_writer *w;
	struct archive *a;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	strcpy(h.kind, "data");
	strcpy(h.from, "HUB");
	strcpy(h.to, "S1");
	h.flow = 7;
	strcpy(h.created, "2026-11-22T04:15:37Z");
	ilen = sxf_seal_info(&h, info, sizeof(info));
	w = seal_writer_new(key, NULL, info, ilen, to_mem, &sealed, &err);
	if (w != NULL && seal_writer_write(w, data, size, &err) == 0 &&
	    seal_writer_finish(w, &err) == 0 &&
	    sxf_seal_outer_header(&h, key, &outer, &err) == 0 &&
	    (header = sxf_header_format(&outer, &hlen, &err)) != NULL) {
		EVP_Digest(sealed.p, sealed.len, digest, NULL, EVP_sha256(),
		    NULL);
		hex_encode(digest, 32, hex);
		snprintf(manifest, sizeof(manifest), "%s  %s\n", hex,
		    SXF_SEALED_MEMBER);
		memset(sig, 0, sizeof(sig));
		a = archive_write_new();
		if (archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
		    archive_write_set_format_pax(a) == ARCHIVE_OK &&
		    archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
		    archive_write_open(a, file, NULL, archive_to_mem, NULL) ==
		    ARCHIVE_OK) {
			add(a, "HEADER", header, hlen);
			add(a, "MANIFEST", manifest, strlen(manifest));
			add(a, "SIGNATURE", sig, sizeof(sig));
			add(a, SXF_SEALED_MEMBER, sealed.p, sealed.len);
			rc = archive_write_close(a) == ARCHIVE_OK ? 0 : -1;
		}
		archive_write_free(a);
	}
	seal_writer_free(w);
	EVP_PKEY_free(key);
	free(header);
	free(sealed.p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem file = { NULL, 0, 0 };

	if (build(data, size, &file) == 0)
		fuzz_read(file.p, file.len);
	free(file.p);
	return 0;
}
