/* pack_schema.c: the schema.json member of data files (pack_schema.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "sync/pack_schema.h"
#include "store/packing.h"
#include "util/hexenc.h"

/* One table's part of schema.json while its columns are read. */
struct schema_table {
	EVP_MD_CTX *hash;
	json_t *cols;
};

/* Feeds one column to a table's fingerprint and list. */
static int
schema_column(void *ctx, const char *name, const char *type, int pk,
    struct sp_error *err)
{
	struct schema_table *st = ctx;
	char line[1024];
	int len = snprintf(line, sizeof(line), "%s|%s|%d\n", name, type, pk);

	if (len < 0)
		return sp_error_set(err, "%s: cannot fingerprint", name);
	if ((size_t)len >= sizeof(line))
		len = sizeof(line) - 1;	/* no real column name is that long */
	if (EVP_DigestUpdate(st->hash, line, (size_t)len) != 1 ||
	    json_array_append_new(st->cols, json_string(name)) != 0)
		return sp_error_set(err, "out of memory");
	return 0;
}

int
pack_write_schema(struct site *s, struct sxf_writer *w,
    const struct tracked_table *tables, int n, struct sp_error *err)
{
	json_t *all = json_object();
	char *text;
	int rc;

	if (all == NULL)
		return sp_error_set(err, "out of memory");
	for (int i = 0; i < n; i++) {
		struct schema_table st = { EVP_MD_CTX_new(), json_array() };
		unsigned char digest[32];
		char hex[65];

		rc = st.hash != NULL && st.cols != NULL &&
		    EVP_DigestInit_ex(st.hash, EVP_sha256(), NULL) == 1 ? 0 :
		    sp_error_set(err, "out of memory");
		if (rc == 0)
			rc = store_table_columns(s, tables[i].name,
			    schema_column, &st, err);
		if (rc == 0 && EVP_DigestFinal_ex(st.hash, digest, NULL) != 1)
			rc = sp_error_set(err, "cannot fingerprint %s",
			    tables[i].name);
		EVP_MD_CTX_free(st.hash);
		if (rc != 0) {
			json_decref(st.cols);
			json_decref(all);
			return -1;
		}
		hex_encode(digest, sizeof(digest), hex);
		json_object_set_new(all, tables[i].name, json_pack("{s:s, s:o}",
		    "fingerprint", hex, "columns", st.cols));
	}
	text = json_dumps(all, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(all);
	if (text == NULL)
		return sp_error_set(err, "out of memory");
	rc = sxf_writer_member_begin(w, "schema.json", err);
	if (rc == 0)
		rc = sxf_writer_member_write(w, text, strlen(text), err);
	if (rc == 0)
		rc = sxf_writer_member_end(w, err);
	free(text);
	return rc;
}
