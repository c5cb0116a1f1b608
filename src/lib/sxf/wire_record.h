/* wire_record.h: one record as it travels in a data file's data.jsonl
 * (sxf(5)): table, GUID, op, origin, owner, rowversion, base rowversion,
 * HLC stamp and site, columns by name, foreign keys as GUIDs. */
#ifndef SYNCPACK_WIRE_RECORD_H
#define SYNCPACK_WIRE_RECORD_H

#include <jansson.h>

#include "util/error.h"
#include "sxf/record.h"

struct wire_record {
	struct store_record rec;	/* deleted = op "delete" */
	int move;		/* op "move": the record changes site */
	json_t *columns;	/* borrowed from root; NULL for a delete */
	json_t *fk;		/* borrowed: col -> {table, guid, rowversion} */
	json_t *root;		/* owned: the whole parsed line */
};

/* Parses one JSON line strictly; free with wire_record_free. */
SP_MUST_CHECK
int wire_record_parse(const char *line, size_t len, struct wire_record *w,
    struct sp_error *err);
void wire_record_free(struct wire_record *w);

/* Builds the JSON object of a record; row and fk may be NULL. Returns a new
 * reference. */
json_t *wire_record_build(const struct store_record *rec, json_t *row,
    json_t *fk);

/* Writes record lines for a pack, one generator reused for every line.
 * Free with wire_writer_free; NULL with err set when memory runs out. */
struct wire_writer;
struct wire_writer *wire_writer_new(struct sp_error *err);
void wire_writer_free(struct wire_writer *ww);

/* Encodes rec as wire_record_build would, with op ("move"; NULL or
 * "upsert" for the record's own) and "revived", as one line ending in a
 * newline; *text stays valid until the next call. */
SP_MUST_CHECK
int wire_writer_line(struct wire_writer *ww, const struct store_record *rec,
    json_t *row, json_t *fk, const char *op, int revived,
    const char **text, size_t *len, struct sp_error *err);

/* 1 when s is 32 hexadecimal digits. */
int guid_valid(const char *s);

#endif
