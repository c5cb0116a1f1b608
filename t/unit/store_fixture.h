/* store_fixture.h: what the store conformance tests (check_store_*.c)
 * share: a scratch folder, the application's own statements, the runner.
 * fixture_app and fixture_app_int are the one place a test reaches the
 * database other than through the store interface, and the only file of
 * the suite that knows the backend: a second backend replaces it. */
#ifndef SYNCPACK_STORE_FIXTURE_H
#define SYNCPACK_STORE_FIXTURE_H

#include <check.h>
#include <stddef.h>

/* Makes a scratch folder /tmp/NAME.XXXXXX into dir (size bytes). */
void fixture_dir_make(char *dir, size_t size, const char *name);

/* Removes the scratch folder and everything in it. */
void fixture_dir_remove(const char *dir);

/* Runs sql on the database at path as the application would, on a
 * connection of its own. */
void fixture_app(const char *path, const char *sql);

/* The one integer sql gives, read as the application would on a
 * connection of its own: how the tests look at application tables. */
long long fixture_app_int(const char *path, const char *sql);

/* Runs every test of s; the exit status of the test program. */
int fixture_run(Suite *s);

#endif
