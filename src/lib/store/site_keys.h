/* site_keys.h: the key pair of a new site, made and written the same way
 * whichever backend records it (site_init). */
#ifndef SYNCPACK_STORE_SITE_KEYS_H
#define SYNCPACK_STORE_SITE_KEYS_H

#include <openssl/evp.h>

#include "util/error.h"

struct site_new_keys {
	EVP_PKEY *sign, *seal;	/* owned: the signing and sealing keys */
	char *sign_pem;		/* owned: their public halves, for the */
	char *seal_pem;		/* site's row */
	char *key_abs;		/* owned: the private key file, absolute, as
				 * the site records it */
};

/* Generates both keys for a site whose private key goes to key_path.
 * Free with site_new_keys_free, also after a failure. */
SP_MUST_CHECK
int site_new_keys_make(struct site_new_keys *k, const char *key_path,
    struct sp_error *err);

/* Writes the private keys to key_path and the public ones to pub_path;
 * refuses existing files; on failure removes what it wrote. Call once
 * the site's row is written, before its transaction commits, and
 * site_new_keys_unlink if the commit fails. */
SP_MUST_CHECK
int site_new_keys_write(const struct site_new_keys *k, const char *key_path,
    const char *pub_path, struct sp_error *err);

void site_new_keys_unlink(const char *key_path, const char *pub_path);
void site_new_keys_free(struct site_new_keys *k);

#endif
