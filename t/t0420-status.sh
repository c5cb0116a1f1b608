#!/bin/sh
# syncadm status: a peer's "waiting" count is what the next pack for it
# would carry, as pack chooses records.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# The shop, with a movable table: visits travel only as moves.
make_shop_visits() {
	make_shop &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table visit(id integer primary key, what text)" &&
		syncadm track -d $db visit --owner creator --movable || return 1
	done
}

# waiting DB PEER: the waiting count syncadm status gives for PEER.
waiting() {
	syncadm status -d "$1" --json >status.json
	test $? -le 1 &&
	jq -r ".peers[] | select(.peer == \"$2\") | .waiting" status.json
}

# packed DB PEER [ARGS]: packs for PEER into usb/ and prints the number of
# records the file carries.
packed() {
	db=$1 peer=$2
	shift 2
	syncpack -d "$db" --to "$peer" -o usb "$@" 2>pack.err &&
	sed -n "s/.* for $peer, \([0-9]*\) records.*/\1/p" pack.err
}

test_expect_success 'movable and locked records are not waiting; the rest is, as pack sends it' '
	make_shop_visits &&
	sqlite3 b.db "insert into customer(name) values (\"kept\"), (\"locked\");
		insert into event(what) values (\"open\");
		insert into visit(what) values (\"v1\"), (\"v2\")" &&
	sqlite3 b.db "insert into syncpack_lock(tbl, rkey) values (\"customer\", 2)" &&
	test "$(waiting b.db ASOC)" = 2 &&
	test "$(packed b.db ASOC)" = 2
'

test_expect_success 'a move in transit waits until the peer acknowledges it' '
	make_shop_visits &&
	sqlite3 b.db "insert into visit(what) values (\"v1\")" &&
	round &&
	test "$(waiting b.db ASOC)" = 0 &&
	test "$(packed b.db ASOC --move visit:1)" = 1 &&
	test "$(waiting b.db ASOC)" = 1 &&
	test "$(packed b.db ASOC)" = 1 &&
	recv hub.db && ack hub.db BSOC && recv b.db &&
	test "$(waiting b.db ASOC)" = 0 &&
	test "$(sqlite3 hub.db "select what from visit")" = v1
'

# Until a spoke has acknowledged a file, the hub sends it everything from
# 0, its own records included (routing.c).
test_expect_success 'at the hub: records routed to their owner wait only for it' '
	make_shop_visits &&
	sqlite3 c.db "insert into piece(piece_date, total) values (\"2026-11-02\", 5)" &&
	send c.db ASOC && recv hub.db &&
	sqlite3 hub.db "insert into visit(what) values (\"at the hub\")" &&
	test "$(waiting hub.db BSOC)" = 0 &&
	test "$(packed hub.db BSOC)" = 0 &&
	test "$(waiting hub.db CSOC)" = 1 &&
	test "$(packed hub.db CSOC)" = 1 &&
	recv c.db && ack c.db ASOC && recv hub.db &&
	test "$(waiting hub.db CSOC)" = 0 &&
	test "$(packed hub.db CSOC)" = 0 &&
	sqlite3 hub.db "update piece set total = 6" &&
	test "$(waiting hub.db CSOC)" = 1 &&
	test "$(packed hub.db CSOC)" = 1
'

# Routing's exceptions are counted as pack makes them: a spoke that starts
# from 0 gets back the upload-only records it owns (they may be newer here
# than in its backup), echoes included.
test_expect_success 'at the hub: a spoke that starts from 0 waits for its own upload-only records' '
	make_shop_visits &&
	sqlite3 c.db "insert into event(what) values (\"open\"), (\"close\")" &&
	send c.db ASOC && recv hub.db &&
	test "$(waiting hub.db BSOC)" = 0 &&
	test "$(packed hub.db BSOC)" = 0 &&
	test "$(waiting hub.db CSOC)" = 2 &&
	test "$(packed hub.db CSOC)" = 2 &&
	recv c.db && ack c.db ASOC && recv hub.db &&
	test "$(waiting hub.db CSOC)" = 0 &&
	test "$(packed hub.db CSOC)" = 0
'

test_done
