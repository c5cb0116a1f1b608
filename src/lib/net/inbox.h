/* inbox.h: a folder (USB stick, mailbox) of exchange files: which are for
 * a site, in what order, and where they go once processed. */
#ifndef SYNCPACK_INBOX_H
#define SYNCPACK_INBOX_H

#include <stdint.h>

#include "util/error.h"
#include "sxf/siteid.h"
#include "sxf/sxf_reader.h"

struct inbox_file {
	char *path;		/* owned */
	char from[SITEID_MAX + 1];
	uint64_t flow;
};

/* Lists the .sxf files of dir addressed to site_id (or whose header
 * cannot be read, so that their refusal is reported), in flow order per
 * sender. Hidden files (partial writes) and files for other sites are
 * left alone. Free with inbox_free. */
SP_MUST_CHECK
int inbox_scan(const char *site_id, const char *dir,
    const struct sxf_limits *limits, struct inbox_file **files,
    size_t *count, struct sp_error *err);
void inbox_free(struct inbox_file *files, size_t count);

/* Moves a processed file into dir/done/: kept, never deleted. */
SP_MUST_CHECK
int inbox_move_done(const char *dir, const char *path, struct sp_error *err);

#endif
