/* hexenc.h: lower-case hexadecimal encoding of byte strings. */
#ifndef SYNCPACK_HEXENC_H
#define SYNCPACK_HEXENC_H

#include <stddef.h>

/* Writes 2*len hex digits and a NUL into out (2*len+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);

/* Decodes the n hex digits of text (either case) into n / 2 bytes of out,
 * which may be text itself (it is written behind what is read); -1 when
 * n is odd or a character is no hex digit. */
int hex_decode(const char *text, size_t n, unsigned char *out);

#endif
