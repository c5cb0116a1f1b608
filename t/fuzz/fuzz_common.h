/* fuzz_common.h: what the fuzz targets share: the fixed X25519 key they
 * open sealed files with (private key bytes 01 02 .. 20, as in the sxf(5)
 * test vector), and one read of a file's bytes through the reader. */
#ifndef SYNCPACK_FUZZ_COMMON_H
#define SYNCPACK_FUZZ_COMMON_H

#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/sxf_reader.h"

static EVP_PKEY *
fuzz_open_key(void *ctx, struct sp_error *err)
{
	static EVP_PKEY *key;
	unsigned char raw[32];

	(void)ctx;
	(void)err;
	if (key == NULL) {
		for (int i = 0; i < 32; i++)
			raw[i] = (unsigned char)(i + 1);
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, raw,
		    32);
	}
	EVP_PKEY_up_ref(key);
	return key;
}

static int
fuzz_discard(void *ctx, const void *buf, size_t len, struct sp_error *err)
{
	(void)ctx;
	(void)buf;
	(void)len;
	(void)err;
	return 0;
}

/* Reads data as an exchange file, without a signer key (as syncunpack
 * --list does) so every parser behind the signature is reached. */
static void
fuzz_read(const void *data, size_t size)
{
	static const struct sxf_limits limits = {
		.max_member = 1 << 20, .max_total = 4 << 20, .max_members = 64,
	};
	struct sxf_read_ops ops = { .on_member_data = fuzz_discard,
	    .sealing_key = fuzz_open_key };
	struct sxf_read_result res;
	struct sp_error err;
	int fd = memfd_create("sxf", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET)
	    == 0)
		(void)sxf_read_fd(fd, &limits, &ops, &res, &err);
	close(fd);
}

#endif
