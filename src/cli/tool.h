/* tool.h: what every syncpack command shares: messages, the -d default,
 * allocation that exits on failure. Only the tools use this, never the
 * library. */
#ifndef SYNCPACK_TOOL_H
#define SYNCPACK_TOOL_H

#include <stddef.h>
#include <stdio.h>

#include "util/exitcode.h"

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

/* The options every tool takes; put TOOL_COMMON_OPTIONS in its option
 * table and hand option codes it does not know to tool_common_option. */
#define TOOL_COMMON_OPTIONS \
	{ "database", required_argument, NULL, 'd' }, \
	{ "help", no_argument, NULL, 'h' }, \
	{ "version", no_argument, NULL, 'V' }

/* 1 when c was -d (arg stored in *db); -h prints usage to stdout and exits
 * 0, -V prints the version and exits 0; else 0. */
int tool_common_option(int c, const char *arg, const char **db,
    void (*usage)(FILE *));

#include "net/transport.h"

/* The transport options every tool that reads or writes exchange files
 * takes; add TOOL_TRANSPORT_OPTIONS to its option table and hand unknown
 * option codes to tool_transport_option. */
enum {
	OPT_CACERT = 1000, OPT_DELETE, OPT_INSECURE, OPT_KNOWN_HOSTS,
	OPT_NETRC_FILE, OPT_OUTBOX, OPT_RETRY, OPT_RETRY_MAX_TIME, OPT_SSH_KEY
};
#define TOOL_TRANSPORT_OPTIONS \
	{ "cacert", required_argument, NULL, OPT_CACERT }, \
	{ "delete", no_argument, NULL, OPT_DELETE }, \
	{ "insecure", no_argument, NULL, OPT_INSECURE }, \
	{ "known-hosts", required_argument, NULL, OPT_KNOWN_HOSTS }, \
	{ "netrc-file", required_argument, NULL, OPT_NETRC_FILE }, \
	{ "outbox", required_argument, NULL, OPT_OUTBOX }, \
	{ "retry", required_argument, NULL, OPT_RETRY }, \
	{ "retry-max-time", required_argument, NULL, OPT_RETRY_MAX_TIME }, \
	{ "ssh-key", required_argument, NULL, OPT_SSH_KEY }

struct tool_transport {
	struct transport_opts opts;
	const char *outbox;	/* NULL: DB.outbox */
	int delete_done;	/* --delete: processed files are deleted */
};

extern struct tool_transport tool_transport;

/* 1 when c was a transport option (stored in tool_transport), else 0. */
int tool_transport_option(int c, const char *arg);

struct site;
struct sp_error;
struct exchange_written;

/* Uploads what earlier runs left in the outbox; warns about what still
 * waits. Every sending tool calls it first. */
void tool_outbox_flush(struct site *s);

/* Writes the file to target: -1 with err set, 0 when there is nothing to
 * send (no file), or 1 with *file naming what it wrote. It prints its own
 * line about what it wrote. */
typedef int (*tool_write_fn)(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err);

/* The send path of every tool that writes an exchange file of kind for
 * peer: the destination is output (-o: a file, a folder, "-", a URL), else
 * the peer's URL through the outbox; write writes there, and what it wrote
 * is delivered. A failure is reported as "label: reason" (label NULL: the
 * output or the target). Returns the exit code: 0 (also when there was
 * nothing to send), 1 (the file waits in the outbox), 2. */
int tool_send(struct site *s, const char *output, const char *peer,
    const char *kind, const char *label, tool_write_fn write, void *ctx);

struct sxf_limits;

/* Processes one exchange file at path (label: its URL, or NULL to name it
 * by path); raises *rc to the exit code it deserves. Returns 1 when the
 * file is done with (it then moves into done/ or is deleted), 0 when it
 * must stay where it is, -1 when it stays and so must every file after it
 * (the database is busy: the next files would wait in vain). */
typedef int (*tool_input_fn)(struct site *s, const char *path,
    const char *label, void *ctx, int *rc);

/* What a tool_input_fn returns for a file that failed with err: -1 when
 * the next files cannot fare better (the database is busy), else 0. */
int tool_input_failed(const struct sp_error *err);

/* Walks the FILE|DIR|URL|- arguments of a reading tool: a file or "-" is
 * processed as it is; a folder's files for this site in flow order, each
 * moved into its done/ folder once processed; a URL is this site's
 * mailbox under it: every file is downloaded into a private temporary
 * folder, processed in flow order, and moved into done/ on the server (or
 * deleted with --delete) once processed. A file processed that cannot be
 * moved makes the run partial. The walk stops at a file process says -1
 * of, leaving it and the rest in place. Returns the worst exit code. */
int tool_inputs_run(struct site *s, char **inputs, int n,
    const struct sxf_limits *limits, tool_input_fn process, void *ctx);

/* Parses a size such as 1048576, 64K, 16M, 4G. Returns -1 when malformed. */
int tool_parse_size(const char *s, unsigned long long *out);

#endif
