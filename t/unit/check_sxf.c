/* check_sxf.c: unit tests for the exchange-file container (sxf_*.c). */
#include <check.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sxf/keys.h"
#include "sxf/sxf_header.h"
#include "sxf/sxf_reader.h"
#include "sxf/sxf_writer.h"

static EVP_PKEY *test_key;

static void
fill_header(struct sxf_header *h)
{
	memset(h, 0, sizeof(*h));
	strcpy(h->kind, "data");
	strcpy(h->from, "BSOC");
	strcpy(h->to, "ASOC");
	h->flow = 7;
	h->link = 3;
	sxf_header_stamp_now(h);
}

START_TEST(header_round_trip)
{
	struct sxf_header h, p;
	struct sp_error err;
	size_t len;
	char *buf;

	fill_header(&h);
	h.nextra = 1;
	strcpy(h.extra_key[0], "window");
	strcpy(h.extra_value[0], "2026-01-01 2026-02-01");
	buf = sxf_header_format(&h, &len, &err);
	ck_assert_int_eq(sxf_header_parse(buf, len, &p, &err), 0);
	ck_assert_str_eq(p.kind, "data");
	ck_assert_str_eq(p.from, "BSOC");
	ck_assert_str_eq(p.to, "ASOC");
	ck_assert_uint_eq(p.flow, 7);
	ck_assert_uint_eq(p.link, 3);
	ck_assert_str_eq(p.created, h.created);
	ck_assert_uint_eq(p.format, SXF_FORMAT_NEWEST);
	ck_assert_ptr_nonnull(strstr(buf, "format: sxf 1\n"));
	ck_assert_str_eq(sxf_header_extra(&p, "window"), "2026-01-01 2026-02-01");
	ck_assert_ptr_null(sxf_header_extra(&p, "nothing"));
	free(buf);
}
END_TEST

static int
parse_fails(const char *text, const char *reason)
{
	struct sxf_header h;
	struct sp_error err;

	if (sxf_header_parse(text, strlen(text), &h, &err) == 0)
		return 0;
	return strstr(err.msg, reason) != NULL;
}

START_TEST(header_rejects)
{
	const char *base = "format: sxf 1\nkind: data\nfrom: B\nto: A\n"
	    "flow: 1\nlink: 0\ncreated: 2026-11-22T04:15:37Z\n";
	struct sxf_header h;
	struct sp_error err;

	ck_assert_int_eq(sxf_header_parse(base, strlen(base), &h, &err), 0);
	ck_assert(parse_fails("format: sxf 2\n", "unsupported format version"));
	ck_assert(parse_fails("format: sxf 0\n", "unsupported format version"));
	ck_assert(parse_fails("format: sxf 1\nkind: data\nfrom: B\nto: A\n"
	    "flow: 1\nlink: 0\ncreated: 2026-11-22T04:15:37Z\nreads: 2 1\n",
	    "bad reads \"2 1\""));
	ck_assert(parse_fails("format: sxf 01\n", "unsupported format version"));
	ck_assert(parse_fails("format: sxf\n", "unsupported format version"));
	ck_assert(parse_fails("format: sxg 1\n", "unsupported format version"));
	ck_assert(parse_fails("kind: data\n", "no format line"));
	ck_assert(parse_fails("format: sxf 1\nkind: data\n", "missing key"));
	ck_assert(parse_fails("format: sxf 1", "newline"));
	ck_assert(parse_fails("format: sxf 1\nkind: DATA\n", "bad kind"));
	ck_assert(parse_fails("format: sxf 1\nflow: 01\n", "bad flow"));
	ck_assert(parse_fails("format: sxf 1\nflow: -1\n", "bad flow"));
	ck_assert(parse_fails("format: sxf 1\ncreated: yesterday\n", "created"));
	ck_assert(parse_fails("format: sxf 1\nformat: sxf 1\n", "duplicate"));
	ck_assert(parse_fails("format:sxf 1\n", "key: value"));
	ck_assert(parse_fails("format: sxf 1\nfrom: a/b\n", "bad site id"));
	ck_assert(parse_fails("format: sxf 1\nkind: data\nfrom: B\nto: A\n"
	    "flow: 0\nlink: 0\ncreated: 2026-11-22T04:15:37Z\n", "flow must"));
}
END_TEST

