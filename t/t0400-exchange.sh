#!/bin/sh
# syncpack / syncunpack / syncack: the shop example end to end.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

. "$SYNCPACK_SRC/t/exchange-basics.sh"

test_expect_success 'a locked piece is held back, then sent after unlock' '
	make_shop &&
	sqlite3 b.db "insert into piece(piece_date, total) values (\"2026-11-02\", 5), (\"2026-11-02\", 6)" &&
	syncadm lock -d b.db piece 1 --by clerk &&
	round &&
	test "$(sqlite3 hub.db "select total from piece")" = 6.0 &&
	syncadm unlock -d b.db piece 1 &&
	round &&
	test "$(sqlite3 hub.db "select total from piece order by total" | tr "\n" " ")" = "5.0 6.0 "
'

test_expect_success 'incoming changes to a locked record wait for the unlock' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"A\")" && round &&
	syncadm lock -d b.db customer 1 &&
	sqlite3 hub.db "update customer set city = \"Metz\"" &&
	syncpack -d hub.db --to BSOC -o usb 2>/dev/null &&
	expect_code 1 syncunpack -d b.db usb &&
	grep -q "held 1" err &&
	test -z "$(sqlite3 b.db "select city from customer")" &&
	syncadm held -d b.db | grep -q "record is locked here" &&
	syncadm unlock -d b.db customer 1 &&
	expect_code 0 syncunpack -d b.db usb &&
	grep -q "1 held records applied" err &&
	test "$(sqlite3 b.db "select city from customer")" = Metz
'

test_expect_success 'a file applied twice changes nothing the second time' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\"), (\"B\")" &&
	syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	expect_code 0 syncunpack -d hub.db f.sxf &&
	before=$(sqlite3 hub.db ".dump customer") &&
	records=$(sqlite3 hub.db "select * from syncpack_record") &&
	expect_code 0 syncunpack -d hub.db f.sxf &&
	grep -q "already applied" err &&
	test "$(sqlite3 hub.db ".dump customer")" = "$before" &&
	test "$(sqlite3 hub.db "select * from syncpack_record")" = "$records"
'

# A hub takes thousands of files a night: a run with nothing to change
# (nothing held, the peer reads what it read) makes no write transaction,
# each a journal and its fsyncs.
test_expect_success 'a file applied again, with nothing held, writes nothing' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	expect_code 0 syncunpack -d hub.db f.sxf &&
	cp hub.db hub-before.db &&
	expect_code 0 syncunpack -d hub.db f.sxf &&
	grep -q "already applied" err &&
	cmp hub.db hub-before.db &&
	round &&
	sqlite3 b.db "insert into customer(name) values (\"B\")" &&
	syncpack -d b.db --to ASOC -o g.sxf 2>/dev/null &&
	syncunpack --dump -d hub.db g.sxf >/dev/null &&
	expect_code 0 syncunpack -d hub.db g.sxf &&
	cp hub.db hub-before.db &&
	expect_code 0 syncunpack -d hub.db g.sxf &&
	cmp hub.db hub-before.db
'

# commits DB: the file change counter in DB's header, which SQLite
# raises once per write transaction committed.
commits() {
	od -An -tu4 --endian=big -j24 -N4 "$1" | tr -d " "
}

# Each commit in a rollback journal is a journal made and removed and four
# fsyncs: a file from a peer in step costs two, the execution counted
# before the work (so that a killed run shows) and the apply.
test_expect_success 'a file from a peer in step costs the hub two commits' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	round && round &&
	sqlite3 b.db "insert into customer(name) values (\"B\")" &&
	syncpack -d b.db --to ASOC -o g.sxf 2>/dev/null &&
	before=$(commits hub.db) &&
	expect_code 0 syncunpack -d hub.db g.sxf &&
	test $(($(commits hub.db) - before)) -eq 2 &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 2
'

test_expect_success 'a lost file is repaired by the next one; an older one is superseded' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	syncpack -d b.db --to ASOC -o lost.sxf 2>/dev/null &&
	sqlite3 b.db "insert into customer(name) values (\"B\"); update customer set city = \"X\" where name = \"A\"" &&
	syncpack -d b.db --to ASOC -o second.sxf 2>/dev/null &&
	expect_code 0 syncunpack -d hub.db second.sxf &&
	test "$(sqlite3 hub.db "select name, city from customer order by name" | tr "\n" " ")" = "A|X B| " &&
	expect_code 0 syncunpack -d hub.db lost.sxf &&
	grep -q "superseded" err &&
	test "$(sqlite3 hub.db "select name, city from customer order by name" | tr "\n" " ")" = "A|X B| " &&
	syncack -d hub.db --flows | grep -q "superseded"
'

