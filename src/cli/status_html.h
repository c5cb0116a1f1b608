/* status_html.h: a site's status (sync/status.h) as one self-contained
 * HTML page, for a web folder an operator looks at. */
#ifndef SYNCPACK_CLI_STATUS_HTML_H
#define SYNCPACK_CLI_STATUS_HTML_H

#include <stdio.h>

#include <jansson.h>

/* Writes the page for st (site_status's object) to f: inline CSS, no
 * script, no external asset; a row per peer with its times (UTC, to the
 * minute), counts, and "ok" or "attention" with the reason in words, the
 * colour only repeating them. now: seconds since 1970, the time it says
 * it was written. */
void status_html_write(FILE *f, json_t *st, long long now);

#endif
