/* line_buffer.h: splits a streamed payload member into lines, so JSON
 * Lines are handled one line at a time whatever the chunk boundaries. */
#ifndef SYNCPACK_LINE_BUFFER_H
#define SYNCPACK_LINE_BUFFER_H

#include <stddef.h>

#include "util/error.h"

typedef int (*line_cb)(void *ctx, const char *line, size_t len,
    struct sp_error *err);

struct line_buffer {
	char *line;		/* owned: the current, incomplete line */
	size_t len, cap;
};

/* Feeds a chunk; calls cb for each complete line (without its newline). */
SP_MUST_CHECK
int line_buffer_feed(struct line_buffer *lb, const void *buf, size_t len,
    line_cb cb, void *ctx, struct sp_error *err);

/* At the end of a member: calls cb for a last line without a newline. */
SP_MUST_CHECK
int line_buffer_flush(struct line_buffer *lb, line_cb cb, void *ctx,
    struct sp_error *err);

void line_buffer_free(struct line_buffer *lb);

#endif
