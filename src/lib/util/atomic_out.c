/* atomic_out.c: mkstemp in the destination folder, fsync, rename. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "util/atomic_out.h"

/* Temporary files a signal handler must remove; a tool has at most a few
 * outputs open at once. */
#define PENDING_MAX 8
static char *volatile pending[PENDING_MAX];

static void
pending_add(char *path)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i] == NULL) {
			pending[i] = path;
			return;
		}
}

static void
pending_remove(const char *path)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i] == path)
			pending[i] = NULL;
}

static void
on_signal(int sig)
{
	for (int i = 0; i < PENDING_MAX; i++)
		if (pending[i] != NULL)
			unlink(pending[i]);
	signal(sig, SIG_DFL);
	raise(sig);
}

void
atomic_out_cleanup_on_signals(void)
{
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	signal(SIGPIPE, on_signal);
}

#define FAT_MAGIC 0x4d44	/* MSDOS_SUPER_MAGIC: vfat, msdos */

int
atomic_out_size_fits(long fs_type, unsigned long long size)
{
	return fs_type == FAT_MAGIC && size >= (1ULL << 32) - 1 ? -1 : 0;
}

static char *
join_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s%s%s", dir,
		    (dir[0] && dir[strlen(dir) - 1] == '/') ? "" : "/", name);
	return p;
}

int
atomic_out_open(struct atomic_out *o, const char *target,
    const char *dir_name, struct sp_error *err)
{
	struct stat st;
	char *dircopy = NULL, *basecopy = NULL;
	int rc = -1;

	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (strcmp(target, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			return sp_error_set(err, "refusing to write an exchange "
			    "file to a terminal");
		o->fd = STDOUT_FILENO;
		o->is_stdout = 1;
		o->final_path = strdup("-");
		return o->final_path ? 0 : sp_error_set(err, "out of memory");
	}
	if (stat(target, &st) == 0 && S_ISDIR(st.st_mode))
		o->final_path = join_path(target, dir_name);
	else
		o->final_path = strdup(target);
	if (o->final_path == NULL)
		return sp_error_set(err, "out of memory");

	dircopy = strdup(o->final_path);
	basecopy = strdup(o->final_path);
	if (dircopy == NULL || basecopy == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	{
		/* A leading dot keeps readers of a mailbox folder from picking
		 * up a file that is still being written. */
		const char *dir = dirname(dircopy), *base = basename(basecopy);
		size_t n = strlen(dir) + strlen(base) + 16;
		o->tmp_path = malloc(n);
		if (o->tmp_path == NULL) {
			sp_error_set(err, "out of memory");
			goto cleanup;
		}
		snprintf(o->tmp_path, n, "%s/.%s.XXXXXX", dir, base);
	}
	o->fd = mkstemp(o->tmp_path);
	if (o->fd < 0) {
		sp_error_set(err, "%s: %s", o->final_path, strerror(errno));
		free(o->tmp_path);
		o->tmp_path = NULL;
		goto cleanup;
	}
	fchmod(o->fd, 0644);
	{
		struct statfs fs;
		o->on_fat = fstatfs(o->fd, &fs) == 0 &&
		    atomic_out_size_fits((long)fs.f_type, 1ULL << 32) != 0;
	}
	pending_add(o->tmp_path);
	rc = 0;
cleanup:
	free(dircopy);
	free(basecopy);
	if (rc != 0) {
		free(o->final_path);
		o->final_path = NULL;
	}
	return rc;
}

static void
atomic_out_release(struct atomic_out *o)
{
	if (o->tmp_path != NULL) {
		pending_remove(o->tmp_path);
		free(o->tmp_path);
	}
	free(o->final_path);
	o->tmp_path = o->final_path = NULL;
	o->fd = -1;
}

int
atomic_out_commit(struct atomic_out *o, struct sp_error *err)
{
	char *dircopy;
	int dfd, rc = -1;

	if (o->is_stdout) {
		if (fsync(o->fd) != 0 && errno != EINVAL && errno != EROFS &&
		    errno != ENOTSUP) {
			sp_error_set(err, "stdout: %s", strerror(errno));
			atomic_out_release(o);
			return -1;
		}
		atomic_out_release(o);
		return 0;
	}
	if (o->on_fat) {
		struct stat st;
		if (fstat(o->fd, &st) == 0 && atomic_out_size_fits(0x4d44,
		    (unsigned long long)st.st_size) != 0) {
			sp_error_set(err, "%s: %s", o->final_path,
			    ATOMIC_OUT_FAT_MESSAGE);
			goto fail;
		}
	}
	if (fsync(o->fd) != 0) {
		sp_error_set(err, "%s: fsync: %s", o->final_path, strerror(errno));
		goto fail;
	}
	if (close(o->fd) != 0) {
		o->fd = -1;
		sp_error_set(err, "%s: close: %s", o->final_path, strerror(errno));
		goto fail;
	}
	o->fd = -1;
	if (rename(o->tmp_path, o->final_path) != 0) {
		sp_error_set(err, "%s: rename: %s", o->final_path, strerror(errno));
		goto fail;
	}
	/* The rename is durable only once the folder itself is synced. */
	dircopy = strdup(o->final_path);
	if (dircopy != NULL) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
		free(dircopy);
	}
	rc = 0;
	atomic_out_release(o);
	return rc;
fail:
	atomic_out_abort(o);
	return -1;
}

void
atomic_out_abort(struct atomic_out *o)
{
	if (o->is_stdout) {
		atomic_out_release(o);
		return;
	}
	if (o->fd >= 0)
		close(o->fd);
	if (o->tmp_path != NULL)
		unlink(o->tmp_path);
	atomic_out_release(o);
}
