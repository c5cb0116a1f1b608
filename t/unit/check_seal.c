/* check_seal.c: unit tests for sealed exchange files (seal.c, sxf_open.c)
 * and the compression layer (compress.c): the sxf(5) test vector byte
 * for byte, tampering, and files written and read through the writer and
 * the reader. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "util/hexenc.h"
#include "sxf/keys.h"
#include "sxf/seal.h"
#include "sxf/seal_keys.h"
#include "sxf/sxf_open.h"
#include "sxf/sxf_reader.h"
#include "sxf/sxf_writer.h"

/* Output collected in memory. */
struct buf {
	unsigned char *p;
	size_t len, cap;
};

static int
to_buf(void *ctx, const void *data, size_t len, struct sp_error *err)
{
	struct buf *b = ctx;

	(void)err;
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		ck_assert_ptr_nonnull(b->p);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return 0;
}

static EVP_PKEY *
fixed_key(unsigned char first)
{
	unsigned char raw[32];

	for (int i = 0; i < 32; i++)
		raw[i] = (unsigned char)(first + i);
	return EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw, 32);
}

static const char vector_info[] = "syncpack sxf seal 1|HUB|S1|7";
#define VECTOR_LEN (65536 + 100)

/* Seals the vector's plaintext (byte i is i mod 251) into b. */
static void
seal_vector(struct buf *b, EVP_PKEY *rec, EVP_PKEY *eph, size_t len,
    size_t step)
{
	struct sp_error err;
	struct seal_writer *w;
	unsigned char *pt = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		pt[i] = (unsigned char)(i % 251);
	w = seal_writer_new(rec, eph, vector_info, strlen(vector_info), to_buf,
	    b, &err);
	ck_assert_ptr_nonnull(w);
	/* Written in uneven pieces: chunking must not depend on them. */
	for (size_t i = 0; i < len; i += step)
		ck_assert_int_eq(seal_writer_write(w, pt + i, i + step > len ?
		    len - i : step, &err), 0);
	ck_assert_int_eq(seal_writer_finish(w, &err), 0);
	seal_writer_free(w);
	free(pt);
}

static void
hex_of(const unsigned char *p, size_t n, char *out)
{
	hex_encode(p, n, out);
}

START_TEST(test_vector)
{
	EVP_PKEY *rec = fixed_key(0x01), *eph = fixed_key(0x21);
	unsigned char key[32], rec_pub[32], eph_pub[32], digest[32];
	size_t n = 32;
	struct buf b = { NULL, 0, 0 };
	struct sp_error err;
	char hex[2 * 200 + 1];

	EVP_PKEY_get_raw_public_key(rec, rec_pub, &n);
	EVP_PKEY_get_raw_public_key(eph, eph_pub, &n);
	hex_of(rec_pub, 32, hex);
	ck_assert_str_eq(hex, "07a37cbc142093c8b755dc1b10e86cb4"
	    "26374ad16aa853ed0bdfc0b2b86d1c7c");
	hex_of(eph_pub, 32, hex);
	ck_assert_str_eq(hex, "5869aff450549732cbaaed5e5df9b30a"
	    "6da31cb0e5742bad5ad4a1a768f1a67b");
	ck_assert_int_eq(seal_content_key(eph, rec, eph_pub, rec_pub,
	    vector_info, strlen(vector_info), key, &err), 0);
	hex_of(key, 32, hex);
	ck_assert_str_eq(hex, "cff00d9b9e5a8682d2d1e0bbfee5503b"
	    "e52d6f0727a5110f2e5b860286579687");
	seal_vector(&b, rec, eph, VECTOR_LEN, 1000);
	ck_assert_uint_eq(b.len, 65700);
	ck_assert_int_eq(memcmp(b.p, eph_pub, 32), 0);
	hex_of(b.p + 32 + 65536, 16, hex);
	ck_assert_str_eq(hex, "ce9d452897c376018baf26b17b56424a");
	hex_of(b.p + 32 + 65552, 116, hex);
	ck_assert_str_eq(hex, "813641711af53c3ed0baa3af6556f3d697371e05f0c87023"
	    "31f68f58ef31f00dce8b04f859224bc8ed756462055fdd5824ea56f76b8cf037"
	    "a2d865102d000f3429c8be9fc6059d8053837d1003f75d6ed7f5119846d00e59"
	    "e44b186a8a983b47168c935a6c40a9ce3c53f1f387845d46dec9f07d");
	EVP_Digest(b.p, b.len, digest, NULL, EVP_sha256(), NULL);
	hex_of(digest, 32, hex);
	ck_assert_str_eq(hex, "18a517202ac6ddbdabca078f74215a53"
	    "3a76404b4436205fbaace893e9cc8fe1");
	free(b.p);
	EVP_PKEY_free(rec);
	EVP_PKEY_free(eph);
}
END_TEST

