/* keys_pem.c: reads the PEM key blocks this project writes without
 * OpenSSL's decoder framework, which spends about 0.4 ms a key (2 ms on
 * the first) finding a decoder: five keys made up a tenth of the time a
 * one-record file took to verify and apply. Anything else is left to
 * OpenSSL (keys.h). */
#include <string.h>

#include <openssl/evp.h>

#include "sxf/keys.h"

/* The DER of an RFC 8410 key as OpenSSL writes it, up to the last byte
 * of the algorithm's OID (0x70 Ed25519, 0x6e X25519); the 32 bytes of the
 * key follow what comes after that byte. */
static const unsigned char spki_head[] = {
	0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
};
static const unsigned char spki_tail[] = { 0x03, 0x21, 0x00 };
static const unsigned char pkcs8_head[] = {
	0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65,
};
static const unsigned char pkcs8_tail[] = { 0x04, 0x22, 0x04, 0x20 };

#define KEY_BYTES 32

/* The key of der (n bytes), NULL when it is not in the form above. */
static EVP_PKEY *
raw_key(const unsigned char *der, size_t n, int private)
{
	const unsigned char *head = private ? pkcs8_head : spki_head;
	const unsigned char *tail = private ? pkcs8_tail : spki_tail;
	size_t hn = private ? sizeof(pkcs8_head) : sizeof(spki_head);
	size_t tn = private ? sizeof(pkcs8_tail) : sizeof(spki_tail);
	int type;

	if (n != hn + 1 + tn + KEY_BYTES || memcmp(der, head, hn) != 0 ||
	    memcmp(der + hn + 1, tail, tn) != 0)
		return NULL;
	if (der[hn] == 0x70)
		type = EVP_PKEY_ED25519;
	else if (der[hn] == 0x6e)
		type = EVP_PKEY_X25519;
	else
		return NULL;
	der += hn + 1 + tn;
	return private ? EVP_PKEY_new_raw_private_key(type, NULL, der,
	    KEY_BYTES) : EVP_PKEY_new_raw_public_key(type, NULL, der,
	    KEY_BYTES);
}

static const char *
skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	return p;
}

/* The key of the block at *p, which moves past it; NULL when the block
 * is not one this file reads. */
static EVP_PKEY *
next_key(const char **p, const char *end, int private)
{
	const char *begin = private ? "-----BEGIN PRIVATE KEY-----" :
	    "-----BEGIN PUBLIC KEY-----";
	const char *close = private ? "-----END PRIVATE KEY-----" :
	    "-----END PUBLIC KEY-----";
	size_t bn = strlen(begin), cn = strlen(close);
	unsigned char der[128];
	const char *body, *stop;
	EVP_ENCODE_CTX *ctx;
	EVP_PKEY *key = NULL;
	int n = 0, last = 0;

	if ((size_t)(end - *p) < bn + cn || memcmp(*p, begin, bn) != 0 ||
	    ((*p)[bn] != '\n' && (*p)[bn] != '\r'))
		return NULL;
	body = *p + bn;
	stop = memchr(body, '-', (size_t)(end - body));
	/* Short bodies only: the keys read here are 60 or 64 characters. */
	if (stop == NULL || stop - body > 96 || (size_t)(end - stop) < cn ||
	    memcmp(stop, close, cn) != 0)
		return NULL;
	if ((ctx = EVP_ENCODE_CTX_new()) == NULL)
		return NULL;
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, der, &n, (const unsigned char *)body,
	    (int)(stop - body)) >= 0 && EVP_DecodeFinal(ctx, der + n, &last)
	    == 1)
		key = raw_key(der, (size_t)(n + last), private);
	EVP_ENCODE_CTX_free(ctx);
	OPENSSL_cleanse(der, sizeof(der));
	*p = stop + cn;
	return key;
}

int
key_pem_fast(const char *text, size_t len, int private, EVP_PKEY **keys,
    int max)
{
	const char *p = text, *end = text + len;
	int n = 0;

	for (p = skip_space(p, end); p < end; p = skip_space(p, end)) {
		EVP_PKEY *k = n < max ? next_key(&p, end, private) : NULL;
		if (k == NULL) {
			while (n > 0)
				EVP_PKEY_free(keys[--n]);
			return 0;
		}
		keys[n++] = k;
	}
	return n;
}
