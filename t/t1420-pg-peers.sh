#!/bin/sh
# Peers of a PostgreSQL site: syncadm peer add and peer list, with the
# same rules as on SQLite, between a PostgreSQL hub and SQLite spokes.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap pg_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }

# hub NAME: a fresh database NAME initialised as the hub ASOC (keys in
# hub.key and hub.pub) and two SQLite spokes b.db (BSOC), c.db (CSOC).
hub() {
	pg_newdb "$1" &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key hub.key --pub hub.pub 2>/dev/null &&
	syncadm init -d b.db --site BSOC 2>/dev/null &&
	syncadm init -d c.db --site CSOC 2>/dev/null
}

test_expect_success 'a PostgreSQL hub registers SQLite spokes, and they it' '
	hub peers1 &&
	expect_code 0 syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub \
		--url "sftp://hub.example/box/" &&
	expect_code 0 syncadm peer add -d "$PG_URI" --site CSOC --key c.db.pub --compress zstd &&
	expect_code 0 syncadm peer add -d b.db --site ASOC --key hub.pub &&
	test "$(sqlite3 b.db "select pubkey from syncpack_peer")" = \
		"$(pg_sql -c "select pubkey from syncpack.site")" &&
	test "$(pg_sql -c "select pubkey from syncpack.peer where site = '"'"'BSOC'"'"'")" = \
		"$(sqlite3 b.db "select pubkey from syncpack_site")" &&
	test "$(pg_sql -c "select seal_pub from syncpack.peer where site = '"'"'CSOC'"'"'")" = \
		"$(sqlite3 c.db "select seal_pub from syncpack_site")" &&
	expect_code 0 syncadm peer list -d "$PG_URI" &&
	grep -q "^PEER  *URL  *ADDED  *COMPRESS  *SEAL  *READS  *EXPECT$" out &&
	grep -q "^BSOC  *sftp://hub.example/box/  *20[0-9-]*T[0-9:]*Z  *gzip  *sealed  *-  *26h$" out &&
	grep -q "^CSOC  *-  .*zstd  *sealed  *-  *26h$" out &&
	syncadm peer list -d "$PG_URI" --json >p.json &&
	syncadm peer list -d b.db --json >b.json &&
	test "$(jq -r ".[] | [.peer, .seal, .expect] | @tsv" p.json)" = "BSOC	sealed	26h
CSOC	sealed	26h" &&
	test "$(jq -r "map(keys) | .[0] | join(\" \")" p.json)" = "$(jq -r "map(keys) | .[0] | join(\" \")" b.json)"
'

test_expect_success 'key prints the public keys that init wrote; the sealing key is there' '
	hub keys1 &&
	expect_code 0 syncadm key -d "$PG_URI" &&
	cmp out hub.pub &&
	expect_code 2 syncadm key -d "$PG_URI" --add-sealing &&
	expect_err "^syncadm: postgresql:///keys1\?.*: ASOC already has a sealing key$"
'

test_expect_success 'adding a peer again takes its new key and keeps its URL' '
	hub peers2 &&
	syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub --url "dir:/x/" &&
	rm b.db b.db.key b.db.pub && syncadm init -d b.db --site BSOC 2>/dev/null &&
	expect_code 0 syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub &&
	test "$(pg_sql -c "select pubkey from syncpack.peer")" = \
		"$(sqlite3 b.db "select pubkey from syncpack_site")" &&
	test "$(pg_sql -c "select url from syncpack.peer")" = dir:/x/
'

test_expect_success 'a key without a sealing key is taken with a warning' '
	hub peers3 &&
	openssl genpkey -algorithm ed25519 -out only.key &&
	openssl pkey -in only.key -pubout -out only.pub &&
	expect_code 0 syncadm peer add -d "$PG_URI" --site DSOC --key only.pub &&
	expect_err "^syncadm: only.pub: no sealing key .*files to DSOC will not be sealed$" &&
	syncadm peer list -d "$PG_URI" >out && grep -q "^DSOC .* no-key " out
'

test_expect_success 'peer set changes what files to a peer are like' '
	hub peers5 &&
	syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub &&
	expect_code 0 syncadm peer set -d "$PG_URI" --site BSOC --no-seal --compress zstd --expect 2d &&
	syncadm peer list -d "$PG_URI" >out &&
	grep -q "^BSOC  *-  .*zstd  *off  *-  *2d$" out &&
	expect_code 0 syncadm peer set -d "$PG_URI" --site BSOC --seal --expect never &&
	syncadm peer list -d "$PG_URI" >out &&
	grep -q "^BSOC  *-  .*zstd  *sealed  *-  *never$" out &&
	rm b.db b.db.key b.db.pub && syncadm init -d b.db --site BSOC 2>/dev/null &&
	expect_code 0 syncadm peer set -d "$PG_URI" --site BSOC --key b.db.pub &&
	test "$(pg_sql -c "select pubkey from syncpack.peer")" = \
		"$(sqlite3 b.db "select pubkey from syncpack_site")" &&
	test "$(pg_sql -c "select seal_pub from syncpack.peer")" = \
		"$(sqlite3 b.db "select seal_pub from syncpack_site")" &&
	expect_code 2 syncadm peer set -d "$PG_URI" --site CSOC --no-seal &&
	expect_err "^syncadm: postgresql:///peers5\?.*: CSOC: no such peer \(add it with syncadm peer add\)$"
'

test_expect_success 'the rules of peers hold on PostgreSQL too' '
	hub peers4 &&
	syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub &&
	expect_code 2 syncadm peer add -d "$PG_URI" --site bsoc --key c.db.pub &&
	expect_err "^syncadm: c.db.pub: peer BSOC differs from bsoc only in letter case$" &&
	expect_code 2 syncadm peer add -d "$PG_URI" --site ASOC --key b.db.pub &&
	expect_err "ASOC is this site, not a peer$" &&
	expect_code 2 syncadm peer add -d "$PG_URI" --site CSOC --key hub.key &&
	test "$(pg_sql -c "select string_agg(site, '"'"','"'"') from syncpack.peer")" = BSOC &&
	pg_newdb peers4s &&
	syncadm init -d "$PG_URI" --site DSOC --key d.key --pub d.pub 2>/dev/null &&
	syncadm peer add -d "$PG_URI" --site ASOC --key hub.pub &&
	expect_code 2 syncadm peer add -d "$PG_URI" --site BSOC --key b.db.pub &&
	expect_err "a spoke has exactly one peer, the hub, and ASOC is already registered \(adding BSOC\)$"
'

test_done