test_expect_success 'a truncated file is refused and changes nothing' '
	make_shop &&
	sqlite3 b.db "with recursive n(i) as (select 1 union all select i + 1 from n where i < 2000)
		insert into customer(name) select \"c\" || i from n" &&
	syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	head -c $(($(stat -c %s f.sxf) * 2 / 3)) f.sxf >cut.sxf &&
	before=$(sqlite3 hub.db "select count(*) from customer; select count(*) from syncpack_record") &&
	expect_code 2 syncunpack -d hub.db cut.sxf &&
	expect_err "^syncunpack: cut.sxf: truncated" &&
	test "$(sqlite3 hub.db "select count(*) from customer; select count(*) from syncpack_record")" = "$before" &&
	expect_code 0 syncunpack -d hub.db f.sxf &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 2000
'

test_expect_success 'a child sent before its parent'"'"'s new version is held, then applied' '
	make_shop && no_seal_all &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" && round &&
	sqlite3 b.db "update customer set city = \"Lyon\";
		insert into piece(customer_id, piece_date, total) values (1, \"2026-11-03\", 7)" &&
	syncpack -d b.db --to ASOC -o full.sxf 2>/dev/null &&
	mkdir x && tar -xzf full.sxf -C x &&
	grep "\"table\":\"piece\"" x/data.jsonl >x/piece.jsonl &&
	grep -q "\"rowversion\":2" x/piece.jsonl &&
	mv x/piece.jsonl x/data.jsonl &&
	sed -i "s/^flow: .*/flow: 90/" x/HEADER &&
	(cd x && sha256sum schema.json data.jsonl >MANIFEST && cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey b.db.key -rawin -in signed -out x/SIGNATURE &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE schema.json data.jsonl) | gzip >child.sxf &&
	expect_code 1 syncunpack -d hub.db child.sxf &&
	grep -q "held 1" err &&
	syncadm held -d hub.db | grep -q "is at rowversion 1, the record needs 2" &&
	test "$(sqlite3 hub.db "select count(*) from piece")" = 0 &&
	syncack -d hub.db --protocol 90 | grep -q "held" &&
	expect_code 1 syncadm status -d hub.db &&
	grep -q "attention: 1 held records" out &&
	expect_code 0 syncunpack -d hub.db full.sxf &&
	test "$(sqlite3 hub.db "select p.total, c.city from piece p join customer c on c.id = p.customer_id")" = "7.0|Lyon" &&
	test -z "$(syncadm held -d hub.db)"
'

test_expect_success 'kill -9 in the middle of a large file leaves the database unchanged' '
	make_shop &&
	sqlite3 b.db "with recursive n(i) as (select 1 union all select i + 1 from n where i < 150000)
		insert into customer(name, city) select \"c\" || i, \"city\" || i from n" &&
	syncpack -d b.db --to ASOC -o big.sxf 2>/dev/null &&
	before=$(sqlite3 hub.db "select count(*) from customer; select count(*) from syncpack_record") || return 1
	syncunpack -d hub.db big.sxf 2>/dev/null &
	pid=$!
	for i in $(seq 200); do
		test "$(sqlite3 hub.db "select count(*) from syncpack_flow where status = \"running\"" 2>/dev/null)" = 1 && break
		sleep 0.02
	done &&
	sleep 0.3 && kill -9 $pid; wait $pid; test $? = 137 &&
	test "$(sqlite3 hub.db "select count(*) from customer; select count(*) from syncpack_record")" = "$before" &&
	expect_code 0 syncunpack -d hub.db big.sxf &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 150000 &&
	test "$(sqlite3 hub.db "select executions, status from syncpack_flow where direction = \"in\"")" = "2|applied"
'

test_expect_success 'all three databases converge to the same records' '
	make_shop &&
	sqlite3 hub.db "insert into article(label) values (\"a\"), (\"b\"); insert into customer(name) values (\"H\")" &&
	sqlite3 b.db "insert into customer(name) values (\"B1\"), (\"B2\")" &&
	sqlite3 c.db "insert into customer(name) values (\"C1\")" &&
	round &&
	sqlite3 b.db "update customer set city = \"b\" where name = \"H\"; delete from customer where name = \"B2\"" &&
	sqlite3 c.db "update customer set city = \"c\" where name = \"B1\"" &&
	sqlite3 hub.db "update article set price = 3 where label = \"a\"" &&
	round && round &&
	for t in customer article; do
		content hub.db $t >h && content b.db $t >b && content c.db $t >c &&
		cmp h b && cmp h c || return 1
	done &&
	test "$(sqlite3 c.db "select count(*) from customer")" = 3
'

