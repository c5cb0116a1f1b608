#!/bin/sh
# syncdiff: checksums, the four-step reconciliation, local comparison.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# same DB DB TABLE: syncdiff finds no difference in TABLE.
same() {
	syncdiff "$1" "$2" --table "$3" >diff.out; rc=$?
	test $rc = 0 || { echo "differences in $3:"; cat diff.out; return 1; }
}

test_expect_success 'two sites compute the same checksums although local ids differ' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"H1\"), (\"H2\")" &&
	sqlite3 b.db "insert into customer(name, city) values (\"B1\", \"Lyon\")" &&
	sqlite3 b.db "insert into piece(customer_id, piece_date, total) values (1, date(\"now\"), 5)" &&
	round &&
	test "$(sqlite3 b.db "select id from customer where name = \"B1\"")" != "$(sqlite3 hub.db "select id from customer where name = \"B1\"")" &&
	test "$(sqlite3 b.db "select customer_id from piece")" != "$(sqlite3 hub.db "select customer_id from piece")" &&
	same hub.db b.db customer && same hub.db b.db piece &&
	sqlite3 hub.db "update customer set city = \"Metz\" where name = \"B1\"" &&
	expect_code 1 syncdiff hub.db b.db --table customer &&
	test "$(cut -f1,2 out)" = "differs	customer"
'

# The checksum is the documented one (sxf(5) "Record checksums"), byte
# for byte: sites of different versions compare manifests.
test_expect_success 'a record checksum is the SHA-256 of the text sxf(5) gives' '
	make_sites &&
	for db in hub.db b.db; do
		sqlite3 $db "create table t(id integer primary key, a, b, c, d, e)" &&
		syncadm track -d $db t --owner shared || return 1
	done &&
	q=$(printf "\\047") &&
	sqlite3 b.db "insert into t(a, b, c, d, e) values (-42, 2.5, null, \"x y\", x${q}00ff${q})" &&
	mkdir usb && send b.db ASOC && recv hub.db &&
	syncadm peer set -d hub.db --site BSOC --no-seal &&
	syncdiff -d hub.db --request --to BSOC --days 3650 -o req.sxf 2>>log &&
	mkdir x && tar -xzf req.sxf -C x &&
	guid=$(jq -r .guid x/request.jsonl) &&
	printf "syncpack-record 1\nt\n%s\nBSOC\na=i:-42\nb=r:2.5\nc=null\nd=t:3:x y\ne=b:2:\000\377\n" \
	    "$guid" | sha256sum | cut -d" " -f1 >want &&
	jq -r .checksum x/request.jsonl >got &&
	cmp want got
'