/* Opens b as a sequence of chunks; returns the plaintext length or -1,
 * with what failed in err. */
static ssize_t
open_all(const struct buf *b, EVP_PKEY *rec, struct sp_error *err)
{
	struct seal_opener *o;
	unsigned char *copy = malloc(b->len), out[SEAL_CHUNK];
	size_t pos = 32, total = 0;

	memcpy(copy, b->p, b->len);
	o = seal_opener_new(rec, copy, vector_info, strlen(vector_info), err);
	ck_assert_ptr_nonnull(o);
	while (pos < b->len) {
		size_t n = b->len - pos > SEAL_CHUNK + SEAL_TAG ?
		    SEAL_CHUNK + SEAL_TAG : b->len - pos;
		ssize_t r = seal_opener_chunk(o, copy + pos, n, out, err);
		if (r < 0) {
			total = (size_t)-1;
			break;
		}
		for (ssize_t i = 0; i < r; i++)
			ck_assert_uint_eq(out[i], (total + (size_t)i) % 251);
		total += (size_t)r;
		pos += n;
	}
	if (total != (size_t)-1 && !seal_opener_ended(o)) {
		sp_error_set(err, "no last chunk");
		total = (size_t)-1;
	}
	seal_opener_free(o);
	free(copy);
	return (ssize_t)total;
}

START_TEST(opener_detects_tampering)
{
	EVP_PKEY *rec = fixed_key(0x01), *other = fixed_key(0x41);
	struct buf b = { NULL, 0, 0 }, t;
	struct sp_error err;
	size_t chunk = SEAL_CHUNK + SEAL_TAG;

	/* Three chunks: two full, one of 10 bytes. */
	seal_vector(&b, rec, NULL, 2 * SEAL_CHUNK + 10, 7777);
	ck_assert_uint_eq(b.len, 32 + 2 * chunk + 10 + SEAL_TAG);
	ck_assert_int_eq(open_all(&b, rec, &err), 2 * SEAL_CHUNK + 10);
	t.p = malloc(b.len);
	/* A flipped byte in each chunk, in the ephemeral key, in a tag. */
	{
		size_t where[] = { 5, 32, 32 + 100, 32 + chunk + 9,
		    32 + 2 * chunk + 3, b.len - 1 };
		for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
			memcpy(t.p, b.p, b.len);
			t.len = b.len;
			t.p[where[i]] ^= 0x40;
			ck_assert_int_eq(open_all(&t, rec, &err), -1);
		}
	}
	/* Cut after a full chunk: the last chunk is missing. */
	memcpy(t.p, b.p, b.len);
	t.len = 32 + 2 * chunk;
	ck_assert_int_eq(open_all(&t, rec, &err), -1);
	ck_assert_str_eq(err.msg, "no last chunk");
	/* Cut inside a chunk. */
	t.len = 32 + chunk + 500;
	ck_assert_int_eq(open_all(&t, rec, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not authenticate"));
	/* The first two chunks swapped. */
	memcpy(t.p + 32, b.p + 32 + chunk, chunk);
	memcpy(t.p + 32 + chunk, b.p + 32, chunk);
	t.len = b.len;
	ck_assert_int_eq(open_all(&t, rec, &err), -1);
	ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
	/* Another recipient's key opens nothing. */
	ck_assert_int_eq(open_all(&b, other, &err), -1);
	free(t.p);
	free(b.p);
	EVP_PKEY_free(rec);
	EVP_PKEY_free(other);
}
END_TEST

/* A whole file: written sealed (or not) with compression c, then read. */
struct seen {
	char members[512];
	char records[32];
	size_t bytes;
};

static int
on_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct seen *s = ctx;
	const char *r = sxf_header_extra(h, "records");

	(void)err;
	snprintf(s->records, sizeof(s->records), "%s", r ? r : "-");
	return 0;
}

