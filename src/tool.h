/* tool.h: what every syncpack command shares: messages, the -d default,
 * allocation that exits on failure. Only the tools use this, never the
 * library. */
#ifndef SYNCPACK_TOOL_H
#define SYNCPACK_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include "lib/exitcode.h"

extern const char *tool_name;

/* Records the program name (basename of argv[0]) for messages. */
void tool_init(const char *argv0);

/* Prints "prog: message" to stderr. */
void tool_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prints "prog: message" and exits with code. */
void tool_die(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/* The database: the -d argument, else $SYNCPACK_DB; exits 2 with the usage
 * line when neither is set. */
const char *tool_database(const char *opt, void (*usage)(FILE *));

/* Prints the version line to stdout and exits 0. */
void tool_version(void) __attribute__((noreturn));

/* Parses a size such as 1048576, 64K, 16M, 4G. Returns -1 when malformed. */
int tool_parse_size(const char *s, unsigned long long *out);

#endif
