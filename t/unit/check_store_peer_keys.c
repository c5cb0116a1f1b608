/* check_store_peer_keys.c: conformance cases for what a site keeps of
 * its peers' keys and file settings (store/peer_keys.h). Only the
 * interface is used, so that every backend can be run through the same
 * cases. */
#include <check.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "store/peer_keys.h"
#include "store/site.h"

static char dir[64];
static struct site hub;
static char *bsoc_pem, *csoc_pem;

/* Makes site id in the scratch folder and gives its public key PEM. */
static char *
make_site(const char *id, int is_hub, struct site *keep)
{
	struct sp_error err;
	struct site s;
	char path[128];
	char *pem;

	fixture_site_init(path, sizeof(path), dir, id, id, is_hub);
	ck_assert_msg(site_open(&s, path, FIXTURE_OPEN, &err) == 0, "%s", err.msg);
	pem = site_public_pem(&s, &err);
	ck_assert_msg(pem != NULL, "%s", err.msg);
	if (keep != NULL)
		*keep = s;
	else
		site_close(&s);
	return pem;
}

static void
setup(void)
{
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_store_peer_keys");
	free(make_site("HUB", 1, &hub));
	bsoc_pem = make_site("BSOC", 0, NULL);
	csoc_pem = make_site("CSOC", 0, NULL);
	ck_assert_msg(site_peer_add(&hub, "BSOC", bsoc_pem, NULL, &err) == 0,
	    "%s", err.msg);
}

static void
teardown(void)
{
	site_close(&hub);
	free(bsoc_pem);
	free(csoc_pem);
	fixture_dir_remove(dir);
}

static struct store_peer_settings
settings(const char *peer)
{
	struct store_peer_settings p;
	struct sp_error err;

	ck_assert_msg(store_peer_settings(&hub, peer, &p, &err) == 0, "%s",
	    err.msg);
	return p;
}

START_TEST(a_new_peer_is_gzip_without_a_sealing_key)
{
	struct store_peer_settings p = settings("BSOC");

	ck_assert_int_eq(p.compression, SXF_GZIP);
	ck_assert_ptr_null(p.seal_pub);
	ck_assert_int_eq(p.no_seal, 0);
	ck_assert_int_eq(p.sealed_seen, 0);
	store_peer_settings_free(&p);
}
END_TEST

START_TEST(an_unknown_peer_is_an_error_for_every_operation)
{
	struct store_peer_settings p;
	struct sp_error err;

	ck_assert_int_ne(store_peer_settings(&hub, "XSOC", &p, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "XSOC is not a registered peer"));
	ck_assert_int_ne(store_peer_set_compression(&hub, "XSOC", SXF_ZSTD,
	    &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "XSOC is not a registered peer"));
	ck_assert_int_ne(store_peer_set_no_seal(&hub, "XSOC", 1, &err), 0);
	ck_assert_int_ne(store_peer_set_seal_pub(&hub, "XSOC", "k", &err), 0);
	ck_assert_int_ne(store_peer_note_sealed(&hub, "XSOC", &err), 0);
	ck_assert_int_ne(store_peer_set_signing_pub(&hub, "XSOC", csoc_pem,
	    &err), 0);
}
END_TEST

START_TEST(compression_and_no_seal_are_kept_per_peer)
{
	struct store_peer_settings p;
	struct sp_error err;

	ck_assert_msg(site_peer_add(&hub, "CSOC", csoc_pem, NULL, &err) == 0,
	    "%s", err.msg);
	ck_assert(store_peer_set_compression(&hub, "BSOC", SXF_ZSTD, &err) == 0);
	ck_assert(store_peer_set_no_seal(&hub, "BSOC", 5, &err) == 0);
	p = settings("BSOC");
	ck_assert_int_eq(p.compression, SXF_ZSTD);
	ck_assert_int_eq(p.no_seal, 1);
	store_peer_settings_free(&p);
	p = settings("CSOC");
	ck_assert_int_eq(p.compression, SXF_GZIP);
	ck_assert_int_eq(p.no_seal, 0);
	store_peer_settings_free(&p);
	ck_assert(store_peer_set_no_seal(&hub, "BSOC", 0, &err) == 0);
	ck_assert(store_peer_set_compression(&hub, "BSOC", SXF_GZIP, &err) == 0);
	p = settings("BSOC");
	ck_assert_int_eq(p.compression, SXF_GZIP);
	ck_assert_int_eq(p.no_seal, 0);
	store_peer_settings_free(&p);
}
END_TEST

