/* exitcode.h: the exit codes every syncpack tool uses and documents. */
#ifndef SYNCPACK_EXITCODE_H
#define SYNCPACK_EXITCODE_H

#define EXIT_OK      0	/* success, or "same" */
#define EXIT_PARTIAL 1	/* the answer is no, or partly done: differences, held, rejected */
#define EXIT_TROUBLE 2	/* usage error, bad file, I/O, nothing applied */

#endif