static int
on_begin(void *ctx, const char *name, uint64_t size, struct sp_error *err)
{
	struct seen *s = ctx;

	(void)size;
	(void)err;
	strcat(s->members, name);
	strcat(s->members, " ");
	return 0;
}

static int
on_data(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	(void)buf;
	(void)err;
	((struct seen *)ctx)->bytes += len;
	return 0;
}

static EVP_PKEY *sign_key, *open_key;

static EVP_PKEY *
signer(void *ctx, const char *site, struct sp_error *err)
{
	EVP_PKEY *k = ctx;

	(void)site;
	(void)err;
	EVP_PKEY_up_ref(k);
	return k;
}

static EVP_PKEY *
opener_key(void *ctx, struct sp_error *err)
{
	(void)ctx;
	(void)err;
	EVP_PKEY_up_ref(open_key);
	return open_key;
}

static FILE *
write_file(EVP_PKEY *seal_to, enum sxf_compression c, size_t data_len)
{
	struct sp_error err;
	struct sxf_writer *w = sxf_writer_new(&err);
	struct sxf_header h;
	FILE *f = tmpfile();
	char *data = malloc(data_len + 1);

	memset(data, 'x', data_len);
	memset(&h, 0, sizeof(h));
	strcpy(h.kind, "data");
	strcpy(h.from, "HUB");
	strcpy(h.to, "S1");
	h.flow = 7;
	strcpy(h.extra_key[0], "records");
	strcpy(h.extra_value[0], "42");
	h.nextra = 1;
	sxf_header_stamp_now(&h);
	sxf_writer_set_compression(w, c);
	if (seal_to != NULL)
		ck_assert_int_eq(sxf_writer_seal_to(w, seal_to, NULL, &err), 0);
	ck_assert_int_eq(sxf_writer_member_begin(w, "schema.json", &err), 0);
	ck_assert_int_eq(sxf_writer_member_write(w, "{}", 2, &err), 0);
	ck_assert_int_eq(sxf_writer_member_end(w, &err), 0);
	ck_assert_int_eq(sxf_writer_member_begin(w, "data.jsonl", &err), 0);
	ck_assert_int_eq(sxf_writer_member_write(w, data, data_len, &err), 0);
	ck_assert_int_eq(sxf_writer_member_end(w, &err), 0);
	ck_assert_int_eq(sxf_writer_finish(w, &h, sign_key, fileno(f), NULL,
	    &err), 0);
	sxf_writer_free(w);
	free(data);
	return f;
}

static int
read_file(FILE *f, int with_key, struct seen *s, struct sxf_read_result *r,
    struct sp_error *err)
{
	struct sxf_read_ops ops;

	memset(&ops, 0, sizeof(ops));
	memset(s, 0, sizeof(*s));
	ops.signer_key = signer;
	ops.key_ctx = sign_key;
	ops.sealing_key = with_key ? opener_key : NULL;
	ops.on_header = on_header;
	ops.on_member_begin = on_begin;
	ops.on_member_data = on_data;
	ops.ctx = s;
	lseek(fileno(f), 0, SEEK_SET);
	return sxf_read_fd(fileno(f), NULL, &ops, r, err);
}

