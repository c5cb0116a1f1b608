/* hexenc.h: lower-case hexadecimal encoding of byte strings. */
#ifndef SYNCPACK_HEXENC_H
#define SYNCPACK_HEXENC_H

#include <stddef.h>

/* Writes 2*len hex digits and a NUL into out (2*len+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
