#!/bin/sh
# Reconciliation keeps the rules of regular exchange (syncdiff(1)): records
# of movable tables and records in transit are left to moves, a record
# routed owner goes only to its owner, a record routed none goes back from
# the hub only to its owner, when the owner lost it or holds an older
# version, a spoke never sends central records.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# make_rules: the shop, plus jobs and their steps that move between sites.
make_rules() {
	make_shop && no_seal_all &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table job(id integer primary key, what text);
			create table job_step(id integer primary key,
				job_id integer references job(id), step text)" &&
		syncadm track -d $db job --owner creator --movable &&
		syncadm track -d $db job_step --owner creator --movable || return 1
	done
}

# guid_of DB TABLE ID
guid_of() {
	fold "$1" && sqlite3 "$1" "select guid from syncpack_record where rkey = $3 and tbl = (select id from syncpack_table where name = \"$2\")"
}

# holds DB GUID: the record is live in DB.
holds() {
	test -n "$(sqlite3 "$1" "select 1 from syncpack_record where guid = \"$2\" and rkey is not null")"
}

# lines FILE MEMBER TABLE: how many lines of MEMBER of the exchange file
# FILE are about TABLE.
lines() {
	tar -xzOf "$1" "$2" | grep -c "^{\"table\":\"$3\"" || :
}

# steps12 SPOKE_DB SPOKE: the request and the spoke's answer; the answer
# waits in usb/ and is copied to spoke-answer.sxf.
steps12() {
	syncdiff -d hub.db --request --to "$2" -o usb 2>>log &&
	cp usb/ASOC_"$2"_*_request.sxf request.sxf &&
	syncdiff -d "$1" --answer usb/ASOC_"$2"_*_request.sxf -o usb 2>>log &&
	mv usb/ASOC_"$2"_*_request.sxf usb/done/ &&
	cp usb/"$2"_ASOC_*_answer.sxf spoke-answer.sxf
}

# steps34 SPOKE_DB SPOKE: the hub applies and answers the spoke's answer
# (copied to hub-answer.sxf), the spoke applies it and acknowledges.
steps34() {
	recv hub.db &&
	a=$(ls -t usb/done/"$2"_ASOC_*_answer.sxf | head -1) &&
	syncdiff -d hub.db --answer "$a" -o usb 2>>log &&
	cp usb/ASOC_"$2"_*_answer.sxf hub-answer.sxf &&
	recv "$1" && ack "$1" ASOC && recv hub.db
}

reconcile() {
	steps12 "$@" && steps34 "$@"
}

