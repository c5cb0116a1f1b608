#!/bin/sh
# The bookkeeping of the exchange on a PostgreSQL hub: verifying and
# refusing a SQLite spoke's data file, the flows and the acknowledgement
# that tells the spoke, the outbox, the listings and vacuum, each compared
# with what a SQLite hub does with the same files. Exchanging records is
# t1440's.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/servers.sh"

trap servers_stop EXIT
pg_start || { echo "Bail out! PostgreSQL did not start"; exit 1; }
servers_init "$test_root/servers" || { echo "Bail out! server set-up failed"; exit 1; }
sshd_start || { echo "Bail out! sshd did not start"; exit 1; }
sftp_opts="--ssh-key $SERVERS/client_key --known-hosts $SERVERS/known_hosts"

# worlds NAME: two worlds alike but for the hub's backend, each a hub
# ASOC and a SQLite spoke BSOC with a tracked table note holding two
# rows: pg/ with a hub on the fresh PostgreSQL database NAME (its URI in
# $PG_URI), sq/ with the hub sq/hub.db. Leaves the spoke's data file for
# the hub in DIR/usb/f1.sxf of each.
worlds() {
	pg_newdb "$1" &&
	rm -rf pg sq && mkdir -p pg/usb sq/usb &&
	syncadm init -d "$PG_URI" --site ASOC --hub --key pg/hub.key \
		--pub pg/hub.pub 2>/dev/null &&
	syncadm init -d sq/hub.db --site ASOC --hub 2>/dev/null &&
	cp sq/hub.db.pub sq/hub.pub &&
	for w in pg sq; do
		syncadm init -d $w/b.db --site BSOC 2>/dev/null &&
		syncadm peer add -d $w/b.db --site ASOC --key $w/hub.pub &&
		sqlite3 $w/b.db "create table note(id integer primary key, body text)" &&
		syncadm track -d $w/b.db note --owner creator --route all 2>/dev/null &&
		sqlite3 $w/b.db "insert into note(body) values ('a'), ('b')" &&
		syncpack -d $w/b.db --to ASOC -o $w/usb/f1.sxf 2>/dev/null || return 1
	done &&
	syncadm peer add -d "$PG_URI" --site BSOC --key pg/b.db.pub &&
	syncadm peer add -d sq/hub.db --site BSOC --key sq/b.db.pub
}

# hub W: the hub's database in world W.
hub() {
	if [ "$1" = pg ]; then echo "$PG_URI"; else echo sq/hub.db; fi
}

# flows W: the hub's flows in world W without times, checksums and files,
# one per line.
flows() {
	syncack -d "$(hub "$1")" --flows --json | jq -c 'map(del(.ready,
		.started, .ended, .sha256, .file)) | .[]'
}

# test_cmp_flows: pg.flows and sq.flows are the same.
test_cmp_flows() {
	cmp pg.flows sq.flows || { diff pg.flows sq.flows >&2; return 1; }
}

test_expect_success 'the hub verifies a sealed file of a SQLite spoke, and refuses it as a SQLite hub does' '
	worlds facets1 &&
	expect_code 0 syncunpack -d "$PG_URI" --verify pg/usb/f1.sxf &&
	expect_code 0 syncunpack -d "$PG_URI" --refuse --reason "not now" pg/usb/f1.sxf &&
	expect_err "pg/usb/f1.sxf: flow 1 from BSOC refused, nothing applied; the next ack tells BSOC" &&
	syncunpack -d sq/hub.db --refuse --reason "not now" sq/usb/f1.sxf 2>/dev/null &&
	flows pg >pg.flows && flows sq >sq.flows &&
	test_cmp_flows &&
	grep -q "\"status\":\"refused\".*\"acked\":\"no\".*\"reason\":\"not now\"" pg.flows &&
	test "$(pg_sql -c "select last_received is not null from syncpack.peer")" = t &&
	expect_code 0 syncunpack -d "$PG_URI" --refuse pg/usb/f1.sxf &&
	expect_err "pg/usb/f1.sxf: flow 1 from BSOC already refused, nothing done" &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 0
'

test_expect_success 'a file of another site, or damaged, is not recorded' '
	worlds facets2 &&
	mkdir x && tar -xzf pg/usb/f1.sxf -C x &&
	sed -i "s/^to: ASOC/to: CSOC/" x/HEADER &&
	(cd x && tar --format=pax -cf - $(tar -tzf ../pg/usb/f1.sxf)) | gzip >forged.sxf &&
	expect_code 2 syncunpack -d "$PG_URI" --refuse forged.sxf &&
	expect_err "^syncunpack: forged.sxf: (bad signature|addressed to CSOC)" &&
	expect_code 2 syncunpack -d "$PG_URI" --refuse sq/usb/f1.sxf &&
	test "$(pg_sql -c "select count(*) from syncpack.flow")" = 0
'

