/* seal.c: chunked ChaCha20-Poly1305 under an X25519 + HKDF-SHA256 key. */
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include "sxf/keys.h"
#include "sxf/seal.h"

#define refuse(err, ...) sp_error_setk((err), SP_ERR_REFUSED, 0, __VA_ARGS__)

void
seal_nonce(uint64_t counter, int last, unsigned char nonce[SEAL_NONCE])
{
	memset(nonce, 0, SEAL_NONCE);
	for (int i = 0; i < 8; i++)
		nonce[10 - i] = (unsigned char)(counter >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

static int
raw_public(EVP_PKEY *key, unsigned char out[SEAL_PUB], struct sp_error *err)
{
	size_t len = SEAL_PUB;

	if (EVP_PKEY_get_id(key) != EVP_PKEY_X25519)
		return sp_error_set(err, "not an X25519 key");
	if (EVP_PKEY_get_raw_public_key(key, out, &len) != 1 ||
	    len != SEAL_PUB)
		return openssl_error(err, "cannot read an X25519 public key");
	return 0;
}

int
seal_content_key(EVP_PKEY *priv, EVP_PKEY *peer_pub,
    const unsigned char ephemeral_pub[SEAL_PUB],
    const unsigned char recipient_pub[SEAL_PUB], const void *info,
    size_t info_len, unsigned char key[SEAL_KEY], struct sp_error *err)
{
	unsigned char shared[32], salt[2 * SEAL_PUB];
	size_t shared_len = sizeof(shared);
	EVP_PKEY_CTX *dh = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	EVP_KDF *kdf = NULL;
	EVP_KDF_CTX *kctx = NULL;
	OSSL_PARAM params[5];
	int rc = -1;

	if (dh == NULL || EVP_PKEY_derive_init(dh) != 1 ||
	    EVP_PKEY_derive_set_peer(dh, peer_pub) != 1 ||
	    EVP_PKEY_derive(dh, shared, &shared_len) != 1 ||
	    shared_len != sizeof(shared)) {
		/* OpenSSL refuses an all-zero secret (a low-order point). */
		openssl_error(err, "X25519 key agreement failed");
		goto cleanup;
	}
	memcpy(salt, ephemeral_pub, SEAL_PUB);
	memcpy(salt + SEAL_PUB, recipient_pub, SEAL_PUB);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
	    (char *)"SHA256", 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
	    shared, shared_len);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
	    salt, sizeof(salt));
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
	    (void *)info, info_len);
	params[4] = OSSL_PARAM_construct_end();
	if ((kdf = EVP_KDF_fetch(NULL, "HKDF", NULL)) == NULL ||
	    (kctx = EVP_KDF_CTX_new(kdf)) == NULL ||
	    EVP_KDF_derive(kctx, key, SEAL_KEY, params) != 1) {
		openssl_error(err, "HKDF-SHA256 failed");
		goto cleanup;
	}
	rc = 0;
cleanup:
	OPENSSL_cleanse(shared, sizeof(shared));
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	EVP_PKEY_CTX_free(dh);
	return rc;
}

/* What writer and opener share: the key, the cipher, the counter. */
struct seal_stream {
	unsigned char key[SEAL_KEY];
	EVP_CIPHER_CTX *cipher;
	uint64_t counter;
	int ended;		/* the last chunk went by */
};

static int
stream_init(struct seal_stream *st, struct sp_error *err)
{
	st->cipher = EVP_CIPHER_CTX_new();
	if (st->cipher == NULL)
		return sp_error_set(err, "out of memory");
	return 0;
}

static void
stream_wipe(struct seal_stream *st)
{
	OPENSSL_cleanse(st->key, sizeof(st->key));
	EVP_CIPHER_CTX_free(st->cipher);
	st->cipher = NULL;
}

/* Encrypts (enc 1) or opens len bytes of in into out; the tag is written
 * to or checked against tag. */
static int
stream_chunk(struct seal_stream *st, int enc, const unsigned char *in,
    size_t len, int last, unsigned char *out, unsigned char *tag)
{
	unsigned char nonce[SEAL_NONCE];
	int n = 0, fin = 0;

	seal_nonce(st->counter, last, nonce);
	if (EVP_CipherInit_ex(st->cipher, EVP_chacha20_poly1305(), NULL,
	    st->key, nonce, enc) != 1)
		return -1;
	if (!enc && EVP_CIPHER_CTX_ctrl(st->cipher, EVP_CTRL_AEAD_SET_TAG,
	    SEAL_TAG, tag) != 1)
		return -1;
	if (len > 0 && EVP_CipherUpdate(st->cipher, out, &n, in, (int)len)
	    != 1)
		return -1;
	if (EVP_CipherFinal_ex(st->cipher, out + n, &fin) != 1)
		return -1;
	if (enc && EVP_CIPHER_CTX_ctrl(st->cipher, EVP_CTRL_AEAD_GET_TAG,
	    SEAL_TAG, tag) != 1)
		return -1;
	st->counter++;
	st->ended = last;
	return 0;
}

struct seal_writer {
	struct seal_stream st;
	seal_out_fn out;
	void *out_ctx;
	size_t fill;
	unsigned char plain[SEAL_CHUNK];
	unsigned char sealed[SEAL_CHUNK + SEAL_TAG];
};

