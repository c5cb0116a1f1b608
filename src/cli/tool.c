/* tool.c: messages and small helpers shared by the syncpack commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "sync/delivery.h"
#include "net/inbox.h"
#include "store/outbox.h"
#include "store/site.h"
#include "cli/tool.h"

const char *tool_name = "syncpack";

/* What a tool printed must have arrived: a full disk or a closed pipe
 * behind stdout turns any exit into 2. A stdout that was closed before
 * the tool started and never written to is fine. */
static void
close_stdout(void)
{
	int bad = ferror(stdout), saved = 0;

	if (fflush(stdout) != 0) {
		bad = 1;
		saved = errno;
	}
	if (fclose(stdout) != 0 && errno != EBADF && !bad) {
		bad = 1;
		saved = errno;
	}
	if (bad) {
		fprintf(stderr, "%s: standard output: %s\n", tool_name,
		    saved ? strerror(saved) : "write error");
		_exit(EXIT_TROUBLE);
	}
}

void
tool_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;

	if (argv0 != NULL)
		tool_name = slash ? slash + 1 : argv0;
	/* Unbuffered stdout would interleave badly with stderr in logs;
	 * line-buffer it instead. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	atexit(close_stdout);
}

static void
vwarn_line(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", tool_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void
tool_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
}

void
tool_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarn_line(fmt, ap);
	va_end(ap);
	exit(code);
}

const char *
tool_database(const char *opt, void (*usage)(FILE *))
{
	const char *env = getenv("SYNCPACK_DB");
	const char *db = opt != NULL ? opt : env != NULL && env[0] != '\0'
	    ? env : NULL;

	if (db != NULL) {
		if (site_uri_has_password(db)) {
			char *shown = site_display_name(db);
			tool_warn("%s: password in the URI; use ~/.pgpass, "
			    "PGPASSWORD or a service file",
			    shown ? shown : "postgresql://");
			free(shown);
		}
		return db;
	}
	tool_warn("no database: give -d DB or set SYNCPACK_DB");
	usage(stderr);
	exit(EXIT_TROUBLE);
}

void
tool_version(void)
{
	printf("%s (%s) %s\n", tool_name, PACKAGE_NAME, PACKAGE_VERSION);
	exit(EXIT_OK);
}

int
tool_common_option(int c, const char *arg, const char **db,
    void (*usage)(FILE *))
{
	switch (c) {
	case 'd':
		*db = arg;
		return 1;
	case 'h':
		usage(stdout);
		exit(EXIT_OK);
	case 'V':
		tool_version();
	default:
		return 0;
	}
}

int
tool_parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	switch (*end) {
	case 'K': v <<= 10; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end != '\0')
		return -1;
	*out = v;
	return 0;
}

struct tool_transport tool_transport = {
	.opts = {
		.retries = 3, .retry_max_time = 300, .connect_timeout = 30,
		.stall_timeout = 60,
	},
};

int
tool_transport_option(int c, const char *arg)
{
	struct transport_opts *o = &tool_transport.opts;

	switch (c) {
	case OPT_CACERT: o->cacert = arg; return 1;
	case OPT_DELETE: tool_transport.delete_done = 1; return 1;
	case OPT_INSECURE:
		o->insecure = 1;
		tool_warn("warning: --insecure: host keys and certificates are NOT "
		    "checked; for tests only");
		return 1;
	case OPT_KNOWN_HOSTS: o->known_hosts = arg; return 1;
	case OPT_NETRC_FILE: o->netrc = arg; return 1;
	case OPT_OUTBOX: tool_transport.outbox = arg; return 1;
	case OPT_RETRY:
		o->retries = atoi(arg);
		if (o->retries < 0)
			tool_die(EXIT_TROUBLE, "--retry wants a number");
		return 1;
	case OPT_RETRY_MAX_TIME:
		o->retry_max_time = atol(arg);
		if (o->retry_max_time <= 0)
			tool_die(EXIT_TROUBLE, "--retry-max-time wants seconds");
		return 1;
	case OPT_SSH_KEY: o->ssh_key = arg; return 1;
	default: return 0;
	}
}

void
tool_outbox_flush(struct site *s)
{
	struct sp_error err;
	char *dir;
	int any;
	long waiting;

	any = store_outbox_any(s, &err);
	if (any < 0)
		tool_warn("%s", err.msg);
	if (any <= 0)
		return;
	/* Not DB.outbox of a URI: the files wait in the folder --outbox
	 * named when they were sent, and looking elsewhere would forget
	 * them as gone. */
	if (tool_transport.outbox == NULL && s->backend == SITE_POSTGRESQL) {
		tool_warn("%s: files wait in the outbox; give --outbox DIR to "
		    "deliver them", s->path);
		return;
	}
	dir = tool_transport.outbox ? strdup(tool_transport.outbox)
	    : outbox_default(s);
	if (dir == NULL) {
		tool_warn("out of memory");
		return;
	}
	err.msg[0] = '\0';
	waiting = outbox_deliver(s, dir, &tool_transport.opts, &err);
	if (waiting > 0)
		tool_warn("%ld files still wait in %s: %s", waiting, dir, err.msg);
	else if (waiting < 0)
		tool_warn("%s: %s", dir, err.msg);
	free(dir);
}