test_expect_success 'the ack tells the spoke, which then shows the refusal, as from a SQLite hub' '
	worlds facets3 &&
	for w in pg sq; do
		syncunpack -d "$(hub $w)" --refuse --reason "not now" $w/usb/f1.sxf 2>/dev/null &&
		expect_code 0 syncack -d "$(hub $w)" --to BSOC -o $w/usb/a1.sxf &&
		expect_err "^syncack: $w/usb/a1.sxf: flow 1 acknowledges 0 flows from BSOC, 1 refused here" &&
		syncunpack --dump $w/usb/a1.sxf | jq -c "del(.header.created,
			.header.id)" >$w.ack &&
		expect_code 0 syncack -d $w/b.db $w/usb/a1.sxf &&
		expect_code 1 syncadm status -d $w/b.db &&
		grep -q "^verdict: attention: 1 file refused by ASOC$" out ||
		return 1
	done &&
	cmp pg.ack sq.ack &&
	flows pg >pg.flows && flows sq >sq.flows &&
	test_cmp_flows &&
	grep -q "\"direction\":\"out\",\"flow\":1,\"link\":1,\"kind\":\"ack\"" pg.flows &&
	grep -q "\"direction\":\"in\".*\"acked\":\"yes\"" pg.flows &&
	test "$(pg_sql -c "select next_flow from syncpack.site")" = 2 &&
	test "$(pg_sql -c "select last_sent is not null from syncpack.peer")" = t &&
	expect_code 0 syncack -d "$PG_URI" --to BSOC -o pg/usb/a2.sxf &&
	expect_err "^syncack: nothing to acknowledge to BSOC$" &&
	test ! -e pg/usb/a2.sxf
'

test_expect_success 'an ack waits in the outbox of a PostgreSQL hub while the server is down' '
	worlds facets4 &&
	syncunpack -d "$PG_URI" --refuse pg/usb/f1.sxf 2>/dev/null &&
	root="${SFTP_ROOT}box/" &&
	expect_code 2 syncack -d "$PG_URI" --to BSOC -o "$root" $sftp_opts &&
	expect_err "postgresql:///facets4\?.*: a PostgreSQL site has no folder for its outbox next to the database: give --outbox DIR$" &&
	test "$(pg_sql -c "select count(*) from syncpack.flow where direction = '"'"'out'"'"'")" = 0 &&
	sshd_stop &&
	expect_code 1 syncack -d "$PG_URI" --to BSOC -o "$root" --outbox ob \
		$sftp_opts --retry 0 &&
	grep -q "wait in ob" err &&
	test "$(ls ob)" = ASOC_BSOC_000001_ack.sxf &&
	test "$(pg_sql -c "select name || '"'"' '"'"' || peer || '"'"' '"'"' || kind from syncpack.outbox")" = \
		"ASOC_BSOC_000001_ack.sxf BSOC ack" &&
	expect_code 2 syncack -d "$PG_URI" --to BSOC -o "$root" $sftp_opts &&
	grep -q "files wait in the outbox; give --outbox DIR to deliver them$" err &&
	test "$(ls ob)" = ASOC_BSOC_000001_ack.sxf &&
	test "$(pg_sql -c "select count(*) from syncpack.outbox")" = 1 &&
	sshd_start $SSH_PORT &&
	expect_code 0 syncack -d "$PG_URI" --to BSOC -o "$root" --outbox ob $sftp_opts &&
	test -z "$(ls ob)" &&
	test "$(pg_sql -c "select count(*) from syncpack.outbox")" = 0 &&
	test -n "$(find "$SERVERS/sftp/box" -name ASOC_BSOC_000001_ack.sxf)"
'

test_expect_success 'listings and vacuum of a PostgreSQL hub' '
	worlds facets5 &&
	for cmd in held locks conflicts; do
		syncadm $cmd -d "$PG_URI" >pg.$cmd &&
		syncadm $cmd -d sq/hub.db >sq.$cmd &&
		cmp pg.$cmd sq.$cmd || return 1
	done &&
	pg_sql -c "create table item(id integer primary key, name text)" &&
	syncadm track -d "$PG_URI" item --owner central --route all 2>/dev/null &&
	pg_sql -c "insert into item values (7, '"'"'x'"'"')" &&
	pg_sql -c "insert into syncpack.lock(tbl, rkey, locked_by) values ('"'"'item'"'"', '"'"'7'"'"', '"'"'ops'"'"')" &&
	expect_code 0 syncadm locks -d "$PG_URI" --json &&
	test "$(jq -r ".[] | [.tbl, .rkey, .locked_by] | @tsv" out)" = "item	7	ops" &&
	pg_sql -c "delete from syncpack.lock" &&
	pg_sql -c "delete from item" &&
	syncadm tables -d "$PG_URI" >/dev/null &&
	test "$(pg_sql -c "select deleted from syncpack.record")" = 1 &&
	expect_code 0 syncadm vacuum -d "$PG_URI" &&
	expect_err "0 acknowledged tombstones purged$" &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 1 &&
	pg_sql -c "update syncpack.peer set acked_lseq = (select lseq from syncpack.clock)" &&
	{ pg_sql -c "begin" -c "select 1 from syncpack.clock for update" \
		-c "select pg_sleep(5)" -c "commit" >/dev/null & } &&
	until test "$(pg_sql -c "select count(*) from pg_stat_activity where query like '"'"'%pg_sleep(5)%'"'"' and state = '"'"'active'"'"' and pid <> pg_backend_pid()")" = 1; do
		sleep 0.1
	done &&
	PGOPTIONS="-c lock_timeout=200" expect_code 2 syncadm vacuum -d "$PG_URI" &&
	expect_err "lock timeout" &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 1 &&
	wait &&
	expect_code 0 syncadm vacuum -d "$PG_URI" &&
	expect_err "1 acknowledged tombstones purged$" &&
	test "$(pg_sql -c "select count(*) from syncpack.record")" = 0 &&
	test "$(pg_sql -c "select guid is not null from syncpack.purged")" = t
'

test_done