test_expect_success 'one bad record does not stall the rest: unique constraint' '
	make_shop &&
	sqlite3 c.db "insert into customer(name, email) values (\"C\", \"x@example.org\")" &&
	send c.db ASOC && recv hub.db &&
	sqlite3 b.db "insert into customer(name, email) values (\"B\", \"x@example.org\"), (\"B2\", \"y@example.org\")" &&
	send b.db ASOC &&
	expect_code 1 syncunpack -d hub.db usb &&
	grep -q "applied 1, skipped 0, conflicts 0, rejected 1" err &&
	test "$(sqlite3 hub.db "select name from customer order by name" | tr "\n" " ")" = "B2 C " &&
	syncack -d hub.db --flows --peer BSOC | grep -q partial &&
	ack hub.db BSOC && syncack -d b.db usb 2>/dev/null &&
	syncack -d b.db --protocol 1 | grep -q "rejected.*UNIQUE" &&
	expect_code 1 syncadm status -d b.db &&
	grep -q "rejected by a peer" out
'

test_expect_success 'a spoke'"'"'s changes to central data are rejected at the hub' '
	make_shop &&
	syncadm track -d b.db article --owner shared &&
	sqlite3 b.db "insert into article(label) values (\"rogue\")" &&
	send b.db ASOC &&
	expect_code 1 syncunpack -d hub.db usb &&
	test "$(sqlite3 hub.db "select count(*) from article")" = 0 &&
	syncack -d hub.db --protocol 1 --peer BSOC | grep -q "rejected.*central table"
'

test_expect_success 'a change to a piece the hub already acknowledged is rejected (frozen at the hub'"'"'s word)' '
	make_shop &&
	sqlite3 b.db "insert into piece(piece_date, total) values (\"2026-11-04\", 9)" &&
	send b.db ASOC && recv hub.db &&
	syncack -d hub.db --to BSOC -o hold 2>/dev/null &&
	sqlite3 b.db "update piece set total = 99" &&
	send b.db ASOC &&
	expect_code 1 syncunpack -d hub.db usb &&
	test "$(sqlite3 hub.db "select total from piece")" = 9.0 &&
	syncack -d hub.db --protocol 2 --peer BSOC | grep -q "rejected.*frozen" &&
	syncack -d b.db hold 2>/dev/null &&
	syncack -d hub.db --to BSOC -o usb 2>/dev/null && syncack -d b.db usb 2>/dev/null &&
	expect_code 1 syncadm status -d b.db &&
	grep -q "1 records rejected by a peer" out
'

test_expect_success 'a change to a record another site owns is rejected at the hub' '
	make_shop &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table note(id integer primary key, body text)" &&
		syncadm track -d $db note --owner creator || return 1
	done &&
	sqlite3 b.db "insert into note(body) values (\"from B\")" &&
	round &&
	test "$(sqlite3 c.db "select body from note")" = "from B" &&
	! sqlite3 c.db "update note set body = \"by C\"" 2>/dev/null &&
	sqlite3 c.db "drop trigger syncpack_5_bu; update note set body = \"by C\"" &&
	send c.db ASOC &&
	expect_code 1 syncunpack -d hub.db usb &&
	test "$(sqlite3 hub.db "select body from note")" = "from B" &&
	syncack -d hub.db --flows --peer CSOC | grep -q partial &&
	syncack -d hub.db --protocol 3 --peer CSOC | grep -q "rejected.*record owned by BSOC, not CSOC"
'

test_expect_success 'status --json for monitoring' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	expect_code 0 syncadm status -d b.db --json &&
	grep -q "\"verdict\": \"ok\"" out &&
	grep -q "\"waiting\": 1" out
'

test_expect_success 'status --prometheus for node_exporter' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\"), (\"B\")" &&
	send b.db ASOC &&
	expect_code 0 syncadm status -d b.db --prometheus &&
	grep -q "^# TYPE syncpack_records_waiting gauge$" out &&
	grep -q "^syncpack_records_waiting{site=\"BSOC\",peer=\"ASOC\"} 2$" out &&
	grep -q "^syncpack_verdict_ok{site=\"BSOC\"} 1$" out &&
	grep -Eq "^syncpack_last_sent_timestamp_seconds\{site=\"BSOC\",peer=\"ASOC\"\} [1-9][0-9]{9}$" out
'

test_expect_success 'schema drift: a column the receiver lacks holds the record until it exists' '
	make_shop &&
	sqlite3 b.db "alter table customer add column vat text" &&
	syncadm track -d b.db customer --owner shared &&
	sqlite3 b.db "insert into customer(name, vat) values (\"A\", \"FR1\")" &&
	send b.db ASOC &&
	expect_code 1 syncunpack -d hub.db usb &&
	syncadm held -d hub.db | grep -q "schema: table customer has no column vat" &&
	sqlite3 hub.db "alter table customer add column vat text" &&
	syncadm track -d hub.db customer --owner shared &&
	expect_code 0 syncunpack -d hub.db usb &&
	test "$(sqlite3 hub.db "select name, vat from customer")" = "A|FR1"
