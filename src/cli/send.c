/* send.c: the one way a tool writes an exchange file and sends it on:
 * prepare the destination, write, deliver. */
#include <stdio.h>

#include "cli/tool.h"
#include "sync/delivery.h"

int
tool_send(struct site *s, const char *output, const char *peer,
    const char *kind, const char *label, tool_write_fn write, void *ctx)
{
	const struct exchange_written *file = NULL;
	struct delivery d;
	struct sp_error err;
	int r;

	if (delivery_prepare(s, output, peer, tool_transport.outbox, &d,
	    &err) != 0) {
		delivery_free(&d);
		tool_warn("%s", err.msg);
		return EXIT_TROUBLE;
	}
	r = write(s, d.target, ctx, &file, &err);
	if (r < 0)
		tool_warn("%s: %s", label ? label : output ? output : d.target,
		    err.msg);
	if (r <= 0) {
		delivery_free(&d);
		return r < 0 ? EXIT_TROUBLE : EXIT_OK;
	}
	if (file->unsealed[0] != '\0')
		tool_warn("%s: %s", file->path, file->unsealed);
	err.msg[0] = '\0';
	r = delivery_finish(s, &d, file, kind, peer, &tool_transport.opts,
	    &err);
	if (r == 0 && d.url != NULL)
		fprintf(stderr, "%s: %s: delivered to %s\n", tool_name,
		    file->path, d.url);
	else if (r != 0)
		tool_warn("%s", err.msg);
	delivery_free(&d);
	return r == 0 ? EXIT_OK : r > 0 ? EXIT_PARTIAL : EXIT_TROUBLE;
}