struct seal_writer *
seal_writer_new(EVP_PKEY *recipient, EVP_PKEY *ephemeral, const void *info,
    size_t info_len, seal_out_fn out, void *out_ctx, struct sp_error *err)
{
	struct seal_writer *w = calloc(1, sizeof(*w));
	unsigned char eph_pub[SEAL_PUB], rec_pub[SEAL_PUB];
	EVP_PKEY *eph = ephemeral;

	if (w == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	w->out = out;
	w->out_ctx = out_ctx;
	if (eph == NULL && (eph = EVP_PKEY_Q_keygen(NULL, NULL, "X25519"))
	    == NULL) {
		openssl_error(err, "cannot make an ephemeral X25519 key");
		free(w);
		return NULL;
	}
	if (stream_init(&w->st, err) != 0 ||
	    raw_public(eph, eph_pub, err) != 0 ||
	    raw_public(recipient, rec_pub, err) != 0 ||
	    seal_content_key(eph, recipient, eph_pub, rec_pub, info, info_len,
	    w->st.key, err) != 0 ||
	    out(out_ctx, eph_pub, sizeof(eph_pub), err) != 0) {
		if (eph != ephemeral)
			EVP_PKEY_free(eph);
		seal_writer_free(w);
		return NULL;
	}
	/* The ephemeral private key is of no further use: freed (and
	 * wiped by OpenSSL) at once. */
	if (eph != ephemeral)
		EVP_PKEY_free(eph);
	return w;
}

static int
emit(struct seal_writer *w, int last, struct sp_error *err)
{
	if (stream_chunk(&w->st, 1, w->plain, w->fill, last, w->sealed,
	    w->sealed + w->fill) != 0)
		return openssl_error(err, "ChaCha20-Poly1305 failed");
	if (w->out(w->out_ctx, w->sealed, w->fill + SEAL_TAG, err) != 0)
		return -1;
	w->fill = 0;
	return 0;
}

int
seal_writer_write(struct seal_writer *w, const void *buf, size_t len,
    struct sp_error *err)
{
	const unsigned char *p = buf;

	if (w->st.ended)
		return sp_error_set(err, "sealed stream already finished");
	while (len > 0) {
		size_t n = SEAL_CHUNK - w->fill;

		/* A full chunk waits for the next byte: only then is it
		 * known not to be the last. */
		if (n == 0) {
			if (emit(w, 0, err) != 0)
				return -1;
			continue;
		}
		if (n > len)
			n = len;
		memcpy(w->plain + w->fill, p, n);
		w->fill += n;
		p += n;
		len -= n;
	}
	return 0;
}

int
seal_writer_finish(struct seal_writer *w, struct sp_error *err)
{
	if (w->st.ended)
		return sp_error_set(err, "sealed stream already finished");
	if (w->fill == SEAL_CHUNK && emit(w, 0, err) != 0)
		return -1;
	return emit(w, 1, err);
}

void
seal_writer_free(struct seal_writer *w)
{
	if (w == NULL)
		return;
	stream_wipe(&w->st);
	OPENSSL_cleanse(w->plain, sizeof(w->plain));
	free(w);
}

struct seal_opener {
	struct seal_stream st;
};

struct seal_opener *
seal_opener_new(EVP_PKEY *recipient_key,
    const unsigned char ephemeral_pub[SEAL_PUB], const void *info,
    size_t info_len, struct sp_error *err)
{
	struct seal_opener *o = calloc(1, sizeof(*o));
	unsigned char rec_pub[SEAL_PUB];
	EVP_PKEY *eph = NULL;

	if (o == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (stream_init(&o->st, err) != 0 ||
	    raw_public(recipient_key, rec_pub, err) != 0)
		goto fail;
	eph = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL,
	    ephemeral_pub, SEAL_PUB);
	if (eph == NULL) {
		openssl_error(err, "bad ephemeral key");
		sp_error_retag(err, SP_ERR_REFUSED);
		goto fail;
	}
	if (seal_content_key(recipient_key, eph, ephemeral_pub, rec_pub, info,
	    info_len, o->st.key, err) != 0) {
		sp_error_retag(err, SP_ERR_REFUSED);
		goto fail;
	}
	EVP_PKEY_free(eph);
	return o;
fail:
	EVP_PKEY_free(eph);
	seal_opener_free(o);
	return NULL;
}

ssize_t
seal_opener_chunk(struct seal_opener *o, unsigned char *in,
    size_t in_len, unsigned char *out, struct sp_error *err)
{
	size_t len;
	int last;

	if (o->st.ended)
		return refuse(err, "sealed data after its last chunk");
	if (in_len < SEAL_TAG || in_len > SEAL_CHUNK + SEAL_TAG)
		return refuse(err, "sealed chunk %llu is %zu bytes: truncated",
		    (unsigned long long)o->st.counter, in_len);
	len = in_len - SEAL_TAG;
	/* Only the last chunk is short, and it must be. */
	last = len < SEAL_CHUNK;
	if (stream_chunk(&o->st, 0, in, len, last, out,
	    in + len) != 0) {
		ERR_clear_error();
		return refuse(err, "sealed chunk %llu does not authenticate "
		    "(altered, truncated, reordered or from another file)",
		    (unsigned long long)o->st.counter);
	}
	return (ssize_t)len;
}

int
seal_opener_ended(const struct seal_opener *o)
{
	return o->st.ended;
}

void
seal_opener_free(struct seal_opener *o)
{
	if (o == NULL)
		return;
	stream_wipe(&o->st);
	free(o);
}
