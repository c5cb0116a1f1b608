/* sxf_header.c: formats and parses HEADER and MANIFEST, strictly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"
#include "util/hexenc.h"
#include "sxf/sxf_header.h"

void
sxf_header_stamp_now(struct sxf_header *h)
{
	time_t now = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(h->created, sizeof(h->created), "%Y-%m-%dT%H:%M:%SZ", &tm);
}

char *
sxf_header_format(const struct sxf_header *h, size_t *len,
    struct sp_error *err)
{
	size_t cap = 512 + (size_t)h->nextra * 170;
	char *buf = malloc(cap);
	int n;

	if (buf == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	n = snprintf(buf, cap, "format: " SXF_FORMAT_PREFIX "%u\nkind: %s\n"
	    "from: %s\nto: %s\nflow: %llu\nlink: %llu\ncreated: %s\n",
	    h->format ? h->format : SXF_FORMAT_NEWEST, h->kind,
	    h->from, h->to, (unsigned long long)h->flow,
	    (unsigned long long)h->link, h->created);
	for (int i = 0; i < h->nextra; i++)
		n += snprintf(buf + n, cap - (size_t)n, "%s: %s\n",
		    h->extra_key[i], h->extra_value[i]);
	*len = (size_t)n;
	return buf;
}

static int
parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] != '\0'))
		return -1;
	v = strtoull(s, &end, 10);
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int
kind_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SXF_KIND_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < 'a' || s[i] > 'z')
			return 0;
	return 1;
}

static int
created_valid(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return end != NULL && *end == '\0';
}

/* The fixed fields, in the order sxf(5) lists them. */
enum { F_FORMAT, F_KIND, F_FROM, F_TO, F_FLOW, F_LINK, F_CREATED, F_COUNT };
static const char *const field_names[F_COUNT] = {
	"format", "kind", "from", "to", "flow", "link", "created"
};

int
sxf_header_parse(const char *buf, size_t len, struct sxf_header *h,
    struct sp_error *err)
{
	int seen[F_COUNT] = {0};
	size_t pos = 0;
	int lineno = 0;

	memset(h, 0, sizeof(*h));
	if (memchr(buf, '\0', len) != NULL)
		return sp_error_set(err, "HEADER: contains a NUL byte");
	if (len == 0 || buf[len - 1] != '\n')
		return sp_error_set(err, "HEADER: does not end with a newline");
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = (size_t)(nl - line);
		char key[32], value[256];
		const char *sep;
		size_t klen, vlen;
		int f;

		lineno++;
		pos += llen + 1;
		sep = memchr(line, ':', llen);
		if (sep == NULL || sep + 1 >= line + llen || sep[1] != ' ')
			return sp_error_set(err, "HEADER line %d: not \"key: value\"",
			    lineno);
		klen = (size_t)(sep - line);
		vlen = llen - klen - 2;
		if (klen == 0 || klen >= sizeof(key) || vlen >= sizeof(value))
			return sp_error_set(err, "HEADER line %d: too long", lineno);
		memcpy(key, line, klen);
		key[klen] = '\0';
		memcpy(value, sep + 2, vlen);
		value[vlen] = '\0';
		for (f = 0; f < F_COUNT; f++)
			if (strcmp(key, field_names[f]) == 0)
				break;
		if (f == F_COUNT) {
			for (int i = 0; i < h->nextra; i++)
				if (strcmp(h->extra_key[i], key) == 0)
					return sp_error_set(err, "HEADER: "
					    "duplicate key %s", key);
			if (h->nextra == SXF_EXTRA_MAX || vlen >= 128)
				return sp_error_set(err, "HEADER line %d: "
				    "too many or too long extra keys", lineno);
			strcpy(h->extra_key[h->nextra], key);
			strcpy(h->extra_value[h->nextra], value);
			h->nextra++;
			continue;
		}
		if (seen[f]++)
			return sp_error_set(err, "HEADER: duplicate key %s", key);
		switch (f) {
		case F_FORMAT: {
			uint64_t v;

			if (strncmp(value, SXF_FORMAT_PREFIX,
			    strlen(SXF_FORMAT_PREFIX)) != 0 || parse_u64(value +
			    strlen(SXF_FORMAT_PREFIX), &v) != 0 || v < 1 ||
			    v > SXF_FORMAT_NEWEST)
				return sp_error_set(err, "unsupported format "
				    "version \"%.40s\" (this syncpack reads "
				    SXF_FORMAT_PREFIX "%s)", value,
				    SXF_FORMATS_READ);
			h->format = (unsigned)v;
			break;
		}
		case F_KIND:
			if (!kind_valid(value))
				return sp_error_set(err, "HEADER: bad kind");
			strcpy(h->kind, value);
			break;
		case F_FROM:
		case F_TO:
			if (!siteid_valid(value))
				return sp_error_set(err, "HEADER: bad site id "
				    "in %s", key);
			strcpy(f == F_FROM ? h->from : h->to, value);
			break;
		case F_FLOW:
		case F_LINK:
			if (parse_u64(value, f == F_FLOW ? &h->flow : &h->link))
				return sp_error_set(err, "HEADER: bad %s", key);
			break;
		case F_CREATED:
			if (!created_valid(value) || vlen >= sizeof(h->created))
				return sp_error_set(err, "HEADER: bad created "
				    "time (want RFC 3339 UTC)");
			strcpy(h->created, value);
			break;
		}
	}
	/* The format line is checked first so an old reader says "unsupported
	 * version" rather than complaining about fields it does not know. */
	if (!seen[F_FORMAT])
		return sp_error_set(err, "HEADER: no format line");
	for (int f = 0; f < F_COUNT; f++)
		if (!seen[f])
			return sp_error_set(err, "HEADER: missing key %s",
			    field_names[f]);
	if (h->flow == 0)
		return sp_error_set(err, "HEADER: flow must be at least 1");
	if (sxf_header_extra(h, "reads") != NULL &&
	    !sxf_format_list_valid(sxf_header_extra(h, "reads")))
		return sp_error_set(err, "HEADER: bad reads \"%.40s\"",
		    sxf_header_extra(h, "reads"));
	return 0;
}

