/* syncunpack.h: what syncunpack's files share. */
#ifndef SYNCPACK_SYNCUNPACK_H
#define SYNCPACK_SYNCUNPACK_H

#include "sxf/sxf_reader.h"

/* syncunpack --dump: verifies path ("-": stdin) in full, then prints the
 * records of its data member as JSON Lines; db (may be NULL) checks the
 * signature and opens a sealed file. Returns the exit status. */
int syncunpack_dump(const char *db, const char *path,
    const struct sxf_limits *limits);

#endif
