/* site_keys.c: the key pair of a new site (store/site_keys.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/site_keys.h"
#include "sxf/keys.h"
#include "sxf/seal_keys.h"

/* The key path is stored absolute so tools find it from any folder. */
static char *
absolute_path(const char *path)
{
	char cwd[4096];
	size_t n;
	char *p;

	if (path[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		return strdup(path);
	n = strlen(cwd) + strlen(path) + 2;
	p = malloc(n);
	if (p != NULL)
		snprintf(p, n, "%s/%s", cwd, path);
	return p;
}

int
site_new_keys_make(struct site_new_keys *k, const char *key_path,
    struct sp_error *err)
{
	memset(k, 0, sizeof(*k));
	if ((k->key_abs = absolute_path(key_path)) == NULL)
		return sp_error_set(err, "out of memory");
	return (k->sign = key_generate(err)) == NULL ||
	    (k->sign_pem = key_public_pem(k->sign, err)) == NULL ||
	    (k->seal = seal_key_generate(err)) == NULL ||
	    (k->seal_pem = key_public_pem(k->seal, err)) == NULL ? -1 : 0;
}

int
site_new_keys_write(const struct site_new_keys *k, const char *key_path,
    const char *pub_path, struct sp_error *err)
{
	if (key_write_private(k->sign, key_path, err) != 0)
		return -1;
	/* The sealing key follows the signing key in both files. */
	if (seal_key_append_private(k->seal, key_path, err) != 0 ||
	    seal_keys_write_public(k->sign, k->seal, pub_path, err) != 0) {
		unlink(key_path);
		return -1;
	}
	return 0;
}

void
site_new_keys_unlink(const char *key_path, const char *pub_path)
{
	unlink(key_path);
	unlink(pub_path);
}

void
site_new_keys_free(struct site_new_keys *k)
{
	EVP_PKEY_free(k->sign);
	EVP_PKEY_free(k->seal);
	free(k->sign_pem);
	free(k->seal_pem);
	free(k->key_abs);
	memset(k, 0, sizeof(*k));
}