test_expect_success 'a lost file and a restored backup: the four steps repair the window' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\"), (\"B\");
		insert into piece(customer_id, piece_date, total) values
			(1, date(\"now\", \"-3 days\"), 10), (2, date(\"now\", \"-100 days\"), 20)" &&
	round &&
	cp b.db backup.db &&
	sqlite3 b.db "insert into piece(customer_id, piece_date, total) values (2, date(\"now\", \"-1 days\"), 30)" &&
	send b.db ASOC && rm usb/BSOC_ASOC_*_data.sxf &&
	sqlite3 b.db "insert into piece(customer_id, piece_date, total) values (1, date(\"now\"), 40)" &&
	send b.db ASOC && recv hub.db &&
	cp backup.db b.db &&
	sqlite3 hub.db "update piece set total = 21 where total = 20" &&
	expect_code 1 syncdiff hub.db b.db --table piece &&
	reconcile b.db BSOC &&
	syncdiff hub.db b.db --table piece --days 45 &&
	test "$(sqlite3 b.db "select total from piece order by total" | tr "\n" " ")" = "10.0 20.0 30.0 40.0 " &&
	test "$(sqlite3 hub.db "select total from piece where total > 20 and total < 30")" = 21.0 &&
	syncack -d hub.db --flows | grep -q "^BSOC  *out  *[0-9]*  *0  *request  .* complete  "
'

test_expect_success 'a reconciliation with nothing to repair moves only manifests' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\"); insert into piece(customer_id, piece_date, total) values (1, date(\"now\"), 1)" &&
	sqlite3 hub.db "insert into customer(name) values (\"H\")" &&
	round &&
	syncdiff -d hub.db --request --to BSOC -o usb 2>err &&
	grep -q ": 2 records from" err &&
	syncdiff -d b.db --answer usb/ASOC_BSOC_*_request.sxf -o usb 2>err &&
	grep -q "answer flow [0-9]*: 0 records, 0 wanted, 1 echoed" err &&
	mv usb/ASOC_BSOC_*_request.sxf usb/done/ && recv hub.db &&
	syncdiff -d hub.db --answer usb/done/BSOC_ASOC_*_answer.sxf -o usb 2>err &&
	grep -q "answer flow [0-9]*: 0 records" err
'

test_expect_success 'a record changed on both sides is settled by its policy, not overwritten' '
	make_shop &&
	sqlite3 b.db "insert into customer(name, city) values (\"A\", \"Paris\")" && round &&
	sqlite3 b.db "update customer set city = \"Lyon\"" &&
	send b.db ASOC && rm usb/BSOC_ASOC_*_data.sxf &&
	sleep 0.05 &&
	sqlite3 hub.db "update customer set city = \"Metz\"" &&
	reconcile b.db BSOC &&
	test "$(sqlite3 hub.db "select city from customer")" = Metz &&
	test "$(sqlite3 b.db "select city from customer")" = Metz &&
	same hub.db b.db customer
'

test_expect_success 'the owner holding the older version gets the winning one back' '
	make_shop &&
	sqlite3 b.db "insert into customer(name, city) values (\"A\", \"Paris\")" && round &&
	sqlite3 hub.db "update customer set city = \"Brest\"" &&
	syncpack -d hub.db --to BSOC -o lost.sxf 2>/dev/null &&
	reconcile b.db BSOC &&
	test "$(sqlite3 b.db "select city from customer")" = Brest &&
	same hub.db b.db customer
'

test_expect_success 'step files tampered, replayed or sent to the wrong site are refused' '
	make_shop && no_seal_all &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" && round &&
	syncdiff -d hub.db --request --to BSOC -o req.sxf 2>/dev/null &&
	expect_code 2 syncdiff -d c.db --answer req.sxf -o usb &&
	expect_err "addressed to BSOC, not to this site \(CSOC\)" &&
	mkdir x && tar -xzf req.sxf -C x &&
	sed -i "s/\"checksum\":\"./\"checksum\":\"g/" x/request.jsonl &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE request.jsonl) | gzip >bad.sxf &&
	expect_code 2 syncdiff -d b.db --answer bad.sxf -o usb &&
	expect_err "hash mismatch" &&
	test -z "$(ls usb | grep answer)" &&
	expect_code 0 syncdiff -d b.db --answer req.sxf -o usb &&
	expect_code 2 syncdiff -d b.db --answer req.sxf -o usb &&
	expect_err "already answered" &&
	expect_code 2 syncdiff -d b.db --request --to ASOC -o usb &&
	expect_err "only the hub starts a reconciliation" &&
	recv hub.db && a=$(ls usb/done/BSOC_ASOC_*_answer.sxf) &&
	expect_code 0 syncdiff -d hub.db --answer "$a" -o usb &&
	expect_code 2 syncdiff -d hub.db --answer "$a" -o usb &&
	expect_err "already answered"
'

test_expect_success 'records outside the window are untouched' '
	make_shop &&
	sqlite3 b.db "insert into piece(piece_date, total) values (date(\"now\", \"-200 days\"), 1), (date(\"now\"), 2)" &&
	round &&
	sqlite3 hub.db "delete from syncpack_lock" &&
	cp b.db before.db &&
	sqlite3 b.db "delete from syncpack_record where rkey = 1 and tbl = (select id from syncpack_table where name = \"piece\"); delete from piece where id = 1" &&
	reconcile b.db BSOC &&
	test "$(sqlite3 b.db "select count(*) from piece")" = 1 &&
	syncdiff -d hub.db --request --to BSOC --days 400 -o usb 2>err &&
	grep -q ": 2 records" err
'

test_expect_success 'syncdiff agrees with sqldiff on the Chinook database' '
	make_sites &&
	cp "$SYNCPACK_SRC/t/data/chinook/Chinook_Sqlite_AutoIncrementPKs.sqlite" a.db && chmod 644 a.db &&
	syncadm init -d a.db --site ASOC2 2>/dev/null &&
	for t in Artist Album Genre MediaType Track Employee Customer Invoice InvoiceLine Playlist PlaylistTrack; do
		syncadm track -d a.db $t || return 1
	done &&
	cp a.db b.db &&
	sqlite3 b.db "update Track set Name = Name || \" (live)\" where TrackId % 97 = 0;
		delete from InvoiceLine where InvoiceLineId % 211 = 0;
		insert into Artist(Name) values (\"New Artist\");
		update Customer set Email = lower(Email) where CustomerId in (3, 7);
		update Employee set ReportsTo = 1 where EmployeeId = 8;
		delete from PlaylistTrack where PlaylistId = 1 and TrackId % 301 = 0;
		insert into PlaylistTrack values (2, 1), (4, 3)" &&
	fold b.db &&
	sqldiff --primarykey a.db b.db >sqldiff.out &&
	grep -v "^[^ ]* [^ ]* syncpack_" sqldiff.out | grep -Ev "^(UPDATE|DELETE FROM|INSERT INTO) syncpack_" |
		sed -nE "s/^UPDATE ([A-Za-z]+) SET .* WHERE [A-Za-z]+=([0-9]+);$/\\1 \\2/p;
			s/^DELETE FROM ([A-Za-z]+) WHERE [A-Za-z]+=([0-9]+);$/\\1 \\2/p;
			s/^DELETE FROM ([A-Za-z]+) WHERE [A-Za-z]+=([0-9]+) AND [A-Za-z]+=([0-9]+);$/\\1 \\2,\\3/p;
			s/^INSERT INTO (PlaylistTrack)\\([A-Za-z]+,[A-Za-z]+\\) VALUES\\(([0-9]+),([0-9]+)\\);$/\\1 \\2,\\3/p;
			s/^INSERT INTO ([A-Za-z]+)\\([A-Za-z]+,.*VALUES\\(([0-9]+),.*$/\\1 \\2/p" | sort >expected &&
	grep -q "^PlaylistTrack 2,1$" expected &&
	grep -q "^PlaylistTrack 1,301$" expected &&
	test -s expected &&
	expect_code 1 syncdiff a.db b.db &&
	while read kind table guid; do
		key=$(sqlite3 a.db "select rkey from syncpack_record where guid = \"$guid\"")
		test -n "$key" || key=$(sqlite3 b.db "select coalesce(rkey, (select rkey from syncpack_record where 0)) from syncpack_record where guid = \"$guid\"")
		test -n "$key" || return 1
		echo "$table $key"
	done <out | sort >got &&
	cmp expected got &&
	expect_code 0 syncdiff a.db a.db
'

test_expect_success 'comparison output: --summary, --json, manifests, exit codes' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"A\"), (\"B\")" && round &&
	sqlite3 c.db "delete from customer where name = \"A\"; insert into customer(name) values (\"C\")" &&
	expect_code 1 syncdiff hub.db c.db --summary &&
	test "$(cat out | tr "\n" " ")" = "only-in-A 0 only-in-B 1 differs 1 same 1 " &&
	expect_code 1 syncdiff hub.db c.db --json &&
	grep -q "\"difference\": \"only-in-B\"" out &&
	expect_code 0 syncdiff hub.db b.db &&
	syncdiff -d hub.db --request --to BSOC -o r1.sxf 2>/dev/null &&
	syncdiff -d hub.db --request --to CSOC -o r2.sxf 2>/dev/null &&
	expect_code 2 syncdiff r1.sxf r2.sxf &&
	expect_err "r1.sxf: sealed to BSOC: only its recipient.s database opens it" &&
	no_seal_all &&
	syncdiff -d hub.db --request --to BSOC -o r1.sxf 2>/dev/null &&
	syncdiff -d hub.db --request --to CSOC -o r2.sxf 2>/dev/null &&
	expect_code 0 syncdiff r1.sxf r2.sxf &&
	expect_code 2 syncdiff hub.db r1.sxf &&
	expect_code 2 syncdiff nosuch.db hub.db &&
	echo garbage >g.sxf &&
	expect_code 2 syncdiff g.sxf r1.sxf &&
	expect_err "g.sxf: not a gzip or zstd file"
'

test_done
