/* seal_keys.c: X25519 sealing keys through OpenSSL's EVP interface. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "util/hexenc.h"
#include "sxf/keys.h"
#include "sxf/seal_keys.h"

EVP_PKEY *
seal_key_generate(struct sp_error *err)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");

	if (key == NULL)
		sp_error_set(err, "cannot generate an X25519 key");
	return key;
}

int
seal_keys_parse_public(const char *pem, EVP_PKEY **signing,
    EVP_PKEY **sealing, struct sp_error *err)
{
	EVP_PKEY *k[3] = { NULL, NULL, NULL };
	int n = key_pem_fast(pem, strlen(pem), 0, k, 3);

	*signing = *sealing = NULL;
	if (n == 0) {
		BIO *bio = BIO_new_mem_buf(pem, -1);
		if (bio == NULL)
			return sp_error_set(err, "out of memory");
		while (n < 3 && (k[n] = PEM_read_bio_PUBKEY(bio, NULL, NULL,
		    NULL)) != NULL)
			n++;
		ERR_clear_error();
		BIO_free(bio);
	}
	if (n == 0 || EVP_PKEY_get_id(k[0]) != EVP_PKEY_ED25519 || n == 3 ||
	    (n == 2 && EVP_PKEY_get_id(k[1]) != EVP_PKEY_X25519)) {
		for (int i = 0; i < n; i++)
			EVP_PKEY_free(k[i]);
		return sp_error_set(err, n == 0 ? "not a PEM public key" :
		    "want an Ed25519 public key, then optionally an X25519 "
		    "one");
	}
	*signing = k[0];
	*sealing = k[1];
	return 0;
}

EVP_PKEY *
seal_key_parse_public(const char *pem, struct sp_error *err)
{
	EVP_PKEY *fast[3], *key;
	int n = key_pem_fast(pem, strlen(pem), 0, fast, 3);

	if (n > 0) {
		key = fast[0];
		while (n > 1)
			EVP_PKEY_free(fast[--n]);
	} else {
		BIO *bio = BIO_new_mem_buf(pem, -1);
		key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	ERR_clear_error();
	if (key != NULL && EVP_PKEY_get_id(key) != EVP_PKEY_X25519) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	if (key == NULL)
		sp_error_set(err, "not an X25519 public key");
	return key;
}

int
seal_keys_write_public(EVP_PKEY *signing, EVP_PKEY *sealing,
    const char *path, struct sp_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f;

	if (fd < 0)
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(path);
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	}
	if (!PEM_write_PUBKEY(f, signing) || !PEM_write_PUBKEY(f, sealing) ||
	    fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(path);
		return sp_error_set(err, "%s: cannot write the public keys",
		    path);
	}
	if (fclose(f) != 0) {
		unlink(path);
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	}
	return 0;
}

/* Writes old then key's PEM to a new file tmp, created 0600. */
static int
write_key_file(const char *tmp, const char *old, size_t old_len,
    EVP_PKEY *key, struct sp_error *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0)
		return sp_error_io(err, "%s: %s", tmp, strerror(errno));
	if ((f = fdopen(fd, "w")) == NULL) {
		close(fd);
		return sp_error_io(err, "%s: %s", tmp, strerror(errno));
	}
	setvbuf(f, NULL, _IONBF, 0);
	ok = fwrite(old, 1, old_len, f) == old_len &&
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) &&
	    fflush(f) == 0 && fsync(fileno(f)) == 0;
	if (fclose(f) != 0 || !ok)
		return sp_error_io(err, "%s: cannot write the key file", tmp);
	return 0;
}

int
seal_key_append_private(EVP_PKEY *key, const char *path,
    struct sp_error *err)
{
	size_t len, n = strlen(path) + 5;
	char *old = file_read_small(path, 64 * 1024, &len, err);
	char *tmp = malloc(n);
	int rc = -1;

	if (old == NULL || tmp == NULL) {
		if (old != NULL)
			sp_error_set(err, "out of memory");
		goto cleanup;
	}
	snprintf(tmp, n, "%s.new", path);
	if (write_key_file(tmp, old, len, key, err) != 0) {
		unlink(tmp);
		goto cleanup;
	}
	if (rename(tmp, path) != 0) {
		sp_error_io(err, "%s: %s", path, strerror(errno));
		unlink(tmp);
		goto cleanup;
	}
	rc = 0;
cleanup:
	if (old != NULL)
		OPENSSL_cleanse(old, len);
	free(old);
	free(tmp);
	return rc;
}

int
seal_key_fingerprint(EVP_PKEY *key, char *hex, struct sp_error *err)
{
	unsigned char raw[32], digest[SHA256_DIGEST_LENGTH];
	size_t len = sizeof(raw);

	if (EVP_PKEY_get_id(key) != EVP_PKEY_X25519 ||
	    EVP_PKEY_get_raw_public_key(key, raw, &len) != 1 || len != 32)
		return sp_error_set(err, "not an X25519 key");
	if (EVP_Digest(raw, len, digest, NULL, EVP_sha256(), NULL) != 1)
		return sp_error_set(err, "cannot compute SHA-256");
	hex_encode(digest, sizeof(digest), hex);
	return 0;
}
