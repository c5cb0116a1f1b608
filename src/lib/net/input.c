/* input.c: the one place where "-" is turned into stdin. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/input.h"

int
input_open(const char *path, struct sp_error *err)
{
	struct stat st;
	int fd;

	if (strcmp(path, "-") == 0)
		return STDIN_FILENO;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sp_error_io(err, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		close(fd);
		sp_error_set(err, "is a folder");
		return -1;
	}
	return fd;
}

void
input_close(int fd)
{
	if (fd > STDIN_FILENO)
		close(fd);
}

const char *
input_display_name(const char *path)
{
	return strcmp(path, "-") == 0 ? "stdin" : path;
}
