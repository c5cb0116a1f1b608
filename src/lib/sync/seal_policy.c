/* seal_policy.c: sealing decisions for a site (sync/seal_policy.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hexenc.h"
#include "sxf/keys.h"
#include "sxf/seal_keys.h"
#include "store/peer_keys.h"
#include "sync/seal_policy.h"

#define refuse(err, ...) sp_error_setk((err), SP_ERR_REFUSED, 0, __VA_ARGS__)

/* The raw public key of an X25519 PEM in hex, as sealing_key gives it. */
static int
pem_to_hex(const char *pem, char *hex, struct sp_error *err)
{
	EVP_PKEY *k = seal_key_parse_public(pem, err);
	unsigned char raw[32];
	size_t len = sizeof(raw);
	int ok;

	if (k == NULL)
		return -1;
	ok = EVP_PKEY_get_raw_public_key(k, raw, &len) == 1 && len == 32;
	EVP_PKEY_free(k);
	if (!ok)
		return sp_error_set(err, "not an X25519 public key");
	hex_encode(raw, len, hex);
	return 0;
}

static char *
hex_to_pem(const char *hex, struct sp_error *err)
{
	unsigned char raw[32];
	EVP_PKEY *k;
	char *pem;

	if (strlen(hex) != 64)
		goto bad;
	for (int i = 0; i < 32; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			goto bad;
		raw[i] = (unsigned char)v;
	}
	if ((k = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, raw, 32))
	    == NULL)
		goto bad;
	pem = key_public_pem(k, err);
	EVP_PKEY_free(k);
	return pem;
bad:
	refuse(err, "HEADER: bad sealing_key");
	return NULL;
}

static void
add_extra(struct sxf_header *h, const char *key, const char *value)
{
	if (h->nextra == SXF_EXTRA_MAX)
		return;
	snprintf(h->extra_key[h->nextra], sizeof(h->extra_key[0]), "%s", key);
	snprintf(h->extra_value[h->nextra], sizeof(h->extra_value[0]), "%s",
	    value);
	h->nextra++;
}

int
seal_policy_outgoing(struct site *s, const char *peer,
    struct sxf_writer *w, struct sxf_header *h, char *unsealed, size_t cap,
    struct sp_error *err)
{
	struct store_peer_settings ps;
	char *own = NULL, hex[65];
	EVP_PKEY *to = NULL;
	int has_own, rc = -1;

	unsealed[0] = '\0';
	if (store_peer_settings(s, peer, &ps, err) != 0)
		return -1;
	sxf_writer_set_compression(w, ps.compression);
	if ((has_own = store_site_seal_pub(s, &own, err)) < 0)
		goto cleanup;
	if (has_own) {
		if (pem_to_hex(own, hex, err) != 0)
			goto cleanup;
		add_extra(h, "sealing_key", hex);
	}
	if (ps.seal_pub != NULL && !ps.no_seal) {
		if ((to = seal_key_parse_public(ps.seal_pub, err)) == NULL ||
		    sxf_writer_seal_to(w, to, NULL, err) != 0)
			goto cleanup;
	} else {
		snprintf(unsealed, cap, ps.no_seal ? "not sealed: %s is set "
		    "--no-seal" : "not sealed: no sealing key is known for %s "
		    "(its public key file has the signing key only)", peer);
		if (has_own)
			add_extra(h, "unsealed", ps.no_seal ? "no-seal" :
			    "no-key");
	}
	rc = 0;
cleanup:
	EVP_PKEY_free(to);
	free(own);
	store_peer_settings_free(&ps);
	return rc;
}

/* Whether an unsealed file from h->from is a downgrade to refuse. */
static int
downgrade(struct site *s, const struct sxf_header *h,
    const struct store_peer_settings *ps, struct sp_error *err)
{
	const char *why = sxf_header_extra(h, "unsealed");
	char *own = NULL;
	int has_own = store_site_seal_pub(s, &own, err);

	free(own);
	if (has_own <= 0 || ps->no_seal)
		return has_own < 0 ? -1 : 0;
	if (ps->seal_pub == NULL && sxf_header_extra(h, "sealing_key") == NULL)
		return 0;
	if (ps->sealed_seen)
		return refuse(err, "not sealed, but %s sealed its files to "
		    "this site before: refused (a downgrade)", h->from);
	if (why != NULL && strcmp(why, "no-key") == 0)
		return 0;
	return refuse(err, "not sealed, but %s has a sealing key: refused "
	    "(a downgrade; syncadm peer set --no-seal on both sites allows "
	    "unsealed files)", h->from);
}