START_TEST(format_lists)
{
	ck_assert(sxf_format_list_valid("1"));
	ck_assert(sxf_format_list_valid("1 2 7"));
	ck_assert(!sxf_format_list_valid(""));
	ck_assert(!sxf_format_list_valid("0"));
	ck_assert(!sxf_format_list_valid("2 1"));
	ck_assert(!sxf_format_list_valid("1 1"));
	ck_assert(!sxf_format_list_valid("1  2"));
	ck_assert(!sxf_format_list_valid(" 1"));
	ck_assert(!sxf_format_list_valid("1 "));
	ck_assert(!sxf_format_list_valid("01"));
	ck_assert(!sxf_format_list_valid("1,2"));
	ck_assert(!sxf_format_list_valid("4294967296"));
	ck_assert(!sxf_format_list_valid(
	    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"));
}
END_TEST

/* A writer of versions 2..4 (as a later syncpack may be). */
START_TEST(format_pick_is_the_newest_both_sides_know)
{
	struct sp_error err;
	unsigned v;

	ck_assert_int_eq(sxf_format_pick(NULL, 2, 4, &v, &err), 0);
	ck_assert_uint_eq(v, 2);	/* announced nothing: the oldest */
	ck_assert_int_eq(sxf_format_pick("1 2", 2, 4, &v, &err), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(sxf_format_pick("1 2 3", 2, 4, &v, &err), 0);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(sxf_format_pick("3 4 5 9", 2, 4, &v, &err), 0);
	ck_assert_uint_eq(v, 4);
	ck_assert_int_eq(sxf_format_pick("1", 2, 4, &v, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "reads format versions 1 only"));
	ck_assert_int_eq(sxf_format_pick("5 6", 2, 4, &v, &err), -1);
	ck_assert_int_eq(sxf_format_pick("x", 2, 4, &v, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "bad list"));
	ck_assert_int_eq(sxf_format_pick(SXF_FORMATS_READ, SXF_FORMAT_OLDEST,
	    SXF_FORMAT_NEWEST, &v, &err), 0);
	ck_assert_uint_eq(v, SXF_FORMAT_NEWEST);
}
END_TEST

START_TEST(member_names)
{
	ck_assert(sxf_member_name_valid("data.jsonl"));
	ck_assert(sxf_member_name_valid("schema-1_a.json"));
	ck_assert(!sxf_member_name_valid(""));
	ck_assert(!sxf_member_name_valid(".hidden"));
	ck_assert(!sxf_member_name_valid("a/b"));
	ck_assert(!sxf_member_name_valid("a b"));
	ck_assert(!sxf_member_name_valid("HEADER"));
	ck_assert(!sxf_member_name_valid("SIGNATURE"));
}
END_TEST

START_TEST(manifest_parse)
{
	struct sxf_manifest_entry *e;
	struct sp_error err;
	size_t n;
	char good[200], bad[200];

	snprintf(good, sizeof(good), "%064d  a.jsonl\n%063d1  b\n", 0, 0);
	ck_assert_int_eq(sxf_manifest_parse(good, strlen(good), &e, &n, 10,
	    &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(e[1].name, "b");
	ck_assert_uint_eq(e[1].sha256[31], 1);
	free(e);
	ck_assert_int_eq(sxf_manifest_parse(good, strlen(good), &e, &n, 1,
	    &err), -1);
	snprintf(bad, sizeof(bad), "%064d  a\n%064d  a\n", 0, 0);
	ck_assert_int_eq(sxf_manifest_parse(bad, strlen(bad), &e, &n, 10,
	    &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "twice"));
	snprintf(bad, sizeof(bad), "%064d a\n", 0);
	ck_assert_int_eq(sxf_manifest_parse(bad, strlen(bad), &e, &n, 10,
	    &err), -1);
	snprintf(bad, sizeof(bad), "%063dG  a\n", 0);
	ck_assert_int_eq(sxf_manifest_parse(bad, strlen(bad), &e, &n, 10,
	    &err), -1);
}
END_TEST

/* Collects what the reader hands out. */
struct collected {
	char names[8][64];
	uint64_t bytes[8];
	int n, ended;
	unsigned checksum;
};

static int
on_begin(void *ctx, const char *name, uint64_t size, struct sp_error *err)
{
	struct collected *c = ctx;

	(void)size;
	(void)err;
	snprintf(c->names[c->n], sizeof(c->names[0]), "%s", name);
	c->bytes[c->n] = 0;
	return 0;
}

static int
on_data(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	struct collected *c = ctx;
	const unsigned char *p = buf;

	(void)err;
	c->bytes[c->n] += len;
	for (size_t i = 0; i < len; i++)
		c->checksum = c->checksum * 31 + p[i];
	return 0;
}

static int
on_end(void *ctx, const char *name, struct sp_error *err)
{
	struct collected *c = ctx;

	(void)name;
	(void)err;
	c->n++;
	c->ended++;
	return 0;
}

static EVP_PKEY *
lookup(void *ctx, const char *site, struct sp_error *err)
{
	(void)ctx;
	if (strcmp(site, "BSOC") != 0) {
		sp_error_set(err, "unknown signer %s", site);
		return NULL;
	}
	EVP_PKEY_up_ref(test_key);
	return test_key;
}

static FILE *
write_sample(uint64_t big_size, unsigned *checksum)
{
	struct sxf_header h;
	struct sp_error err;
	struct sxf_writer *w = sxf_writer_new(&err);
	FILE *f = tmpfile();
	unsigned char block[4096];
	uint64_t left = big_size;
	unsigned sum = 0;

	fill_header(&h);
	ck_assert_int_eq(sxf_writer_member_begin(w, "small.jsonl", &err), 0);
	ck_assert_int_eq(sxf_writer_member_write(w, "{\"a\":1}\n", 8, &err), 0);
	for (int i = 0; i < 8; i++)
		sum = sum * 31 + (unsigned char)"{\"a\":1}\n"[i];
	ck_assert_int_eq(sxf_writer_member_end(w, &err), 0);
	ck_assert_int_eq(sxf_writer_member_begin(w, "small.jsonl", &err), -1);
	ck_assert_int_eq(sxf_writer_member_begin(w, "big.bin", &err), 0);
	for (size_t i = 0; i < sizeof(block); i++)
		block[i] = (unsigned char)(i * 7);
	while (left > 0) {
		size_t n = left < sizeof(block) ? (size_t)left : sizeof(block);
		ck_assert_int_eq(sxf_writer_member_write(w, block, n, &err), 0);
		for (size_t i = 0; i < n; i++)
			sum = sum * 31 + block[i];
		left -= n;
	}
	ck_assert_int_eq(sxf_writer_member_end(w, &err), 0);
	ck_assert_int_eq(sxf_writer_finish(w, &h, test_key, fileno(f), NULL, &err), 0);
	sxf_writer_free(w);
	rewind(f);
	*checksum = sum;
	return f;
}

START_TEST(write_then_read)
{
	struct collected c;
	struct sxf_read_ops ops = {
		.signer_key = lookup, .expect_to = "ASOC",
		.on_member_begin = on_begin, .on_member_data = on_data,
		.on_member_end = on_end, .ctx = &c,
	};
	struct sxf_read_result res;
	struct sp_error err;
	unsigned sum;
	FILE *f = write_sample(3 * 1000 * 1000 + 17, &sum);

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(sxf_read_fd(fileno(f), NULL, &ops, &res, &err), 0);
	ck_assert_int_eq(res.signature_checked, 1);
	ck_assert_uint_eq(res.members, 2);
	ck_assert_str_eq(c.names[0], "small.jsonl");
	ck_assert_str_eq(c.names[1], "big.bin");
	ck_assert_uint_eq(c.bytes[1], 3 * 1000 * 1000 + 17);
	ck_assert_uint_eq(c.checksum, sum);
	ck_assert_str_eq(res.header.kind, "data");
	fclose(f);
}
END_TEST

START_TEST(read_refuses_other_recipient_and_signer)
{
	struct sxf_read_ops ops = { .signer_key = lookup, .expect_to = "CSOC" };
	struct sxf_read_result res;
	struct sp_error err;
	unsigned sum;
	FILE *f = write_sample(10, &sum);

	ck_assert_int_eq(sxf_read_fd(fileno(f), NULL, &ops, &res, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "addressed to ASOC"));
	ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
	fclose(f);
}
END_TEST

START_TEST(read_stops_at_member_limit)
{
	struct sxf_limits lim = sxf_default_limits;
	struct sxf_read_ops ops = { .signer_key = lookup };
	struct sxf_read_result res;
	struct sp_error err;
	unsigned sum;
	FILE *f = write_sample(100000, &sum);

	lim.max_member = 99999;
	ck_assert_int_eq(sxf_read_fd(fileno(f), &lim, &ops, &res, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "over the limit"));
	ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
	ck_assert_uint_eq(res.members, 1);
	fclose(f);
}
END_TEST

START_TEST(read_never_accepts_altered_content)
{
	struct collected c;
	struct sxf_read_ops ops = {
		.signer_key = lookup, .on_member_begin = on_begin,
		.on_member_data = on_data, .on_member_end = on_end, .ctx = &c,
	};
	struct sxf_read_result res;
	struct sp_error err;
	unsigned sum;
	FILE *f = write_sample(20000, &sum), *g;
	long size;
	char *buf;

	fseek(f, 0, SEEK_END);
	size = ftell(f);
	rewind(f);
	buf = malloc((size_t)size);
	ck_assert_int_eq(fread(buf, 1, (size_t)size, f), size);
	/* A flipped byte is caught by gzip's CRC, tar, a hash or the
	 * signature; the only flips accepted are those that change nothing
	 * (such as deflate's unused padding bits). */
	for (long pos = 0; pos < size; pos++) {
		g = tmpfile();
		buf[pos] ^= 0x20;
		fwrite(buf, 1, (size_t)size, g);
		buf[pos] ^= 0x20;
		rewind(g);
		memset(&c, 0, sizeof(c));
		if (sxf_read_fd(fileno(g), NULL, &ops, &res, &err) == 0)
			ck_assert_msg(c.checksum == sum && c.n == 2,
			    "flipped byte %ld accepted with altered content", pos);
		fclose(g);
	}
	free(buf);
	fclose(f);
}
END_TEST

/* What failed decides the kind: a file that cannot be read is io (with its
 * errno), one that is not an sxf is refused; a prefix keeps the kind. */
START_TEST(errors_have_a_kind)
{
	struct sxf_read_ops ops = { .signer_key = lookup };
	struct sxf_read_result res;
	struct sp_error err;
	FILE *f = tmpfile();
	int dir = open("/", O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(dir, 0);
	ck_assert_int_eq(sxf_read_fd(dir, NULL, &ops, &res, &err), -1);
	ck_assert_int_eq(err.kind, SP_ERR_IO);
	ck_assert_int_eq(err.sys_errno, EISDIR);
	close(dir);
	fputs("not an exchange file\n", f);
	rewind(f);
	ck_assert_int_eq(sxf_read_fd(fileno(f), NULL, &ops, &res, &err), -1);
	ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
	ck_assert_str_eq(sp_error_kind_name(err.kind), "refused");
	ck_assert_int_eq(sp_error_prefix(&err, "F.sxf"), -1);
	ck_assert_int_eq(err.kind, SP_ERR_REFUSED);
	ck_assert_int_eq(sp_error_set(&err, "plain"), -1);
	ck_assert_int_eq(err.kind, SP_ERR_OTHER);
	errno = ENOSPC;
	ck_assert_int_eq(sp_error_io(&err, "%s", "disk"), -1);
	ck_assert_int_eq(err.kind, SP_ERR_IO);
	ck_assert_int_eq(err.sys_errno, ENOSPC);
	fclose(f);
}
END_TEST

int
main(void)
{
	struct sp_error err;
	Suite *s = suite_create("sxf");
	TCase *tc = tcase_create("sxf");
	SRunner *sr;
	int failed;

	test_key = key_generate(&err);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, header_round_trip);
	tcase_add_test(tc, header_rejects);
	tcase_add_test(tc, format_lists);
	tcase_add_test(tc, format_pick_is_the_newest_both_sides_know);
	tcase_add_test(tc, member_names);
	tcase_add_test(tc, manifest_parse);
	tcase_add_test(tc, write_then_read);
	tcase_add_test(tc, read_refuses_other_recipient_and_signer);
	tcase_add_test(tc, read_stops_at_member_limit);
	tcase_add_test(tc, read_never_accepts_altered_content);
	tcase_add_test(tc, errors_have_a_kind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	EVP_PKEY_free(test_key);
	return failed == 0 ? 0 : 1;
}
