/* atomic_out.h: output files that appear whole or not at all.
 *
 * Call atomic_out_open, write to o->fd, then exactly one of atomic_out_commit
 * (fsync, rename into place, fsync the folder) or atomic_out_abort (remove
 * the temporary file). "-" writes to stdout and is refused on a terminal. */
#ifndef SYNCPACK_ATOMIC_OUT_H
#define SYNCPACK_ATOMIC_OUT_H

#include "util/error.h"

struct atomic_out {
	int fd;
	int is_stdout;
	int on_fat;		/* the destination is a FAT file system */
	char *tmp_path;		/* owned; NULL for stdout */
	char *final_path;	/* owned; "-" for stdout */
};

/* target: "-", an existing folder (the file is named dir_name inside it), or
 * a file path. */
SP_MUST_CHECK
int atomic_out_open(struct atomic_out *o, const char *target,
    const char *dir_name, struct sp_error *err);
SP_MUST_CHECK
int atomic_out_commit(struct atomic_out *o, struct sp_error *err);
void atomic_out_abort(struct atomic_out *o);

/* 0 when a file of size bytes fits the file system (type as statfs(2)
 * reports it); FAT holds files of at most 4 GiB - 1. */
int atomic_out_size_fits(long fs_type, unsigned long long size);

#define ATOMIC_OUT_FAT_MESSAGE "a file of 4 GiB or more cannot be " \
	"written to a FAT file system (USB stick): use a smaller window or " \
	"a network mailbox"

/* Installs handlers so SIGINT, SIGTERM, SIGHUP and SIGPIPE remove any
 * temporary file still open before the process dies. An exit() with
 * outputs still open removes their temporary files in any case. */
void atomic_out_cleanup_on_signals(void);

#endif
