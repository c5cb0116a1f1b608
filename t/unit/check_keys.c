/* check_keys.c: unit tests for Ed25519 keys (keys.c) and output files
 * (atomic_out.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "util/atomic_out.h"
#include "sxf/keys.h"

static char dir[] = "/tmp/check_keys.XXXXXX";

static void
setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/check_keys.XXXXXX");
}

/* The PEM of key (private or public) as OpenSSL writes it; caller frees. */
static char *
pem_of(EVP_PKEY *key, int private)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	ck_assert_ptr_nonnull(bio);
	ck_assert(private ? PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0,
	    NULL, NULL) : PEM_write_bio_PUBKEY(bio, key));
	n = BIO_get_mem_data(bio, &data);
	out = strndup(data, (size_t)n);
	BIO_free(bio);
	ck_assert_ptr_nonnull(out);
	return out;
}

static char *
joined(const char *a, const char *b, const char *c)
{
	size_t n = strlen(a) + strlen(b) + strlen(c) + 1;
	char *s = malloc(n);

	ck_assert_ptr_nonnull(s);
	snprintf(s, n, "%s%s%s", a, b, c);
	return s;
}

/* Keys in the form OpenSSL writes read without its decoders, as the same
 * keys; anything else is left to OpenSSL. */
START_TEST(pem_keys_read_fast)
{
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *x = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	EVP_PKEY *k[3];
	char *edpub, *xpub, *edpriv, *xpriv, *two, *privs, *odd;

	ck_assert_ptr_nonnull(ed);
	ck_assert_ptr_nonnull(x);
	edpub = pem_of(ed, 0);
	xpub = pem_of(x, 0);
	edpriv = pem_of(ed, 1);
	xpriv = pem_of(x, 1);
	two = joined(edpub, "\n", xpub);
	ck_assert_int_eq(key_pem_fast(two, strlen(two), 0, k, 3), 2);
	ck_assert_int_eq(EVP_PKEY_eq(k[0], ed), 1);
	ck_assert_int_eq(EVP_PKEY_eq(k[1], x), 1);
	EVP_PKEY_free(k[0]);
	EVP_PKEY_free(k[1]);
	privs = joined(edpriv, "", xpriv);
	ck_assert_int_eq(key_pem_fast(privs, strlen(privs), 1, k, 3), 2);
	ck_assert_int_eq(EVP_PKEY_eq(k[0], ed), 1);
	ck_assert_int_eq(EVP_PKEY_get_id(k[1]), EVP_PKEY_X25519);
	ck_assert_int_eq(EVP_PKEY_eq(k[1], x), 1);
	EVP_PKEY_free(k[0]);
	EVP_PKEY_free(k[1]);
	/* Left to OpenSSL: the wrong kind of block, more blocks than asked
	 * for, text around the blocks, a cut body. */
	ck_assert_int_eq(key_pem_fast(edpriv, strlen(edpriv), 0, k, 3), 0);
	ck_assert_int_eq(key_pem_fast(edpub, strlen(edpub), 1, k, 3), 0);
	ck_assert_int_eq(key_pem_fast(two, strlen(two), 0, k, 1), 0);
	odd = joined("comment\n", edpub, "");
	ck_assert_int_eq(key_pem_fast(odd, strlen(odd), 0, k, 3), 0);
	free(odd);
	odd = joined(edpub, "trailing", "");
	ck_assert_int_eq(key_pem_fast(odd, strlen(odd), 0, k, 3), 0);
	free(odd);
	odd = strdup(edpub);
	memmove(odd + 30, odd + 34, strlen(odd + 34) + 1);
	ck_assert_int_eq(key_pem_fast(odd, strlen(odd), 0, k, 3), 0);
	free(odd);
	/* And what OpenSSL reads, the callers still read. */
	{
		struct sp_error err;
		EVP_PKEY *p = key_parse_public(two, &err);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(EVP_PKEY_eq(p, ed), 1);
		EVP_PKEY_free(p);
		odd = joined("comment\n", edpub, "");
		p = key_parse_public(odd, &err);
		ck_assert_ptr_nonnull(p);
		ck_assert_int_eq(EVP_PKEY_eq(p, ed), 1);
		EVP_PKEY_free(p);
		free(odd);
		ck_assert_ptr_null(key_parse_public(xpub, &err));
	}
	free(edpub);
	free(xpub);
	free(edpriv);
	free(xpriv);
	free(two);
	free(privs);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(x);
}
END_TEST