'

test_expect_success 'manual conflicts are kept for an operator, status red until resolved' '
	make_shop &&
	for db in hub.db b.db c.db; do syncadm track -d $db customer --conflict manual || return 1; done &&
	sqlite3 hub.db "insert into customer(name, city) values (\"A\", \"Paris\")" && round &&
	sqlite3 b.db "update customer set city = \"Lyon\"" &&
	sqlite3 hub.db "update customer set city = \"Metz\"" &&
	send b.db ASOC && recv hub.db;
	test "$(sqlite3 hub.db "select city from customer")" = Metz &&
	expect_code 1 syncadm status -d hub.db &&
	grep -q "1 unresolved conflicts" out &&
	syncadm conflicts -d hub.db | grep -q unresolved &&
	expect_code 0 syncadm conflicts -d hub.db resolve 1 --keep remote &&
	test "$(sqlite3 hub.db "select city from customer")" = Lyon &&
	expect_code 0 syncadm status -d hub.db &&
	syncpack -d hub.db --to BSOC -o usb 2>/dev/null && recv b.db &&
	test "$(sqlite3 b.db "select city from customer")" = Lyon
'

test_expect_success 'tombstones every peer acknowledged are purged' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"A\"), (\"B\")" && round &&
	sqlite3 hub.db "delete from customer" && fold hub.db &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where deleted")" = 2 &&
	round && round &&
	test "$(sqlite3 b.db "select count(*) from customer")" = 0 &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where deleted")" = 0 &&
	test "$(sqlite3 b.db "select count(*) from syncpack_record where deleted")" = 0
'

test_expect_success '--if-changed writes nothing when there is nothing to send' '
	make_shop && round &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb --if-changed &&
	test -z "$(ls usb | grep -v done)" &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb --if-changed &&
	test "$(ls usb | grep -c sxf)" = 1
'

test_expect_success '--reply writes the ack and the return at once, linked to the flow' '
	make_shop &&
	sqlite3 hub.db "insert into article(label) values (\"pen\")" &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	send b.db ASOC &&
	mkdir reply &&
	expect_code 0 syncunpack -d hub.db usb --reply -o reply &&
	test "$(ls reply | wc -l)" = 2 &&
	for f in reply/*; do syncunpack --list "$f" | grep -qx "link: 1" || return 1; done &&
	syncunpack -d b.db reply &&
	test "$(sqlite3 b.db "select label from article")" = pen &&
	test "$(sqlite3 b.db "select acked from syncpack_flow where direction = \"out\"")" = 1
'

test_expect_success 'a pipeline: syncpack -o - | syncunpack -' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	syncpack -d b.db --to ASOC -o - 2>/dev/null | syncunpack -d hub.db - 2>err &&
	grep -q "^syncunpack: stdin: flow 1 from BSOC applied: applied 1" err &&
	test "$(sqlite3 hub.db "select name from customer")" = A
'

test_expect_success 'flows: one line per file with executions, status and counts' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" && round &&
	expect_code 0 syncack -d hub.db --flows &&
	head -1 out | grep -q "^PEER  *DIRECTION  *FLOW  *LINK  *KIND  *READY  *STARTED  *ENDED  *EXECUTIONS  *STATUS  *APPLIED  *SKIPPED  *CONFLICTS  *REJECTED  *HELD  *ACKED  *FILE  *SHA256  *REASON$" &&
	grep -q "^BSOC  *in  *1  *0  *data  .* 1  *applied  *1  *0  *0  *0  *0  " out &&
	expect_code 0 syncack -d hub.db --flows --json &&
	test "$(jq -r ".[] | select(.peer == \"BSOC\" and .direction == \"in\" and .kind == \"data\") | [.peer, .flow, .executions, .status, .applied] | @tsv" out)" = "BSOC	1	1	applied	1" &&
	expect_code 0 syncack -d hub.db --flows --status applied --json &&
	test "$(jq "[.[] | select(.status != \"applied\")] | length" out)" = 0 &&
	test "$(jq length out)" -ge 1 &&
	expect_code 0 syncack -d hub.db --flows --since 2999-01-01 &&
	test ! -s out &&
	expect_code 0 syncack -d hub.db --flows --peer CSOC --since 2000-01-01 --json &&
	test "$(jq "[.[] | select(.peer != \"CSOC\")] | length" out)" = 0 &&
	expect_code 2 syncack -d hub.db --flows --status bogus &&
	grep -q "not a flow status" err &&
	expect_code 2 syncack -d hub.db --flows --since yesterday &&
	grep -q "not a date" err &&
	expect_code 2 syncack -d hub.db --protocol 1 --status applied &&
	expect_code 2 syncack -d hub.db --flows --to BSOC -o x
'

test_done
