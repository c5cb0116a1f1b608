/* input.h: opening an input path, where "-" means stdin. */
#ifndef SYNCPACK_INPUT_H
#define SYNCPACK_INPUT_H

#include "util/error.h"

/* Returns an fd for path ("-": stdin) or -1 with err set. Close it with
 * input_close, which leaves stdin open. */
SP_MUST_CHECK
int input_open(const char *path, struct sp_error *err);
void input_close(int fd);

/* The name messages use for path: "stdin" for "-". */
const char *input_display_name(const char *path);

#endif
