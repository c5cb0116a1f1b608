/* inputs.c: the FILE|DIR|URL|- arguments of the tools that read exchange
 * files (syncunpack, syncack), walked the same way for both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/tool.h"
#include "net/inbox.h"
#include "net/transport.h"
#include "store/site.h"
#include "sync/delivery.h"

int
tool_input_failed(const struct sp_error *err)
{
	return err->kind == SP_ERR_BUSY ? -1 : 0;
}

/* The walk ends at file (a path or URL) of a folder or mailbox, with left
 * more files after it. */
static void
walk_stopped(const char *file, size_t left)
{
	tool_warn("%s: stopping here: the database is busy; this file and %zu "
	    "more stay for the next run", file, left);
}

/* This site's mailbox under the URL root: downloads every file into a
 * private temporary folder, hands each to process in flow order (label:
 * the file's URL), and moves each processed one into done/ on the server,
 * or deletes it with --delete. */
static int
mailbox_run(struct site *s, const char *root,
    const struct sxf_limits *limits, tool_input_fn process, void *ctx,
    int *stop)
{
	char dir[1024], box[2048];
	const char *tmp = getenv("TMPDIR");
	struct inbox_file *files = NULL;
	struct sp_error err;
	char **names = NULL;
	size_t n = 0, count = 0;
	int rc = EXIT_OK;

	snprintf(dir, sizeof(dir), "%s/syncpack-mailbox.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		tool_warn("cannot create a temporary folder");
		return EXIT_TROUBLE;
	}
	if (mailbox_download(s, root, &tool_transport.opts, dir, box,
	    sizeof(box), &names, &n, &err) != 0) {
		tool_warn("%s", err.msg);
		rc = EXIT_TROUBLE;
	} else if (inbox_scan(s->id, dir, limits, &files,
	    &count, &err) != 0) {
		tool_warn("%s", err.msg);
		rc = EXIT_TROUBLE;
	}
	for (size_t i = 0; i < count; i++) {
		const char *name = strrchr(files[i].path, '/') + 1;
		char *label = NULL;
		int processed;

		if (asprintf(&label, "%s%s", box, name) < 0)
			label = NULL;
		processed = process(s, files[i].path, label, ctx, &rc);
		if (processed < 0) {
			walk_stopped(label ? label : name, count - i - 1);
			free(label);
			*stop = 1;
			break;
		}
		free(label);
		/* Verified and applied before anything leaves the server. */
		if (processed &&
		    transport_done(&tool_transport.opts, box, name,
		    tool_transport.delete_done, &err) != 0) {
			tool_warn("%s", err.msg);
			if (rc < EXIT_PARTIAL)
				rc = EXIT_PARTIAL;
		}
		unlink(files[i].path);
	}
	for (size_t i = 0; i < n; i++) {
		char *path;
		if (asprintf(&path, "%s/%s", dir, names[i]) >= 0) {
			unlink(path);
			free(path);
		}
	}
	rmdir(dir);
	inbox_free(files, count);
	transport_names_free(names, n);
	return rc;
}

/* A folder (USB stick): the files for this site in flow order, each moved
 * into done/ once processed. */
static int
folder_run(struct site *s, const char *dir, const struct sxf_limits *limits,
    tool_input_fn process, void *ctx, int *stop)
{
	struct inbox_file *files;
	struct sp_error err;
	size_t count;
	int rc = EXIT_OK;

	if (inbox_scan(s->id, dir, limits, &files, &count, &err) != 0) {
		tool_warn("%s", err.msg);
		return EXIT_TROUBLE;
	}
	for (size_t i = 0; i < count; i++) {
		int processed = process(s, files[i].path, NULL, ctx, &rc);

		if (processed < 0) {
			walk_stopped(files[i].path, count - i - 1);
			*stop = 1;
			break;
		}
		if (processed &&
		    inbox_move_done(dir, files[i].path, &err) != 0) {
			/* Processed, but it stays: partly done. */
			tool_warn("%s", err.msg);
			if (rc < EXIT_PARTIAL)
				rc = EXIT_PARTIAL;
		}
	}
	inbox_free(files, count);
	return rc;
}

int
tool_inputs_run(struct site *s, char **inputs, int n,
    const struct sxf_limits *limits, tool_input_fn process, void *ctx)
{
	int rc = EXIT_OK, stop = 0;

	for (int i = 0; i < n && !stop; i++) {
		struct stat st;
		int r = EXIT_OK;

		if (transport_is_url(inputs[i]))
			r = mailbox_run(s, inputs[i], limits, process, ctx,
			    &stop);
		else if (strcmp(inputs[i], "-") != 0 &&
		    stat(inputs[i], &st) == 0 && S_ISDIR(st.st_mode))
			r = folder_run(s, inputs[i], limits, process, ctx,
			    &stop);
		else if (process(s, inputs[i], NULL, ctx, &r) < 0 &&
		    i + 1 < n) {
			tool_warn("stopping here: the database is busy; %d more "
			    "inputs stay for the next run", n - i - 1);
			stop = 1;
		}
		if (r > rc)
			rc = r;
	}
	return rc;
}
