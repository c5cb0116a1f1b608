/* error.c: fills struct sp_error; the tools decide how to show it. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

static int
error_vset(struct sp_error *err, enum sp_error_kind kind, int sys_errno,
    const char *fmt, va_list ap)
{
	if (err == NULL)
		return -1;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	err->kind = kind;
	err->sys_errno = sys_errno;
	return -1;
}

int
sp_error_set(struct sp_error *err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, SP_ERR_OTHER, 0, fmt, ap);
	va_end(ap);
	return -1;
}

int
sp_error_setk(struct sp_error *err, enum sp_error_kind kind, int sys_errno,
    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, kind, sys_errno, fmt, ap);
	va_end(ap);
	return -1;
}

int
sp_error_io(struct sp_error *err, const char *fmt, ...)
{
	int sys_errno = errno;	/* before anything can change it */
	va_list ap;

	va_start(ap, fmt);
	error_vset(err, SP_ERR_IO, sys_errno, fmt, ap);
	va_end(ap);
	return -1;
}

int
sp_error_retag(struct sp_error *err, enum sp_error_kind kind)
{
	if (err != NULL)
		err->kind = kind;
	return -1;
}

const char *
sp_error_kind_name(enum sp_error_kind kind)
{
	switch (kind) {
	case SP_ERR_USAGE:
		return "usage";
	case SP_ERR_IO:
		return "io";
	case SP_ERR_DATABASE:
		return "database";
	case SP_ERR_REFUSED:
		return "refused";
	case SP_ERR_BUSY:
		return "busy";
	case SP_ERR_KEY_TAKEN:
		return "key";
	case SP_ERR_BATCH:
		return "batch";
	case SP_ERR_OTHER:
		break;
	}
	return "other";
}

int
sp_error_prefix(struct sp_error *err, const char *fmt, ...)
{
	char prefix[256], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%.255s: %.760s", prefix, old);
	return -1;
}
