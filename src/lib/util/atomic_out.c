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

/* Temporary files still open, which a signal or exit() must remove: a
 * list, since a tool may hold any number of outputs at once. The list is
 * only changed with every signal blocked, so the handler never sees it
 * half-linked. */
struct pending {
	struct pending *next;
	char *path;		/* borrowed from the atomic_out */
};
static struct pending *volatile pending_head;

static void
signals_block(sigset_t *old)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, old);
}

static void
signals_restore(const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
}

static void
pending_unlink_all(void)
{
	for (struct pending *p = pending_head; p != NULL; p = p->next)
		unlink(p->path);
}

static void
on_exit_cleanup(void)
{
	sigset_t old;

	signals_block(&old);
	pending_unlink_all();
	signals_restore(&old);
}

static int
pending_add(char *path)
{
	static int registered;
	struct pending *p = malloc(sizeof(*p));
	sigset_t old;

	if (p == NULL)
		return -1;
	if (!registered) {
		if (atexit(on_exit_cleanup) != 0) {
			free(p);
			return -1;
		}
		registered = 1;
	}
	p->path = path;
	signals_block(&old);
	p->next = pending_head;
	pending_head = p;
	signals_restore(&old);
	return 0;
}

static void
pending_remove(const char *path)
{
	struct pending *volatile *link = &pending_head, *p;
	sigset_t old;

	signals_block(&old);
	while ((p = *link) != NULL && p->path != path)
		link = &p->next;
	if (p != NULL)
		*link = p->next;
	signals_restore(&old);
	free(p);
}

static void
on_signal(int sig)
{
	pending_unlink_all();
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
	else if (target[0] != '\0' && target[strlen(target) - 1] == '/')
		/* Said to be a folder: found out now, not at the rename after
		 * the whole file is written. */
		return sp_error_set(err, "no such folder");
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
		sp_error_io(err, "%s: %s", o->final_path, strerror(errno));
		free(o->tmp_path);
		o->tmp_path = NULL;
		goto cleanup;
	}
	if (pending_add(o->tmp_path) != 0) {
		sp_error_set(err, "out of memory");
		goto fail_tmp;
	}
	if (fchmod(o->fd, 0644) != 0) {
		sp_error_io(err, "%s: chmod: %s", o->final_path,
		    strerror(errno));
		pending_remove(o->tmp_path);
		goto fail_tmp;
	}
	{
		struct statfs fs;
		o->on_fat = fstatfs(o->fd, &fs) == 0 &&
		    atomic_out_size_fits((long)fs.f_type, 1ULL << 32) != 0;
	}
	rc = 0;
	goto cleanup;
fail_tmp:
	close(o->fd);
	o->fd = -1;
	unlink(o->tmp_path);
	free(o->tmp_path);
	o->tmp_path = NULL;
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
			sp_error_io(err, "stdout: %s", strerror(errno));
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
		sp_error_io(err, "%s: fsync: %s", o->final_path, strerror(errno));
		goto fail;
	}
	if (close(o->fd) != 0) {
		o->fd = -1;
		sp_error_io(err, "%s: close: %s", o->final_path, strerror(errno));
		goto fail;
	}
	o->fd = -1;
	if (rename(o->tmp_path, o->final_path) != 0) {
		sp_error_io(err, "%s: rename: %s", o->final_path, strerror(errno));
		goto fail;
	}
	/* The rename is durable only once the folder itself is synced. */
	dircopy = strdup(o->final_path);
	if (dircopy != NULL) {
		dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
		free(dircopy);
		/* Some file systems (FAT through some drivers) cannot sync a
		 * folder; the file itself is synced and in place. */
		if (dfd >= 0 && fsync(dfd) != 0 && errno != EINVAL &&
		    errno != EROFS && errno != ENOTSUP) {
			sp_error_io(err, "%s: fsync of its folder: %s",
			    o->final_path, strerror(errno));
			close(dfd);
			atomic_out_release(o);
			return -1;
		}
		if (dfd >= 0)
			close(dfd);
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
