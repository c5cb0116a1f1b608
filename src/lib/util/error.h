/* error.h: the error record library functions fill instead of printing. */
#ifndef SYNCPACK_ERROR_H
#define SYNCPACK_ERROR_H

#include <stdarg.h>

/* What kind of failure an error is, so that callers decide on it rather
 * than on the English of the message. */
enum sp_error_kind {
	SP_ERR_OTHER,		/* anything not below (bad input, a rule) */
	SP_ERR_USAGE,		/* the command line or an argument */
	SP_ERR_IO,		/* a file, folder or connection; see sys_errno */
	SP_ERR_DATABASE,	/* the site's database said no */
	SP_ERR_REFUSED,		/* an exchange file refused: bad, forged, reused */
	SP_ERR_BUSY,		/* the database is locked by another writer */
	SP_ERR_KEY_TAKEN,	/* a row's primary key is another row's */
	SP_ERR_BATCH,		/* a batch of writes was undone (store.h) */
};

/* On a function that reports failure in its result: ignoring it is a
 * warning, so every failure is looked at. */
#define SP_MUST_CHECK __attribute__((warn_unused_result))

struct sp_error {
	char msg[1024];
	enum sp_error_kind kind;
	int sys_errno;		/* the errno behind an SP_ERR_IO, or 0 */
};

/* Sets err (when not NULL) to the formatted reason, of kind SP_ERR_OTHER;
 * returns -1 so callers can write `return sp_error_set(err, ...)`. */
int sp_error_set(struct sp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The same with a kind, and for SP_ERR_IO the errno behind it. */
int sp_error_setk(struct sp_error *err, enum sp_error_kind kind,
    int sys_errno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* An SP_ERR_IO error for the errno in force when it is called. */
int sp_error_io(struct sp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Gives the error already in err another kind; returns -1. */
int sp_error_retag(struct sp_error *err, enum sp_error_kind kind);

/* "usage", "io", "database", "refused", "busy" or "other". */
const char *sp_error_kind_name(enum sp_error_kind kind);

/* Prefixes the reason already in err with "prefix: " and returns -1; the
 * kind stays. */
int sp_error_prefix(struct sp_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
