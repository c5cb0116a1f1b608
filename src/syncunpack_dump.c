/* syncunpack_dump.c: syncunpack --dump, the records of an exchange file
 * as JSON Lines on stdout, for a person and jq. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/tool.h"
#include "net/input.h"
#include "store/site.h"
#include "sync/exchange_file.h"
#include "syncunpack.h"
#include "util/line_buffer.h"

struct dump {
	struct line_buffer lines;
	int in_data;		/* inside data.jsonl */
	long long records;
};

static int
dump_line(void *ctx, const char *line, size_t len, struct sp_error *err)
{
	struct dump *d = ctx;
	json_error_t jerr;
	json_t *rec;

	if (len == 0)
		return 0;
	/* Verified by then, but a line that is not one JSON object would
	 * break the reader it is printed for. */
	rec = json_loadb(line, len, 0, &jerr);
	if (!json_is_object(rec)) {
		json_decref(rec);
		return sp_error_set(err, "data.jsonl: record %lld is not a JSON "
		    "object: %s", d->records + 1, jerr.text);
	}
	json_decref(rec);
	if (fwrite(line, 1, len, stdout) != len || putchar('\n') == EOF)
		return sp_error_set(err, "standard output: write failed");
	d->records++;
	return 0;
}

static int
dump_member_begin(void *ctx, const char *name, uint64_t size,
    struct sp_error *err)
{
	struct dump *d = ctx;

	(void)size;
	(void)err;
	d->in_data = strcmp(name, "data.jsonl") == 0;
	return 0;
}

static int
dump_member_data(void *ctx, const void *buf, size_t len,
    struct sp_error *err)
{
	struct dump *d = ctx;

	return d->in_data ? line_buffer_feed(&d->lines, buf, len, dump_line, d,
	    err) : 0;
}

static int
dump_member_end(void *ctx, const char *name, struct sp_error *err)
{
	struct dump *d = ctx;
	int rc = 0;

	(void)name;
	if (d->in_data)
		rc = line_buffer_flush(&d->lines, dump_line, d, err);
	d->in_data = 0;
	return rc;
}

/* A file that can be read twice, named through /dev/fd: a regular file
 * kept open, so that both readings see the same file even if its name is
 * given to another meanwhile; anything else (stdin, a pipe) copied to an
 * unlinked temporary file. *spool owns what is open. Returns the name to
 * read, or NULL. */
static const char *
rereadable(const char *path, FILE **spool, char *name, size_t size)
{
	struct stat st;
	FILE *in;
	char buf[65536];
	size_t n;

	*spool = NULL;
	in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	if (in == NULL || fstat(fileno(in), &st) != 0) {
		tool_warn("%s: %s", input_display_name(path), strerror(errno));
		if (in != NULL && in != stdin)
			fclose(in);
		return NULL;
	}
	if (S_ISREG(st.st_mode) && in != stdin) {
		*spool = in;
		snprintf(name, size, "/dev/fd/%d", fileno(in));
		return name;
	}
	if ((*spool = tmpfile()) == NULL) {
		tool_warn("%s: no temporary file to read it twice: %s",
		    input_display_name(path), strerror(errno));
		if (in != stdin)
			fclose(in);
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, *spool) != n)
			break;
	if (ferror(in) || ferror(*spool) || fflush(*spool) != 0) {
		tool_warn("%s: cannot copy it to a temporary file: %s",
		    input_display_name(path), strerror(errno));
		if (in != stdin)
			fclose(in);
		fclose(*spool);
		*spool = NULL;
		return NULL;
	}
	if (in != stdin)
		fclose(in);
	snprintf(name, size, "/dev/fd/%d", fileno(*spool));
	return name;
}

int
syncunpack_dump(const char *db, const char *path,
    const struct sxf_limits *limits)
{
	struct dump d;
	struct sxf_read_ops ops;
	struct sxf_read_result res;
	struct sp_error err;
	struct site s;
	FILE *spool;
	char spool_name[32];
	const char *file;
	int rc = EXIT_TROUBLE;

	if (db != NULL && site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	if ((file = rereadable(path, &spool, spool_name,
	    sizeof(spool_name))) == NULL)
		goto done;
	/* Every check first, so that nothing of a bad file is printed. */
	memset(&ops, 0, sizeof(ops));
	if (exchange_file_read(db ? &s : NULL, file, limits, &ops, &res,
	    &err) != 0) {
		tool_warn("%s: %s", input_display_name(path), err.msg);
		goto done;
	}
	if (res.sealed && db == NULL) {
		tool_warn("%s: sealed: only its recipient can read it (give -d "
		    "with the recipient's database)", input_display_name(path));
		goto done;
	}
	memset(&d, 0, sizeof(d));
	ops.on_member_begin = dump_member_begin;
	ops.on_member_data = dump_member_data;
	ops.on_member_end = dump_member_end;
	ops.ctx = &d;
	if (exchange_file_read(db ? &s : NULL, file, limits, &ops, &res,
	    &err) != 0)
		tool_warn("%s: %s", input_display_name(path), err.msg);
	else if (fflush(stdout) != 0)
		tool_warn("standard output: write failed");
	else
		rc = EXIT_OK;
	line_buffer_free(&d.lines);
done:
	if (spool != NULL)
		fclose(spool);
	if (db != NULL)
		site_close(&s);
	return rc;
}