int
seal_policy_check(void *ctx, const struct sxf_header *h, int sealed,
    struct sp_error *err)
{
	struct site *s = ctx;
	struct store_peer_settings ps;
	const char *announced = sxf_header_extra(h, "sealing_key");
	char hex[65];
	int rc = -1;

	if (store_peer_settings(s, h->from, &ps, err) != 0)
		return -1;
	if (announced != NULL && ps.seal_pub != NULL) {
		if (pem_to_hex(ps.seal_pub, hex, err) != 0)
			goto cleanup;
		if (strcmp(hex, announced) != 0) {
			refuse(err, "%s announces a sealing key other than the "
			    "one registered for it (replace its keys with "
			    "syncadm peer set --key)", h->from);
			goto cleanup;
		}
	}
	rc = sealed ? 0 : downgrade(s, h, &ps, err);
cleanup:
	store_peer_settings_free(&ps);
	return rc;
}

EVP_PKEY *
seal_policy_key(void *ctx, struct sp_error *err)
{
	struct site *s = ctx;
	int absent;
	EVP_PKEY *k = key_load_private_type(s->key_path, EVP_PKEY_X25519,
	    &absent, err);

	if (k == NULL && absent)
		refuse(err, "sealed, but this site has no sealing key "
		    "(syncadm key --add-sealing)");
	return k;
}

int
seal_policy_note(struct site *s, const struct sxf_header *h, int sealed,
    struct sp_error *err)
{
	struct store_peer_settings ps;
	const char *announced = sxf_header_extra(h, "sealing_key");
	char *pem = NULL;
	int rc = -1;

	if (store_peer_settings(s, h->from, &ps, err) != 0)
		return -1;
	if (announced != NULL && ps.seal_pub == NULL &&
	    ((pem = hex_to_pem(announced, err)) == NULL ||
	    store_peer_set_seal_pub(s, h->from, pem, err) != 0))
		goto cleanup;
	if (sealed && !ps.sealed_seen &&
	    store_peer_note_sealed(s, h->from, err) != 0)
		goto cleanup;
	rc = 0;
cleanup:
	free(pem);
	store_peer_settings_free(&ps);
	return rc;
}

int
seal_policy_peer_keys(struct site *s, const char *peer, const char *pem,
    int *sealing, struct sp_error *err)
{
	EVP_PKEY *sign, *seal;
	char *sign_pem = NULL, *seal_pem = NULL;
	int rc = -1;

	if (seal_keys_parse_public(pem, &sign, &seal, err) != 0)
		return -1;
	*sealing = seal != NULL;
	/* Stored in canonical form, whatever whitespace the file had. */
	if ((sign_pem = key_public_pem(sign, err)) == NULL ||
	    (seal != NULL && (seal_pem = key_public_pem(seal, err)) == NULL))
		goto cleanup;
	rc = store_peer_set_signing_pub(s, peer, sign_pem, err) != 0 ||
	    store_peer_set_seal_pub(s, peer, seal_pem, err) != 0 ? -1 : 0;
cleanup:
	EVP_PKEY_free(sign);
	EVP_PKEY_free(seal);
	free(sign_pem);
	free(seal_pem);
	return rc;
}

int
seal_policy_add_key(struct site *s, struct sp_error *err)
{
	char *own = NULL;
	EVP_PKEY *k;
	int absent, r = store_site_seal_pub(s, &own, err);

	free(own);
	if (r != 0)
		return r < 0 ? -1 : sp_error_set(err, "%s already has a "
		    "sealing key", s->id);
	/* A key file that has one already (an earlier run that failed
	 * before the database took it) keeps it. */
	k = key_load_private_type(s->key_path, EVP_PKEY_X25519, &absent, err);
	if (k == NULL && !absent)
		return -1;
	if (k == NULL && ((k = seal_key_generate(err)) == NULL ||
	    seal_key_append_private(k, s->key_path, err) != 0)) {
		EVP_PKEY_free(k);
		return -1;
	}
	own = key_public_pem(k, err);
	EVP_PKEY_free(k);
	if (own == NULL)
		return -1;
	r = store_site_set_seal_pub(s, own, err);
	free(own);
	return r;
}

char *
seal_policy_public_keys(struct site *s, struct sp_error *err)
{
	char *sign = site_public_pem(s, err), *seal = NULL, *both;
	int r;

	if (sign == NULL)
		return NULL;
	if ((r = store_site_seal_pub(s, &seal, err)) <= 0) {
		if (r < 0) {
			free(sign);
			return NULL;
		}
		return sign;
	}
	both = malloc(strlen(sign) + strlen(seal) + 1);
	if (both == NULL)
		sp_error_set(err, "out of memory");
	else {
		strcpy(both, sign);
		strcat(both, seal);
	}
	free(sign);
	free(seal);
	return both;
}