START_TEST(sealed_file_round_trip)
{
	EVP_PKEY *rec = fixed_key(0x01), *other = fixed_key(0x41);
	struct sxf_read_result r;
	struct sp_error err;
	struct seen s;

	for (int c = SXF_GZIP; c <= SXF_ZSTD; c++) {
		FILE *f = write_file(rec, (enum sxf_compression)c, 300000);
		unsigned char magic[4];

		ck_assert_int_eq(pread(fileno(f), magic, 4, 0), 4);
		ck_assert_uint_eq(magic[0], c == SXF_GZIP ? 0x1f : 0x28);
		open_key = rec;
		ck_assert_int_eq(read_file(f, 1, &s, &r, &err), 0);
		ck_assert(r.sealed);
		ck_assert_str_eq(s.members, "schema.json data.jsonl ");
		ck_assert_str_eq(s.records, "42");
		ck_assert_uint_eq(s.bytes, 300002);
		ck_assert_uint_eq(r.members, 2);
		/* Without the key: the outer file, counts left inside. */
		ck_assert_int_eq(read_file(f, 0, &s, &r, &err), 0);
		ck_assert(r.sealed);
		ck_assert_str_eq(s.members, "sealed ");
		ck_assert_str_eq(s.records, "-");
		ck_assert_str_eq(sxf_header_extra(&r.header, "seal"),
		    SEAL_SCHEME);
		/* Another key: refused before anything is handed out. */
		open_key = other;
		ck_assert_int_eq(read_file(f, 1, &s, &r, &err), -1);
		ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
		ck_assert_ptr_nonnull(strstr(err.msg, "sealed to another key"));
		ck_assert_str_eq(s.members, "");
		fclose(f);
	}
	EVP_PKEY_free(rec);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(zstd_file_round_trip)
{
	struct sxf_read_result r;
	struct sp_error err;
	struct seen s;
	FILE *f = write_file(NULL, SXF_ZSTD, 100000);
	unsigned char magic[4];

	ck_assert_int_eq(pread(fileno(f), magic, 4, 0), 4);
	ck_assert_uint_eq(magic[0], 0x28);
	ck_assert_uint_eq(magic[3], 0xfd);
	ck_assert_int_eq(read_file(f, 1, &s, &r, &err), 0);
	ck_assert(!r.sealed);
	ck_assert_str_eq(s.members, "schema.json data.jsonl ");
	ck_assert_str_eq(s.records, "42");
	fclose(f);
}
END_TEST

static la_ssize_t
archive_to_buf(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct sp_error err;

	(void)a;
	return to_buf(ctx, buf, len, &err) == 0 ? (la_ssize_t)len : -1;
}

static void
add_member(struct archive *a, const char *name, const void *buf, size_t len)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	ck_assert_int_eq(archive_write_header(a, e), ARCHIVE_OK);
	if (len > 0)
		ck_assert_int_eq(archive_write_data(a, buf, len), (la_ssize_t)len);
	archive_entry_free(e);
}

/* A gzip pax tar written into out, as syncpack writes one. */
static struct archive *
gzip_tar(struct buf *out)
{
	struct archive *a = archive_write_new();

	archive_write_add_filter_gzip(a);
	archive_write_set_format_pax(a);
	archive_write_set_bytes_in_last_block(a, 1);
	ck_assert_int_eq(archive_write_open(a, out, NULL, archive_to_buf,
	    NULL), ARCHIVE_OK);
	return a;
}

/* A file from HUB to S1, flow 7, whose sealed plaintext is the gzip tar
 * of one HEADER member inner_header, followed by the bytes extra; signed
 * by sign_key. */