/* A sealed file seen from a peer is remembered for its key only: a new
 * key, or none, must be proven again by a sealed file. */
START_TEST(sealed_seen_lasts_as_long_as_the_key)
{
	struct store_peer_settings p;
	struct sp_error err;

	ck_assert(store_peer_set_seal_pub(&hub, "BSOC", "KEY-A", &err) == 0);
	ck_assert(store_peer_note_sealed(&hub, "BSOC", &err) == 0);
	p = settings("BSOC");
	ck_assert_str_eq(p.seal_pub, "KEY-A");
	ck_assert_int_eq(p.sealed_seen, 1);
	store_peer_settings_free(&p);
	ck_assert(store_peer_set_seal_pub(&hub, "BSOC", "KEY-A", &err) == 0);
	p = settings("BSOC");
	ck_assert_int_eq(p.sealed_seen, 1);
	store_peer_settings_free(&p);
	ck_assert(store_peer_set_seal_pub(&hub, "BSOC", "KEY-B", &err) == 0);
	p = settings("BSOC");
	ck_assert_str_eq(p.seal_pub, "KEY-B");
	ck_assert_int_eq(p.sealed_seen, 0);
	store_peer_settings_free(&p);
	ck_assert(store_peer_note_sealed(&hub, "BSOC", &err) == 0);
	ck_assert(store_peer_set_seal_pub(&hub, "BSOC", NULL, &err) == 0);
	p = settings("BSOC");
	ck_assert_ptr_null(p.seal_pub);
	ck_assert_int_eq(p.sealed_seen, 0);
	store_peer_settings_free(&p);
}
END_TEST

START_TEST(a_new_signing_key_replaces_the_old_one)
{
	struct sp_error err;
	EVP_PKEY *key, *want;
	struct site s;
	char path[128];

	ck_assert(store_peer_set_signing_pub(&hub, "BSOC", csoc_pem, &err) == 0);
	key = site_peer_key(&hub, "BSOC", &err);
	ck_assert_msg(key != NULL, "%s", err.msg);
	fixture_site_path(path, sizeof(path), dir, "CSOC");
	ck_assert_msg(site_open(&s, path, FIXTURE_OPEN, &err) == 0, "%s", err.msg);
	want = site_private_key(&s, &err);
	ck_assert_msg(want != NULL, "%s", err.msg);
	ck_assert_int_eq(EVP_PKEY_eq(key, want), 1);
	EVP_PKEY_free(want);
	EVP_PKEY_free(key);
	site_close(&s);
}
END_TEST

START_TEST(the_versions_a_peer_reads)
{
	struct store_peer_settings p = settings("BSOC");
	struct sp_error err;

	ck_assert_ptr_null(p.reads);
	store_peer_settings_free(&p);
	ck_assert_int_eq(store_peer_set_reads(&hub, "BSOC", "1 2", &err), 0);
	p = settings("BSOC");
	ck_assert_str_eq(p.reads, "1 2");
	store_peer_settings_free(&p);
	ck_assert_int_ne(store_peer_set_reads(&hub, "XSOC", "1", &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "XSOC is not a registered peer"));
}
END_TEST

START_TEST(the_site_keeps_its_own_sealing_key)
{
	struct sp_error err;
	char *pem;

	ck_assert_int_eq(store_site_seal_pub(&hub, &pem, &err), 1);
	ck_assert_ptr_nonnull(strstr(pem, "BEGIN PUBLIC KEY"));
	free(pem);
	ck_assert(store_site_set_seal_pub(&hub, NULL, &err) == 0);
	ck_assert_int_eq(store_site_seal_pub(&hub, &pem, &err), 0);
	ck_assert_ptr_null(pem);
	ck_assert(store_site_set_seal_pub(&hub, "KEY-C", &err) == 0);
	ck_assert_int_eq(store_site_seal_pub(&hub, &pem, &err), 1);
	ck_assert_str_eq(pem, "KEY-C");
	free(pem);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_peer_keys");
	TCase *tc = tcase_create("peer_keys");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_new_peer_is_gzip_without_a_sealing_key);
	tcase_add_test(tc, an_unknown_peer_is_an_error_for_every_operation);
	tcase_add_test(tc, compression_and_no_seal_are_kept_per_peer);
	tcase_add_test(tc, sealed_seen_lasts_as_long_as_the_key);
	tcase_add_test(tc, a_new_signing_key_replaces_the_old_one);
	tcase_add_test(tc, the_versions_a_peer_reads);
	tcase_add_test(tc, the_site_keeps_its_own_sealing_key);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
