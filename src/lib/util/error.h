/* error.h: the error record library functions fill instead of printing. */
#ifndef SYNCPACK_ERROR_H
#define SYNCPACK_ERROR_H

#include <stdarg.h>

struct sp_error {
	char msg[1024];
};

/* Sets err (when not NULL) to the formatted reason; returns -1 so callers can
 * write `return sp_error_set(err, ...)`. */
int sp_error_set(struct sp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the reason already in err with "prefix: " and returns -1. */
int sp_error_prefix(struct sp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
