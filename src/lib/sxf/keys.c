/* keys.c: Ed25519 key pairs through OpenSSL's EVP interface. */
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

#include "sxf/keys.h"

int
openssl_error(struct sp_error *err, const char *what)
{
	unsigned long e = ERR_get_error();
	char buf[256];

	ERR_clear_error();
	if (e == 0)
		return sp_error_set(err, "%s", what);
	ERR_error_string_n(e, buf, sizeof(buf));
	return sp_error_set(err, "%s: %s", what, buf);
}

EVP_PKEY *
key_generate(struct sp_error *err)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	if (key == NULL)
		openssl_error(err, "cannot generate an Ed25519 key");
	return key;
}

static int
write_pem(EVP_PKEY *key, const char *path, mode_t mode, int private,
    struct sp_error *err)
{
	FILE *f;
	int fd, ok;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		unlink(path);
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	}
	ok = private ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
	    : PEM_write_PUBKEY(f, key);
	if (!ok || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(path);
		return openssl_error(err, path);
	}
	if (fclose(f) != 0) {
		unlink(path);
		return sp_error_io(err, "%s: %s", path, strerror(errno));
	}
	return 0;
}

int
key_write_private(EVP_PKEY *key, const char *path, struct sp_error *err)
{
	return write_pem(key, path, 0600, 1, err);
}

int
key_write_public(EVP_PKEY *key, const char *path, struct sp_error *err)
{
	return write_pem(key, path, 0644, 0, err);
}

char *
key_public_pem(EVP_PKEY *key, struct sp_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (bio == NULL || !PEM_write_bio_PUBKEY(bio, key)) {
		openssl_error(err, "cannot encode the public key");
		BIO_free(bio);
		return NULL;
	}
	n = BIO_get_mem_data(bio, &data);
	out = malloc((size_t)n + 1);
	if (out == NULL)
		sp_error_set(err, "out of memory");
	else {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	return out;
}

static EVP_PKEY *
require_ed25519(EVP_PKEY *key, const char *what, struct sp_error *err)
{
	if (key != NULL && EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		sp_error_set(err, "%s: not an Ed25519 key", what);
		return NULL;
	}
	return key;
}

EVP_PKEY *
key_load_private_type(const char *path, int type, int *absent,
    struct sp_error *err)
{
	EVP_PKEY *key = NULL;
	size_t len;
	char *pem = file_read_small(path, 64 * 1024, &len, err);
	BIO *bio;

	if (absent != NULL)
		*absent = 0;
	if (pem == NULL)
		return NULL;
	/* The file's bytes are wiped as soon as the keys are parsed. */
	{
		EVP_PKEY *fast[4];
		int n = key_pem_fast(pem, len, 1, fast, 4);

		for (int i = 0; i < n; i++)
			if (key == NULL && EVP_PKEY_get_id(fast[i]) == type)
				key = fast[i];
			else
				EVP_PKEY_free(fast[i]);
		if (n > 0) {
			if (key == NULL && absent != NULL)
				*absent = 1;
			if (key == NULL)
				sp_error_set(err, "%s: no %s key in the file", path,
				    type == EVP_PKEY_ED25519 ? "Ed25519" : "X25519");
			OPENSSL_cleanse(pem, len);
			free(pem);
			return key;
		}
	}
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		sp_error_set(err, "out of memory");
	else {
		EVP_PKEY *k;
		int blocks = 0;

		while ((k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL))
		    != NULL) {
			blocks++;
			if (key == NULL && EVP_PKEY_get_id(k) == type)
				key = k;
			else
				EVP_PKEY_free(k);
		}
		ERR_clear_error();
		if (key == NULL && blocks == 0) {
			sp_error_set(err, "%s: not a PEM private key", path);
		} else if (key == NULL) {
			if (absent != NULL)
				*absent = 1;
			sp_error_set(err, "%s: no %s key in the file", path,
			    type == EVP_PKEY_ED25519 ? "Ed25519" : "X25519");
		}
		BIO_free(bio);
	}
	OPENSSL_cleanse(pem, len);
	free(pem);
	return key;
}

EVP_PKEY *
key_load_private(const char *path, struct sp_error *err)
{
	return key_load_private_type(path, EVP_PKEY_ED25519, NULL, err);
}

EVP_PKEY *
key_parse_public(const char *pem, struct sp_error *err)
{
	EVP_PKEY *fast[3];
	int n = key_pem_fast(pem, strlen(pem), 0, fast, 3);
	BIO *bio;
	EVP_PKEY *key;

	if (n > 0) {
		while (n > 1)
			EVP_PKEY_free(fast[--n]);
		return require_ed25519(fast[0], "public key", err);
	}
	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (key == NULL) {
		openssl_error(err, "not a PEM public key");
		return NULL;
	}
	return require_ed25519(key, "public key", err);
}

char *
file_read_small(const char *path, size_t max, size_t *len,
    struct sp_error *err)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL) {
		sp_error_io(err, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Unbuffered: no copy of a key file stays in stdio's buffer. */
	setvbuf(f, NULL, _IONBF, 0);
	buf = malloc(max + 1);
	if (buf == NULL) {
		fclose(f);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max) {
		sp_error_set(err, "%s: %s", path,
		    ferror(f) ? "read error" : "file too large");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

int
key_sign(EVP_PKEY *key, const void *msg, size_t len,
    unsigned char sig[SIGNATURE_LEN], struct sp_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t siglen = SIGNATURE_LEN;
	int rc = -1;

	if (ctx == NULL)
		return sp_error_set(err, "out of memory");
	/* Ed25519 is one-shot: no digest is named and the whole message is
	 * passed at once. */
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) != 1 ||
	    EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != SIGNATURE_LEN)
		openssl_error(err, "cannot sign");
	else
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

int
key_verify(EVP_PKEY *key, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = 0;

	if (ctx == NULL)
		return 0;
	if (siglen == SIGNATURE_LEN &&
	    EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestVerify(ctx, sig, siglen, msg, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	ERR_clear_error();
	return ok;
}
