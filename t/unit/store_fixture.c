/* store_fixture.c: the scratch folders and the runner of the store
 * conformance tests (store_fixture.h), the same on every backend. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "store_fixture.h"

void
fixture_dir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/%s.XXXXXX", name);
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

void
fixture_dir_remove(const char *dir)
{
	char cmd[128];

	fixture_backend_forget(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

int
fixture_run(Suite *s)
{
	SRunner *sr;
	int failed;

	fixture_backend_start();
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

struct store_record
fixture_remote_record(const char *table, const char *guid,
    long long rowversion)
{
	struct store_record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.guid, sizeof(r.guid), "%s", guid);
	snprintf(r.table, sizeof(r.table), "%s", table);
	strcpy(r.origin, "BSOC");
	strcpy(r.owner, "BSOC");
	strcpy(r.hlc_site, "BSOC");
	strcpy(r.src, "BSOC");
	r.rowversion = rowversion;
	r.hlc = (long long)1 << 60;
	return r;
}
