/* siteid.c: validation of site ids and naming of exchange files. */
#include <stdio.h>
#include <string.h>

#include "sxf/siteid.h"

int
siteid_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > SITEID_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return 0;
	}
	return 1;
}

int
sxf_file_name(char *out, size_t outlen, const char *from, const char *to,
    uint64_t flow, const char *kind)
{
	int n = snprintf(out, outlen, "%s_%s_%06llu_%s.sxf", from, to,
	    (unsigned long long)flow, kind);

	return (n < 0 || (size_t)n >= outlen) ? -1 : 0;
}