START_TEST(sign_and_verify)
{
	struct sp_error err;
	EVP_PKEY *k = key_generate(&err), *other = key_generate(&err);
	unsigned char sig[SIGNATURE_LEN];
	const char msg[] = "format: sxf 1\n";

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(key_sign(k, msg, sizeof(msg) - 1, sig, &err), 0);
	ck_assert_int_eq(key_verify(k, msg, sizeof(msg) - 1, sig, sizeof(sig)), 1);
	ck_assert_int_eq(key_verify(other, msg, sizeof(msg) - 1, sig, sizeof(sig)), 0);
	ck_assert_int_eq(key_verify(k, msg, sizeof(msg) - 2, sig, sizeof(sig)), 0);
	ck_assert_int_eq(key_verify(k, msg, sizeof(msg) - 1, sig, 63), 0);
	sig[10] ^= 1;
	ck_assert_int_eq(key_verify(k, msg, sizeof(msg) - 1, sig, sizeof(sig)), 0);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(files_round_trip)
{
	struct sp_error err;
	char priv[128], pub[128];
	EVP_PKEY *k = key_generate(&err), *loaded, *pubkey;
	char *pem, *pem2;
	struct stat st;

	snprintf(priv, sizeof(priv), "%s/k.key", dir);
	snprintf(pub, sizeof(pub), "%s/k.pub", dir);
	ck_assert_int_eq(key_write_private(k, priv, &err), 0);
	ck_assert_int_eq(key_write_public(k, pub, &err), 0);
	ck_assert_int_eq(stat(priv, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* never replaces an existing key */
	ck_assert_int_eq(key_write_private(k, priv, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "File exists"));

	loaded = key_load_private(priv, &err);
	ck_assert_ptr_nonnull(loaded);
	pem = key_public_pem(k, &err);
	pem2 = file_read_small(pub, 4096, NULL, &err);
	ck_assert_str_eq(pem, pem2);
	pubkey = key_parse_public(pem, &err);
	ck_assert_ptr_nonnull(pubkey);
	ck_assert_int_eq(EVP_PKEY_eq(pubkey, loaded), 1);
	ck_assert_ptr_null(key_parse_public("junk", &err));
	free(pem);
	free(pem2);
	EVP_PKEY_free(k);
	EVP_PKEY_free(loaded);
	EVP_PKEY_free(pubkey);
}
END_TEST

START_TEST(small_file_limit)
{
	struct sp_error err;
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/big", dir);
	f = fopen(path, "w");
	for (int i = 0; i < 100; i++)
		fputs("0123456789", f);
	fclose(f);
	ck_assert_ptr_null(file_read_small(path, 999, NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "too large"));
	free(file_read_small(path, 1000, NULL, &err));
}
END_TEST

START_TEST(fat_size_limit)
{
	ck_assert_int_eq(atomic_out_size_fits(0x4d44, 4294967294ULL), 0);
	ck_assert_int_eq(atomic_out_size_fits(0x4d44, 4294967295ULL), -1);
	ck_assert_int_eq(atomic_out_size_fits(0x4d44, 5ULL << 30), -1);
	/* ext4 */
	ck_assert_int_eq(atomic_out_size_fits(0xEF53, 5ULL << 30), 0);
}
END_TEST

/* Entries of dir whose name starts with '.' (temporary outputs), and all
 * entries, "." and ".." aside. */
static int
count_entries(int *hidden)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	*hidden = 0;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		n++;
		if (e->d_name[0] == '.')
			(*hidden)++;
	}
	closedir(d);
	return n;
}

#define MANY_OUTPUTS 20

/* In a child: opens MANY_OUTPUTS outputs and leaves them open; how it ends
 * is how (0 raise SIGTERM, else exit with that status). */
static void
child_with_open_outputs(int how)
{
	static struct atomic_out o[MANY_OUTPUTS];
	struct sp_error err;
	char name[32];

	atomic_out_cleanup_on_signals();
	for (int i = 0; i < MANY_OUTPUTS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		if (atomic_out_open(&o[i], dir, name, &err) != 0)
			_exit(99);
		if (write(o[i].fd, "x", 1) != 1)
			_exit(98);
	}
	if (how == 0)
		raise(SIGTERM);
	exit(how);
}

/* Runs child_with_open_outputs(how) and returns its wait status. */
static int
run_child(int how)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		child_with_open_outputs(how);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

START_TEST(many_outputs_removed_on_signal)
{
	int status = run_child(0), hidden;

	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(count_entries(&hidden), 0);
}
END_TEST

START_TEST(outputs_removed_on_exit)
{
	int status = run_child(3), hidden;

	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 3);
	ck_assert_int_eq(count_entries(&hidden), 0);
}
END_TEST

START_TEST(many_outputs_commit_and_abort)
{
	struct atomic_out o[MANY_OUTPUTS];
	struct sp_error err;
	char name[32];
	int hidden;

	for (int i = 0; i < MANY_OUTPUTS; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		ck_assert_int_eq(atomic_out_open(&o[i], dir, name, &err), 0);
	}
	ck_assert_int_eq(count_entries(&hidden), MANY_OUTPUTS);
	ck_assert_int_eq(hidden, MANY_OUTPUTS);
	/* Out of order, so removal from the middle of the list is used. */
	for (int i = 0; i < MANY_OUTPUTS; i += 2)
		ck_assert_int_eq(atomic_out_commit(&o[i], &err), 0);
	for (int i = MANY_OUTPUTS - 1; i > 0; i -= 2)
		atomic_out_abort(&o[i]);
	ck_assert_int_eq(count_entries(&hidden), MANY_OUTPUTS / 2);
	ck_assert_int_eq(hidden, 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("keys");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sign_and_verify);
	tcase_add_test(tc, pem_keys_read_fast);
	tcase_add_test(tc, files_round_trip);
	tcase_add_test(tc, small_file_limit);
	tcase_add_test(tc, fat_size_limit);
	tcase_add_test(tc, many_outputs_removed_on_signal);
	tcase_add_test(tc, outputs_removed_on_exit);
	tcase_add_test(tc, many_outputs_commit_and_abort);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
