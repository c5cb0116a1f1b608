#!/bin/sh
# The library's folders keep their rules (scripts/check-layers): includes
# point down the layers, SQLite only in store/sqlite/, libpq only in
# store/pg/, the store conformance tests on the interface only, no cycle
# between files; and the checker itself sees a breach.
. "$SYNCPACK_SRC/t/lib.sh"

test_expect_success 'the source tree keeps the layer rules' '
	check-layers "$SYNCPACK_BUILD" >out 2>&1;
	rc=$?; cat out; test $rc -eq 0
'

# A copy of the tree with one breach of each kind planted in it.
test_expect_success 'a breach is reported, and a mended pending one too' '
	rm -rf tree && mkdir -p tree/scripts tree/t &&
	cp -R "$SYNCPACK_SRC/src" tree/ &&
	cp -R "$SYNCPACK_SRC/t/unit" tree/t/ &&
	cp "$SYNCPACK_SRC/scripts/check-layers" tree/scripts/ &&
	printf "#include \"sync/pack.h\"\n" >>tree/src/lib/util/hexenc.c &&
	printf "static void f(void) { sqlite3_free(0); }\n" >>tree/src/lib/sxf/siteid.c &&
	printf "#include \"store/sqlite/sql.h\"\n" >>tree/t/unit/check_store.c &&
	printf "static void g(void) { PQfinish(0); }\n" >>tree/src/lib/sync/pack.c &&
	printf "#include <libpq-fe.h>\n" >>tree/src/lib/store/sqlite/sql.c &&
	printf "#include \"store/sqlite/sql.h\"\n" >>tree/src/lib/store/pg/conn.c &&
	echo "src/lib/util/clock.c: calls sqlite3_* (1 uses)" >>tree/src/lib/LAYERS-PENDING &&
	{ tree/scripts/check-layers >out 2>&1; rc=$?; } ;
	cat out; test $rc -eq 1 &&
	grep -q "src/lib/util/hexenc.c: includes sync/pack.h (util may not use sync)" out &&
	grep -q "src/lib/sxf/siteid.c: calls sqlite3_\* (1 uses)" out &&
	grep -q "t/unit/check_store.c: includes a header of store/sqlite/" out &&
	grep -q "src/lib/sync/pack.c: calls PQ\* (1 uses)" out &&
	grep -q "src/lib/store/sqlite/sql.c: includes libpq-fe.h" out &&
	grep -q "src/lib/store/pg/conn.c: includes store/sqlite/sql.h (store/pg may not use store/sqlite)" out &&
	grep -q "mended, remove: src/lib/util/clock.c" out
'

test_done