test_expect_success 'a movable record at the hub is not copied to the spoke' '
	make_rules &&
	sqlite3 hub.db "insert into job(what) values (\"hub job\");
		insert into job_step(job_id, step) values (1, \"check\")" &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	round &&
	J=$(guid_of hub.db job 1) && test -n "$J" &&
	reconcile b.db BSOC &&
	test "$(lines hub-answer.sxf data.jsonl job)" = 0 &&
	test "$(lines hub-answer.sxf data.jsonl job_step)" = 0 &&
	! holds b.db "$J" &&
	test "$(sqlite3 b.db "select count(*) from job_step")" = 0 &&
	holds hub.db "$J" &&
	sqlite3 hub.db "update job set what = \"still writable\""
'

test_expect_success 'a movable record at the spoke is not copied to the hub' '
	make_rules &&
	sqlite3 b.db "insert into job(what) values (\"b job\");
		insert into job_step(job_id, step) values (1, \"check\")" &&
	round &&
	J=$(guid_of b.db job 1) && test -n "$J" &&
	reconcile b.db BSOC &&
	test "$(lines request.sxf request.jsonl job)" = 0 &&
	test "$(lines spoke-answer.sxf data.jsonl job)" = 0 &&
	test "$(lines spoke-answer.sxf data.jsonl job_step)" = 0 &&
	test "$(lines spoke-answer.sxf echo.jsonl job)" = 0 &&
	! holds hub.db "$J" &&
	test "$(sqlite3 hub.db "select count(*) from job_step")" = 0 &&
	holds b.db "$J"
'

# moves FILE: how many moves the data of exchange file FILE carries.
moves() {
	tar -xzOf "$1" data.jsonl | grep -c "\"op\":\"move\"" || :
}

test_expect_success 'a record in transit travels as its move, both ways' '
	make_rules &&
	sqlite3 hub.db "insert into job(what) values (\"to B\")" &&
	sqlite3 b.db "insert into job(what) values (\"to hub\");
		insert into job_step(job_id, step) values (1, \"check\")" &&
	round &&
	H=$(guid_of hub.db job 1) && B=$(guid_of b.db job 1) &&
	syncpack -d hub.db --to BSOC --move job:1 -o usb 2>>log &&
	syncpack -d b.db --to ASOC --move job:1 -o usb 2>>log &&
	rm usb/*_data.sxf &&
	reconcile b.db BSOC &&
	test "$(lines spoke-answer.sxf data.jsonl job)" = 1 &&
	test "$(moves spoke-answer.sxf)" = 2 &&
	test "$(lines hub-answer.sxf data.jsonl job)" = 1 &&
	test "$(moves hub-answer.sxf)" = 1 &&
	holds b.db "$H" && ! holds hub.db "$H" &&
	sqlite3 b.db "update job set what = \"at B\" where what = \"to B\"" &&
	holds hub.db "$B" && holds b.db "$B" &&
	test "$(sqlite3 hub.db "select count(*) from job_step")" = 1 &&
	ack hub.db BSOC && recv b.db &&
	! holds b.db "$B" && holds hub.db "$B" &&
	test "$(sqlite3 b.db "select count(*) from job_step")" = 0 &&
	sqlite3 hub.db "update job set what = \"at hub\" where what = \"to hub\"" &&
	syncack -d hub.db --transfers "$H" | grep -q "  ASOC  *BSOC  *[0-9]*  .*  done$" &&
	syncack -d b.db --transfers "$B" | grep -q "  BSOC  *ASOC  *[0-9]*  .*  done$"
'

test_expect_success 'a record routed owner goes only to its owner, whatever a spoke asks' '
	make_rules &&
	sqlite3 c.db "insert into piece(piece_date, total) values (date(\"now\"), 7);
		insert into event(what) values (\"C opened\")" &&
	sqlite3 b.db "insert into piece(piece_date, total) values (date(\"now\"), 3)" &&
	sqlite3 hub.db "insert into job(what) values (\"hub job\")" &&
	round &&
	P=$(guid_of c.db piece 1) && E=$(guid_of c.db event 1) &&
	J=$(guid_of hub.db job 1) && holds hub.db "$P" && holds hub.db "$E" &&
	steps12 b.db BSOC &&
	f=$(ls usb/BSOC_ASOC_*_answer.sxf) && mkdir x && tar -xzf "$f" -C x &&
	printf "%s\n%s\n%s\n" "$P" "$E" "$J" >>x/want.jsonl &&
	(cd x && sha256sum $(cut -d" " -f3 MANIFEST) >M && mv M MANIFEST &&
		cat HEADER MANIFEST >../signed) &&
	openssl pkeyutl -sign -inkey b.db.key -rawin -in signed -out x/SIGNATURE &&
	(cd x && tar --format=pax -cf - HEADER MANIFEST SIGNATURE $(cut -d" " -f3 MANIFEST)) |
		gzip >"$f" &&
	steps34 b.db BSOC &&
	test "$(lines hub-answer.sxf data.jsonl piece)" = 0 &&
	test "$(lines hub-answer.sxf data.jsonl event)" = 0 &&
	test "$(lines hub-answer.sxf data.jsonl job)" = 0 &&
	! holds b.db "$P" && ! holds b.db "$E" && ! holds b.db "$J" &&
	test "$(sqlite3 b.db "select count(*) from piece")" = 1
'

test_expect_success 'a record routed none: the hub sends its owner what it lost or holds older' '
	make_rules &&
	sqlite3 b.db "insert into event(what) values (\"open\"), (\"close\")" &&
	round &&
	E1=$(guid_of b.db event 1) && E2=$(guid_of b.db event 2) &&
	holds hub.db "$E1" &&
	sqlite3 b.db "delete from syncpack_record where guid = \"$E1\"; delete from event where id = 1" &&
	sqlite3 b.db "update event set what = \"close at B\"" &&
	send b.db ASOC && rm usb/BSOC_ASOC_*_data.sxf &&
	sleep 0.05 &&
	sqlite3 hub.db "update event set what = \"close at hub\" where what = \"close\"" &&
	reconcile b.db BSOC &&
	test "$(tar -xzOf spoke-answer.sxf want.jsonl)" = "$E1" &&
	test "$(lines spoke-answer.sxf data.jsonl event)" = 1 &&
	test "$(lines hub-answer.sxf data.jsonl event)" = 2 &&
	holds b.db "$E1" &&
	test "$(sqlite3 b.db "select what from event order by what" | tr "\n" " ")" = "close at hub open " &&
	test "$(sqlite3 hub.db "select what from event order by what" | tr "\n" " ")" = "close at hub open " &&
	test "$(content b.db event)" = "$(content hub.db event)"
'

test_expect_success 'a record routed none: a spoke restored from a backup gets back its later version, no other spoke does' '
	make_rules &&
	sqlite3 b.db "insert into event(what) values (\"v1\"), (\"same\")" &&
	sqlite3 c.db "insert into event(what) values (\"C\")" &&
	round && cp b.db b.bak &&
	sqlite3 b.db "update event set what = \"v2\" where what = \"v1\"" &&
	round && cp b.bak b.db &&
	reconcile b.db BSOC &&
	test "$(lines spoke-answer.sxf data.jsonl event)" = 1 &&
	test "$(lines hub-answer.sxf data.jsonl event)" = 1 &&
	test "$(sqlite3 b.db "select what from event order by what" | tr "\n" " ")" = "same v2 " &&
	test "$(content b.db event)" = "$(content hub.db event | grep -v "|CSOC|")" &&
	reconcile c.db CSOC &&
	test "$(lines hub-answer.sxf data.jsonl event)" = 0 &&
	test "$(sqlite3 c.db "select what from event" | tr "\n" " ")" = "C "
'

test_expect_success 'a spoke never sends central records in an answer' '
	make_rules &&
	for db in hub.db b.db c.db; do
		sqlite3 $db "create table price(id integer primary key, label text, amount real)" || return 1
	done &&
	sqlite3 b.db "insert into price(label, amount) values (\"list of B\", 1.5)" &&
	for db in hub.db b.db c.db; do
		syncadm track -d $db price --owner central || return 1
	done &&
	test "$(sqlite3 b.db "select owner from syncpack_record where rkey = 1 and tbl = (select id from syncpack_table where name = \"price\")")" = BSOC &&
	sqlite3 hub.db "insert into price(label, amount) values (\"list of hub\", 2)" &&
	round &&
	sqlite3 hub.db "update price set amount = 3" &&
	send hub.db BSOC && rm usb/ASOC_BSOC_*_data.sxf &&
	reconcile b.db BSOC &&
	test "$(lines spoke-answer.sxf data.jsonl price)" = 0 &&
	test "$(sqlite3 hub.db "select count(*) from price")" = 1 &&
	test "$(sqlite3 b.db "select amount from price where label = \"list of hub\"")" = 3.0
'

test_done
