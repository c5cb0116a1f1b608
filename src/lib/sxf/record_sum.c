/* record_sum.c: the canonical checksum of a record (sxf(5)). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sxf/record_sum.h"

int
record_sum_init(struct record_sum *rs, struct sp_error *err)
{
	memset(rs, 0, sizeof(*rs));
	if ((rs->h = EVP_MD_CTX_new()) == NULL ||
	    (rs->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		record_sum_free(rs);
		return sp_error_set(err, "out of memory");
	}
	return 0;
}

void
record_sum_free(struct record_sum *rs)
{
	EVP_MD_CTX_free(rs->h);
	EVP_MD_free(rs->sha256);
	rs->h = NULL;
	rs->sha256 = NULL;
}

static void
sum_flush(struct record_sum *c)
{
	if (c->n > 0 && EVP_DigestUpdate(c->h, c->buf, c->n) != 1)
		c->bad = 1;
	c->n = 0;
}

static void
sum_bytes(struct record_sum *c, const void *b, size_t n)
{
	if (n == 0)
		return;
	if (b == NULL) {
		c->bad = 1;
		return;
	}
	if (n > sizeof(c->buf) - c->n) {
		sum_flush(c);
		if (n > sizeof(c->buf)) {
			if (EVP_DigestUpdate(c->h, b, n) != 1)
				c->bad = 1;
			return;
		}
	}
	memcpy(c->buf + c->n, b, n);
	c->n += n;
}

static void
sum_str(struct record_sum *c, const char *s)
{
	sum_bytes(c, s, strlen(s));
}

/* prefix, then u in decimal (after a '-' when negative), then suffix:
 * numbers through snprintf were most of the time a manifest took. */
static void
sum_number(struct record_sum *c, const char *prefix, unsigned long long u,
    int negative, const char *suffix)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (negative)
		*--p = '-';
	sum_str(c, prefix);
	sum_bytes(c, p, (size_t)(buf + sizeof(buf) - p));
	sum_str(c, suffix);
}

void
record_sum_begin(struct record_sum *rs, const char *table, const char *guid,
    const char *owner, int deleted)
{
	rs->n = 0;
	rs->bad = EVP_DigestInit_ex(rs->h, rs->sha256, NULL) != 1;
	sum_str(rs, RECORD_SUM_VERSION "\n");
	sum_str(rs, table);
	sum_str(rs, "\n");
	sum_str(rs, guid);
	sum_str(rs, "\n");
	sum_str(rs, owner);
	sum_str(rs, "\n");
	if (deleted)
		sum_str(rs, "deleted\n");
}

/* Appends "name=typed value\n". The type comes first and text and blobs
 * carry their length, so that every distinct stored value (text or blob
 * of the same bytes, '' or NULL, any byte at all in text) gives a
 * distinct line, from the stored bytes only. */
void
record_sum_value(struct record_sum *c, const char *name,
    const struct value *v, int ref)
{
	char num[64];

	sum_str(c, name);
	sum_str(c, "=");
	switch (v->type) {
	case VALUE_NULL:
		sum_str(c, ref ? "g:null" : "null");
		break;
	case VALUE_INTEGER:
		sum_number(c, "i:", v->i < 0 ? 0ULL - (unsigned long long)v->i :
		    (unsigned long long)v->i, v->i < 0, "");
		break;
	case VALUE_REAL:
		/* Spelled out rather than left to the C library's %g. */
		if (isinf(v->r))
			snprintf(num, sizeof(num), "r:%s", v->r > 0 ? "inf" :
			    "-inf");
		else
			snprintf(num, sizeof(num), "r:%.17g", v->r);
		sum_str(c, num);
		break;
	case VALUE_TEXT:
		if (v->bytes == NULL)
			c->bad = 1;
		if (ref) {
			sum_str(c, "g:");
			sum_bytes(c, v->bytes, v->n);
			break;
		}
		sum_number(c, "t:", v->n, 0, ":");
		sum_bytes(c, v->bytes, v->n);
		break;
	default:
		if (v->bytes == NULL && v->n > 0)
			c->bad = 1;
		sum_number(c, "b:", v->n, 0, ":");
		sum_bytes(c, v->bytes, v->n);
		break;
	}
	sum_str(c, "\n");
}

int
record_sum_end(struct record_sum *rs, unsigned char digest[32])
{
	sum_flush(rs);
	if (EVP_DigestFinal_ex(rs->h, digest, NULL) != 1 || rs->bad)
		return -1;
	return 0;
}
