#!/bin/sh
# A site on PostgreSQL: the test's own server (t/servers.sh), syncadm init
# on a URI, what a URI may carry, and what such a site refuses so far.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# pg_dump_all: every row of the test database, as sp_app can read it.
pg_dump_all() {
	pg_dump -h "$PG_DIR" -p "$PG_PORT" -U sp_app -d "$PG_DB" --data-only
}

test_expect_success 'the server listens on its socket only; the tools run as an ordinary role' '
	pg_newdb harness &&
	test -S "$PG_DIR/.s.PGSQL.$PG_PORT" &&
	test "$(pg_sql -c "show listen_addresses")" = "" &&
	test "$(pg_sql -c "select rolsuper or rolcreaterole from pg_roles where rolname = current_user")" = f
'

test_expect_success 'init writes the key pair to the files given and records their path, not the key' '
	pg_newdb init1 &&
	expect_code 0 syncadm init -d "$PG_URI" --site ASOC --hub --key hub.key --pub hub.pub &&
	grep -q "initialised site ASOC (hub)" err &&
	test "$(stat -c %a hub.key)" = 600 &&
	grep -q "BEGIN PRIVATE KEY" hub.key && grep -q "BEGIN PUBLIC KEY" hub.pub &&
	test "$(pg_sql -c "select site, hub, key_path from syncpack.site")" = "ASOC|1|$PWD/hub.key" &&
	test "$(pg_sql -c "select pubkey from syncpack.site")" = "$(sed -n "/BEGIN PUBLIC/,/END PUBLIC/p" hub.pub | head -3)" &&
	pg_dump_all >dump.sql && grep -q ASOC dump.sql &&
	for line in $(grep -v -- ----- hub.key); do
		! grep -qF "$line" dump.sql || return 1
	done
'

test_expect_success 'init makes the schema syncpack and nothing outside it' '
	pg_newdb init2 &&
	pg_sql -c "create table article(id integer primary key, label text)" &&
	syncadm init -d "$PG_URI" --site BSOC --key b.key --pub b.pub 2>/dev/null &&
	pg_sql -c "select table_name from information_schema.tables where table_schema = '"'"'syncpack'"'"' order by 1" >tables &&
	printf "%s\n" change clock conflict fk flow held lock move_request outbox peer protocol purged record site tracked_table transfer >want &&
	diff want tables &&
	test "$(pg_sql -c "select table_schema || '"'"'.'"'"' || table_name from information_schema.tables where table_schema not in ('"'"'syncpack'"'"', '"'"'pg_catalog'"'"', '"'"'information_schema'"'"')")" = public.article &&
	test "$(pg_sql -c "select hub from syncpack.site")" = 0
'

test_expect_success 'init on a URI needs --key and --pub, and leaves the database as it was' '
	pg_newdb init3 &&
	expect_code 2 syncadm init -d "$PG_URI" --site ASOC --hub --key hub.key &&
	expect_err "^syncadm: postgresql:///init3\?host=.*: --key and --pub are required for a database that is not a file$" &&
	test ! -e hub.key &&
	test "$(pg_sql -c "select count(*) from pg_namespace where nspname = '"'"'syncpack'"'"'")" = 0
'

test_expect_success 'init refuses a database initialised already and writes no key' '
	pg_newdb init4 &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key a.key --pub a.pub 2>/dev/null &&
	expect_code 2 syncadm init -d "$PG_URI" --site ASOC --hub --key b.key --pub b.pub &&
	expect_err "^syncadm: postgresql:///init4\?.*: already initialised as a syncpack site$" &&
	test ! -e b.key && test ! -e b.pub &&
	test "$(pg_sql -c "select key_path from syncpack.site")" = "$PWD/a.key"
'

test_expect_success 'SYNCPACK_DB and the postgres:// scheme name a PostgreSQL site too' '
	pg_newdb init5 &&
	SYNCPACK_DB="postgres://sp_app@/init5?host=$PG_DIR&port=$PG_PORT" \
		syncadm init --site CSOC --key c.key --pub c.pub 2>/dev/null &&
	test "$(pg_sql -c "select site from syncpack.site")" = CSOC
'

test_expect_success 'a password in the URI is warned about and never shown' '
	pg_newdb init6 &&
	expect_code 0 syncadm init -d "postgresql://sp_app:s3cr3t@/init6?host=$PG_DIR&port=$PG_PORT" \
		--site ASOC --key a.key --pub a.pub &&
	grep -q "^syncadm: postgresql://sp_app@/init6?host=$PG_DIR&port=$PG_PORT: password in the URI; use ~/.pgpass, PGPASSWORD or a service file$" err &&
	expect_code 2 syncadm init -d "postgresql:///init6?host=$PG_DIR&password=s3cr3t&port=$PG_PORT&user=sp_app" \
		--site ASOC --key b.key --pub b.pub &&
	grep -q "^syncadm: postgresql:///init6?host=$PG_DIR&port=$PG_PORT&user=sp_app: password in the URI" err &&
	grep -q "already initialised" err &&
	! grep -q s3cr3t err &&
	SYNCPACK_DB="postgresql:///init6?host=$PG_DIR&port=$PG_PORT&user=sp_app&password=s3cr3t" \
		expect_code 2 syncadm init --site ASOC --key b.key --pub b.pub &&
	grep -q "^syncadm: postgresql:///init6?host=$PG_DIR&port=$PG_PORT&user=sp_app: password in the URI" err &&
	! grep -q s3cr3t err &&
	expect_code 2 syncadm init -d "postgresql://:s3cr3t@/init6?password=s3cr3t" \
		--site ASOC --key b.key --pub b.pub &&
	grep -q "^syncadm: postgresql://@/init6: password in the URI" err &&
	! grep -q s3cr3t err &&
	expect_code 2 syncadm init -d "$PG_URI" --site ASOC --key c.key --pub c.pub &&
	! grep -q "password in the URI" err
'

test_expect_success 'a server that is not there is an error naming the URI' '
	expect_code 2 syncadm init -d "postgresql:///x?host=$PG_DIR&port=1&user=sp_app" \
		--site ASOC --key a.key --pub a.pub &&
	expect_err "^syncadm: postgresql:///x\?host=.*&port=1&user=sp_app: connection to server on socket" &&
	test ! -e a.key
'

test_done
