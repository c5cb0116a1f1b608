/* value.c: column values and their JSON form (value.h, sxf(5)). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sxf/value.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding (RFC 4648, section 4); a new string. */
static char *
b64_encode(const unsigned char *b, size_t n)
{
	char *out, *p;
	size_t i;

	if (n > SIZE_MAX / 2)
		return NULL;
	out = malloc((n + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	p = out;
	for (i = 0; i + 2 < n; i += 3) {
		*p++ = b64_alphabet[b[i] >> 2];
		*p++ = b64_alphabet[(b[i] & 3) << 4 | b[i + 1] >> 4];
		*p++ = b64_alphabet[(b[i + 1] & 15) << 2 | b[i + 2] >> 6];
		*p++ = b64_alphabet[b[i + 2] & 63];
	}
	if (i < n) {
		*p++ = b64_alphabet[b[i] >> 2];
		if (i + 1 < n) {
			*p++ = b64_alphabet[(b[i] & 3) << 4 | b[i + 1] >> 4];
			*p++ = b64_alphabet[(b[i + 1] & 15) << 2];
		} else {
			*p++ = b64_alphabet[(b[i] & 3) << 4];
			*p++ = '=';
		}
		*p++ = '=';
	}
	*p = '\0';
	return out;
}

static int
b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;

	return p ? (int)(p - b64_alphabet) : -1;
}

/* Decodes the canonical form only (what b64_encode writes): a length that
 * is a multiple of 4, padding at the end only, unused bits zero. Then each
 * value has one encoding. *out is never NULL on success, so that an empty
 * value binds as empty, not as NULL. */
static int
b64_decode(const char *text, size_t len, unsigned char **out, size_t *n,
    struct sp_error *err)
{
	unsigned char *buf;
	size_t o = 0, pad = 0;

	if (len % 4 != 0)
		return sp_error_set(err, "bad base64 value: length %zu is not a "
		    "multiple of 4", len);
	if (len > 0 && text[len - 1] == '=')
		pad = len > 1 && text[len - 2] == '=' ? 2 : 1;
	buf = malloc(len / 4 * 3 + 1);
	if (buf == NULL)
		return sp_error_set(err, "out of memory");
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int last = i + 4 == len;

		for (int k = 0; k < 4; k++) {
			v[k] = b64_value(text[i + k]);
			if (v[k] < 0 && !(last && k >= 4 - (int)pad)) {
				free(buf);
				return sp_error_set(err, "bad base64 value: "
				    "unexpected character at offset %zu", i + k);
			}
		}
		buf[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (last && pad == 2) {
			if (v[1] & 15)
				goto noncanonical;
			break;
		}
		buf[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
		if (last && pad == 1) {
			if (v[2] & 3)
				goto noncanonical;
			break;
		}
		buf[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	*out = buf;
	*n = o;
	return 0;
noncanonical:
	free(buf);
	return sp_error_set(err, "bad base64 value: non-zero padding bits");
}

int
value_plain_text(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp;

		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;	/* a continuation byte, C0, C1 or F5-FF */
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;	/* overlong, beyond Unicode, surrogate */
		i += len;
	}
	return 1;
}

/* {"key": base64 of the n bytes at b}. */
static json_t *
wrapped_base64(const char *key, const void *b, size_t n, struct sp_error *err)
{
	char *enc = b64_encode(b ? b : "", n);
	json_t *v;

	if (enc == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	v = json_pack("{s:s}", key, enc);
	free(enc);
	if (v == NULL)
		sp_error_set(err, "out of memory");
	return v;
}

static json_t *
oom(json_t *v, struct sp_error *err)
{
	if (v == NULL)
		sp_error_set(err, "out of memory");
	return v;
}

json_t *
value_to_json(const struct value *v, struct sp_error *err)
{
	switch (v->type) {
	case VALUE_NULL:
		return oom(json_null(), err);
	case VALUE_INTEGER:
		return oom(json_integer(v->i), err);
	case VALUE_REAL:
		/* JSON has no infinities (jansson refuses them); SQLite
		 * stores 9e999 as one. */
		if (isinf(v->r))
			return oom(json_pack("{s:s}", "real", v->r > 0 ? "inf" :
			    "-inf"), err);
		if (isnan(v->r)) {
			sp_error_set(err, "a NaN real cannot be encoded");
			return NULL;
		}
		return oom(json_real(v->r), err);
	case VALUE_TEXT:
		if (!value_plain_text(v->bytes, v->n))
			return wrapped_base64("text_base64", v->bytes, v->n, err);
		return oom(json_stringn((const char *)v->bytes, v->n), err);
	case VALUE_BLOB:
		return wrapped_base64("base64", v->bytes, v->n, err);
	}
	sp_error_set(err, "unknown value type %d", (int)v->type);
	return NULL;
}

/* The objects: {"base64"}, {"text_base64"}, {"real"}. */
static int
object_value(json_t *j, struct value *v, struct sp_error *err)
{
	void *it = json_object_iter(j);
	const char *key;
	json_t *inner;

	if (json_object_size(j) != 1 || it == NULL)
		return sp_error_set(err, "object value is not one of "
		    "{\"base64\"}, {\"text_base64\"}, {\"real\"}");
	key = json_object_iter_key(it);
	inner = json_object_iter_value(it);
	if (strcmp(key, "real") == 0) {
		const char *s = json_string_value(inner);

		if (s != NULL && strlen(s) != json_string_length(inner))
			s = NULL;	/* a NUL inside */
		v->type = VALUE_REAL;
		if (s != NULL && strcmp(s, "inf") == 0) {
			v->r = HUGE_VAL;
			return 0;
		}
		if (s != NULL && strcmp(s, "-inf") == 0) {
			v->r = -HUGE_VAL;
			return 0;
		}
		return sp_error_set(err, "bad real value: {\"real\"} is "
		    "\"inf\" or \"-inf\"");
	}
	if (strcmp(key, "base64") != 0 && strcmp(key, "text_base64") != 0)
		return sp_error_set(err, "object value is not one of "
		    "{\"base64\"}, {\"text_base64\"}, {\"real\"}");
	if (!json_is_string(inner))
		return sp_error_set(err, "bad %s value: not a string", key);
	if (b64_decode(json_string_value(inner), json_string_length(inner),
	    &v->owned, &v->n, err) != 0)
		return sp_error_prefix(err, "%s", key);
	v->type = key[0] == 't' ? VALUE_TEXT : VALUE_BLOB;
	v->bytes = v->owned;
	return 0;
}

int
value_from_json(json_t *j, struct value *v, struct sp_error *err)
{
	memset(v, 0, sizeof(*v));
	if (j == NULL)
		return sp_error_set(err, "no value");
	switch (json_typeof(j)) {
	case JSON_INTEGER:
		v->type = VALUE_INTEGER;
		v->i = json_integer_value(j);
		return 0;
	case JSON_REAL:
		v->type = VALUE_REAL;
		v->r = json_real_value(j);
		return 0;
	case JSON_STRING:
		/* The length, not strlen: a NUL from an older writer stays. */
		v->type = VALUE_TEXT;
		v->bytes = (const unsigned char *)json_string_value(j);
		v->n = json_string_length(j);
		return 0;
	case JSON_NULL:
		v->type = VALUE_NULL;
		return 0;
	case JSON_OBJECT:
		return object_value(j, v, err);
	default:
		return sp_error_set(err, "unsupported JSON value type");
	}
}

void
value_release(struct value *v)
{
	free(v->owned);
	v->owned = NULL;
	v->bytes = NULL;
}
