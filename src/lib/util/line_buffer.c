/* line_buffer.c: line splitting for streamed JSON Lines members. */
#include <stdlib.h>
#include <string.h>

#include "util/line_buffer.h"

int
line_buffer_feed(struct line_buffer *lb, const void *buf, size_t len,
    line_cb cb, void *ctx, struct sp_error *err)
{
	const char *p = buf, *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t chunk = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (lb->len + chunk + 1 > lb->cap) {
			size_t cap = (lb->len + chunk + 1) * 2;
			char *grown = realloc(lb->line, cap);
			if (grown == NULL)
				return sp_error_set(err, "out of memory");
			lb->line = grown;
			lb->cap = cap;
		}
		memcpy(lb->line + lb->len, p, chunk);
		lb->len += chunk;
		p += chunk;
		if (nl != NULL) {
			size_t n = lb->len;
			lb->line[n] = '\0';
			lb->len = 0;
			if (n > 0 && cb(ctx, lb->line, n, err) != 0)
				return -1;
			p++;
		}
	}
	return 0;
}

int
line_buffer_flush(struct line_buffer *lb, line_cb cb, void *ctx,
    struct sp_error *err)
{
	size_t n = lb->len;

	lb->len = 0;
	if (n == 0)
		return 0;
	lb->line[n] = '\0';
	return cb(ctx, lb->line, n, err);
}

void
line_buffer_free(struct line_buffer *lb)
{
	free(lb->line);
	memset(lb, 0, sizeof(*lb));
}
