/* inbox.c: scanning a folder of exchange files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "net/inbox.h"
#include "net/input.h"

static int
peek_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct inbox_file *f = ctx;

	snprintf(f->from, sizeof(f->from), "%s", h->from);
	f->flow = h->flow;
	/* Stop reading: the header is all a scan needs. */
	return sp_error_set(err, "header read");
}

static int
inbox_order(const void *a, const void *b)
{
	const struct inbox_file *x = a, *y = b;
	int c = strcmp(x->from, y->from);

	if (c != 0)
		return c;
	return x->flow < y->flow ? -1 : x->flow > y->flow;
}

int
inbox_scan(const char *site_id, const char *dir, const struct sxf_limits *limits,
    struct inbox_file **files, size_t *count, struct sp_error *err)
{
	struct inbox_file *list = NULL;
	struct dirent *de;
	size_t n = 0;
	DIR *d = opendir(dir);

	*files = NULL;
	*count = 0;
	if (d == NULL)
		return sp_error_io(err, "%s: %s", dir, strerror(errno));
	/* A file skipped here would silently never be applied: every failure
	 * fails the scan. */
	for (;;) {
		size_t len;
		struct inbox_file f, *grown;
		struct sxf_read_ops ops;
		struct sxf_read_result rr;
		struct sp_error perr;
		struct stat st;
		int fd;

		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				sp_error_io(err, "%s: %s", dir, strerror(errno));
				goto fail;
			}
			break;
		}
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 5 ||
		    strcmp(de->d_name + len - 4, ".sxf") != 0)
			continue;
		memset(&f, 0, sizeof(f));
		if (asprintf(&f.path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/'
		    ? "" : "/", de->d_name) < 0) {
			sp_error_set(err, "out of memory");
			goto fail;
		}
		if (stat(f.path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(f.path);
			continue;
		}
		memset(&ops, 0, sizeof(ops));
		ops.on_header = peek_header;
		ops.ctx = &f;
		fd = input_open(f.path, &perr);
		if (fd >= 0) {
			/* peek_header stops the read once the header is in,
			 * so its result says nothing; a file whose header
			 * cannot be read stays listed, for its refusal to be
			 * reported when it is processed. */
			int stopped = sxf_read_fd(fd, limits, &ops, &rr, &perr);

			(void)stopped;
			input_close(fd);
			if (rr.header_ok && strcmp(rr.header.to, site_id) != 0) {
				free(f.path);
				continue;
			}
		}
		grown = realloc(list, (n + 1) * sizeof(*list));
		if (grown == NULL) {
			free(f.path);
			sp_error_set(err, "out of memory");
			goto fail;
		}
		list = grown;
		list[n++] = f;
	}
	closedir(d);
	if (n > 1)
		qsort(list, n, sizeof(*list), inbox_order);
	*files = list;
	*count = n;
	return 0;
fail:
	closedir(d);
	inbox_free(list, n);
	return -1;
}

void
inbox_free(struct inbox_file *files, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(files[i].path);
	free(files);
}

int
inbox_move_done(const char *dir, const char *path, struct sp_error *err)
{
	char *done = NULL, *target = NULL;
	const char *base = strrchr(path, '/');
	int rc = 0;

	base = base ? base + 1 : path;
	if (asprintf(&done, "%s/done", dir) < 0)
		return sp_error_set(err, "out of memory");
	if (mkdir(done, 0755) != 0 && errno != EEXIST)
		rc = sp_error_io(err, "%s: %s", done, strerror(errno));
	else if (asprintf(&target, "%s/%s", done, base) < 0)
		rc = sp_error_set(err, "out of memory");
	else if (rename(path, target) != 0)
		rc = sp_error_io(err, "%s: cannot move into %s: %s", path, done,
		    strerror(errno));
	free(done);
	free(target);
	return rc;
}