const char *
sxf_header_extra(const struct sxf_header *h, const char *key)
{
	for (int i = 0; i < h->nextra; i++)
		if (strcmp(h->extra_key[i], key) == 0)
			return h->extra_value[i];
	return NULL;
}

int
sxf_member_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > SXF_NAME_MAX || name[0] == '.')
		return 0;
	if (strcmp(name, "HEADER") == 0 || strcmp(name, "MANIFEST") == 0 ||
	    strcmp(name, "SIGNATURE") == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
sxf_manifest_parse(const char *buf, size_t len,
    struct sxf_manifest_entry **entries, size_t *count, size_t max_count,
    struct sp_error *err)
{
	struct sxf_manifest_entry *e = NULL;
	size_t n = 0, cap = 0, pos = 0;

	*entries = NULL;
	*count = 0;
	if (len > 0 && buf[len - 1] != '\n')
		return sp_error_set(err, "MANIFEST: does not end with a newline");
	if (memchr(buf, '\0', len) != NULL)
		return sp_error_set(err, "MANIFEST: contains a NUL byte");
	while (pos < len) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
		size_t llen = (size_t)(nl - line), nlen;
		int i;

		pos += llen + 1;
		if (llen < 67 || line[64] != ' ' || line[65] != ' ')
			goto bad_line;
		nlen = llen - 66;
		if (nlen > SXF_NAME_MAX)
			goto bad_line;
		if (n == max_count) {
			free(e);
			return sp_error_set(err, "MANIFEST: more than %zu "
			    "members (limit)", max_count);
		}
		if (n == cap) {
			struct sxf_manifest_entry *ne;
			cap = cap ? 2 * cap : 8;
			ne = realloc(e, cap * sizeof(*e));
			if (ne == NULL) {
				free(e);
				return sp_error_set(err, "out of memory");
			}
			e = ne;
		}
		for (i = 0; i < 32; i++) {
			int hi = hexval(line[2 * i]), lo = hexval(line[2 * i + 1]);
			if (hi < 0 || lo < 0)
				goto bad_line;
			e[n].sha256[i] = (unsigned char)(hi << 4 | lo);
		}
		memcpy(e[n].name, line + 66, nlen);
		e[n].name[nlen] = '\0';
		if (!sxf_member_name_valid(e[n].name)) {
			sp_error_set(err, "MANIFEST: bad member name \"%.100s\"",
			    e[n].name);
			free(e);
			return -1;
		}
		for (size_t j = 0; j < n; j++)
			if (strcmp(e[j].name, e[n].name) == 0) {
				sp_error_set(err, "MANIFEST: member %s listed "
				    "twice", e[n].name);
				free(e);
				return -1;
			}
		n++;
		continue;
bad_line:
		free(e);
		return sp_error_set(err, "MANIFEST: line %zu is not "
		    "\"<64 hex>  <name>\"", n + 1);
	}
	*entries = e;
	*count = n;
	return 0;
}

#define SXF_FORMATS_MAX 16

/* Parses a reads field into v (SXF_FORMATS_MAX slots): the number of
 * versions, or 0 when list is not a valid field. */
static int
format_list_parse(const char *list, unsigned *v)
{
	uint64_t last = 0, x;
	char num[12];

	for (int n = 0;; n++) {
		size_t len = strcspn(list, " ");

		if (n == SXF_FORMATS_MAX || len == 0 || len >= sizeof(num))
			return 0;
		memcpy(num, list, len);
		num[len] = '\0';
		if (parse_u64(num, &x) != 0 || x <= last || x > 0xffffffffu)
			return 0;
		v[n] = (unsigned)(last = x);
		if (list[len] == '\0')
			return n + 1;
		list += len + 1;
	}
}

int
sxf_format_list_valid(const char *list)
{
	unsigned v[SXF_FORMATS_MAX];

	return format_list_parse(list, v) > 0;
}

int
sxf_format_pick(const char *announced, unsigned oldest, unsigned newest,
    unsigned *version, struct sp_error *err)
{
	unsigned v[SXF_FORMATS_MAX], best = 0;
	int n;

	*version = 0;
	if (announced == NULL) {
		*version = oldest;
		return 0;
	}
	if ((n = format_list_parse(announced, v)) == 0)
		return sp_error_set(err, "bad list of format versions \"%.40s\"",
		    announced);
	for (int i = 0; i < n; i++)
		if (v[i] >= oldest && v[i] <= newest)
			best = v[i];	/* increasing: the last one is the newest */
	if (best == 0)
		return sp_error_set(err, "it reads format versions %s only, and "
		    "this syncpack writes %u to %u: upgrade one of the two",
		    announced, oldest, newest);
	*version = best;
	return 0;
}