static FILE *
craft(EVP_PKEY *rec, const char *inner_header, const char *extra)
{
	struct buf plain = { NULL, 0, 0 }, sealed = { NULL, 0, 0 };
	struct buf file = { NULL, 0, 0 };
	struct sxf_header h, outer;
	struct sp_error err;
	struct seal_writer *w;
	struct archive *a;
	unsigned char digest[32], sig[SIGNATURE_LEN];
	char info[128], hex[65], manifest[128], *header, *signed_bytes;
	size_t hlen;
	FILE *f = tmpfile();

	a = gzip_tar(&plain);
	add_member(a, "HEADER", inner_header, strlen(inner_header));
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	to_buf(&plain, extra, strlen(extra), &err);
	static const char routing[] = "format: sxf 1\nkind: data\n"
	    "from: HUB\nto: S1\nflow: 7\nlink: 0\ncreated: "
	    "2026-11-22T04:15:37Z\n";

	ck_assert_int_eq(sxf_header_parse(routing, strlen(routing), &h, &err),
	    0);
	w = seal_writer_new(rec, NULL, info, sxf_seal_info(&h, info,
	    sizeof(info)), to_buf, &sealed, &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(seal_writer_write(w, plain.p, plain.len, &err), 0);
	ck_assert_int_eq(seal_writer_finish(w, &err), 0);
	seal_writer_free(w);
	ck_assert_int_eq(sxf_seal_outer_header(&h, rec, &outer, &err), 0);
	header = sxf_header_format(&outer, &hlen, &err);
	EVP_Digest(sealed.p, sealed.len, digest, NULL, EVP_sha256(), NULL);
	hex_encode(digest, 32, hex);
	snprintf(manifest, sizeof(manifest), "%s  sealed\n", hex);
	signed_bytes = malloc(hlen + strlen(manifest));
	memcpy(signed_bytes, header, hlen);
	memcpy(signed_bytes + hlen, manifest, strlen(manifest));
	ck_assert_int_eq(key_sign(sign_key, signed_bytes, hlen +
	    strlen(manifest), sig, &err), 0);
	a = gzip_tar(&file);
	add_member(a, "HEADER", header, hlen);
	add_member(a, "MANIFEST", manifest, strlen(manifest));
	add_member(a, "SIGNATURE", sig, sizeof(sig));
	add_member(a, "sealed", sealed.p, sealed.len);
	ck_assert_int_eq(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	ck_assert_uint_eq(fwrite(file.p, 1, file.len, f), file.len);
	fflush(f);
	free(signed_bytes);
	free(header);
	free(plain.p);
	free(sealed.p);
	free(file.p);
	return f;
}

START_TEST(sealed_inside_is_checked)
{
	static const char good[] = "format: sxf 1\nkind: data\nfrom: HUB\n"
	    "to: S1\nflow: 7\nlink: 0\ncreated: 2026-11-22T04:15:37Z\n"
	    "records: 3\n";
	EVP_PKEY *rec = fixed_key(0x01);
	struct sxf_read_result r;
	struct sp_error err;
	struct seen s;
	FILE *f;

	open_key = rec;
	f = craft(rec, good, "");
	ck_assert_msg(read_file(f, 1, &s, &r, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(s.records, "3");
	fclose(f);
	/* The sealed HEADER must repeat the outer routing fields. */
	f = craft(rec, "format: sxf 1\nkind: data\nfrom: HUB\nto: S1\n"
	    "flow: 8\nlink: 0\ncreated: 2026-11-22T04:15:37Z\n", "");
	ck_assert_int_eq(read_file(f, 1, &s, &r, &err), -1);
	ck_assert_str_eq(err.msg, "the sealed HEADER differs from the outer "
	    "one");
	ck_assert_str_eq(s.records, "");
	fclose(f);
	/* Nothing may follow the compressed stream inside. */
	f = craft(rec, good, "x");
	ck_assert_int_eq(read_file(f, 1, &s, &r, &err), -1);
	ck_assert_str_eq(err.msg, "trailing data after the gzip stream");
	fclose(f);
	EVP_PKEY_free(rec);
}
END_TEST

int
main(void)
{
	struct sp_error err;
	Suite *s = suite_create("seal");
	TCase *tc = tcase_create("seal");
	SRunner *sr;
	int failed;

	sign_key = key_generate(&err);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_vector);
	tcase_add_test(tc, opener_detects_tampering);
	tcase_add_test(tc, sealed_file_round_trip);
	tcase_add_test(tc, zstd_file_round_trip);
	tcase_add_test(tc, sealed_inside_is_checked);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(sign_key);
	return failed == 0 ? 0 : 1;
}
