#!/bin/sh
# t0450-restore: a site restored from an older copy of its database loses
# nothing the other side had received, and reuses no flow id unnoticed.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# tick: moves the test clock on a minute, so that files made after a
# restore carry another date than those they replace.
now=1767225600000
tick() {
	now=$((now + 60000))
	SYNCPACK_TEST_CLOCK_MS=$now
	export SYNCPACK_TEST_CLOCK_MS
}

# recv DB: as in exchange-lib.sh, and a file refused for a reused flow id
# (exit 2) is what a restore leads to, as long as it is the only trouble.
recv() {
	syncunpack -d "$1" usb 2>recv.err
	rc=$?
	cat recv.err >>log
	test $rc -le 1 && return 0
	test $rc -eq 2 && grep -q "reuses flow ids" recv.err &&
		! grep -v "reuses flow ids" recv.err | grep -qv "applied\|ingested\|superseded\|partial"
}

names() {
	sqlite3 "$1" "select name from customer order by name" | tr '\n' ' '
}

test_expect_success 'a spoke restored from a backup gets back what the hub had and sends what it made since' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''X1'\'')" &&
	tick && round &&
	cp b.db b.bak &&
	sqlite3 b.db "insert into customer(name) values ('\''X2'\'')" &&
	sqlite3 c.db "insert into customer(name) values ('\''Y1'\'')" &&
	tick && round &&
	tick && send b.db ASOC && recv hub.db &&
	tick && ack hub.db BSOC && mkdir late && mv usb/*.sxf late/ &&
	cp b.bak b.db &&
	sqlite3 b.db "insert into customer(name) values ('\''X3'\'')" &&
	tick && send b.db ASOC &&
	expect_code 2 syncunpack -d hub.db usb &&
	grep -q "BSOC was restored from a backup and reuses flow ids" err &&
	rm usb/*.sxf && mv late/*.sxf usb/ && tick && recv b.db &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(names hub.db)" = "X1 X2 X3 Y1 " &&
	test "$(names b.db)" = "X1 X2 X3 Y1 " &&
	test "$(names c.db)" = "X1 X2 X3 Y1 "
'

test_expect_success 'an acknowledgement of a flow from before the restore does not cover the new one' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''X1'\'')" &&
	tick && round && cp b.db b.bak &&
	sqlite3 b.db "insert into customer(name) values ('\''X2'\'')" &&
	tick && send b.db ASOC && recv hub.db && tick && ack hub.db BSOC &&
	mkdir late && mv usb/*.sxf late/ &&
	cp b.bak b.db &&
	sqlite3 b.db "insert into customer(name) values ('\''X3'\'')" &&
	tick && send b.db ASOC && rm usb/*.sxf &&
	mv late/*.sxf usb/ && tick && recv b.db &&
	test "$(sqlite3 b.db "select count(*) from syncpack_flow where direction = '\''out'\'' and acked")" -eq 1 &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(names hub.db)" = "X1 X2 X3 " &&
	test "$(names b.db)" = "X1 X2 X3 " &&
	test "$(names c.db)" = "X1 X2 X3 "
'

test_expect_success 'a restored site that reused no flow id learns it from the hub and starts again from 0' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''X1'\'')" &&
	tick && round && cp b.db b.bak &&
	sqlite3 b.db "insert into customer(name) values ('\''X2'\'')" &&
	sqlite3 c.db "insert into customer(name) values ('\''Y1'\'')" &&
	tick && round && tick && round &&
	cp b.bak b.db &&
	tick && syncpack -d hub.db --to BSOC -o usb 2>>log && recv b.db &&
	test "$(sqlite3 b.db "select acked_lseq from syncpack_peer")" -eq -1 &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(names hub.db)" = "X1 X2 Y1 " &&
	test "$(names b.db)" = "X1 X2 Y1 " &&
	test "$(names c.db)" = "X1 X2 Y1 "
'

test_expect_success 'a spoke restored from before a delete whose tombstone was purged loses the record too' '
	tick && make_shop &&
	sqlite3 hub.db "insert into customer(name) values ('\''Gone'\''), ('\''Kept'\'')" &&
	tick && round && tick && round && cp b.db b.bak &&
	sqlite3 hub.db "delete from customer where name = '\''Gone'\''" &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_record where deleted")" -eq 0 &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_purged")" -eq 1 &&
	cp b.bak b.db && test "$(names b.db)" = "Gone Kept " &&
	for i in 1 2 3 4; do tick && round || return 1; done &&
	test "$(names hub.db)" = "Kept " &&
	test "$(names b.db)" = "Kept " &&
	test "$(names c.db)" = "Kept "
'

# The hub holds a spoke's delete (the record is locked there); the spoke,
# restored from a backup made before it created the record, gets the
# hub's live copy in a reconciliation; once the hub applies the held
# delete, the version goes back to the spoke it came from.
test_expect_success 'a delete the hub held goes back to its spoke, restored since with the record' '
	tick && make_shop && tick && round && cp b.db b.bak &&
	sqlite3 b.db "insert into customer(name) values ('\''Held'\''), ('\''Kept'\'')" &&
	tick && round && tick && round &&
	id=$(sqlite3 hub.db "select id from customer where name = '\''Held'\''") &&
	syncadm lock -d hub.db customer "$id" &&
	sqlite3 b.db "delete from customer where name = '\''Held'\''" &&
	tick && send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_held")" -eq 1 &&
	cp b.bak b.db && mkdir -p usb/done && tick && reconcile b.db BSOC &&
	for i in 1 2; do tick && round || return 1; done &&
	test "$(names b.db)" = "Held Kept " &&
	syncadm unlock -d hub.db customer "$id" &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_held")" -eq 0 &&
	test "$(names hub.db)" = "Kept " &&
	test "$(names b.db)" = "Kept " &&
	test "$(names c.db)" = "Kept " &&
	syncdiff hub.db b.db
'

test_expect_success 'a record whose tombstone was purged is deleted again when a restored spoke sends it' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''Gone'\''), ('\''Kept'\'')" &&
	tick && round && tick && round && cp b.db b.bak &&
	sqlite3 b.db "delete from customer where name = '\''Gone'\''" &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_purged")" -eq 1 &&
	cp b.bak b.db &&
	for i in 1 2 3 4; do tick && round || return 1; done &&
	test "$(names hub.db)" = "Kept " &&
	test "$(names b.db)" = "Kept " &&
	test "$(names c.db)" = "Kept "
'

# events DB: what, rowversion and HLC stamp of every event, as the hub and
# the spoke that created them must agree on them.
events() {
	sqlite3 "$1" "select e.what, r.rowversion, r.hlc from event e join
		syncpack_record r on r.rkey = e.id and r.tbl = (select id from
		syncpack_table where name = 'event') order by e.what" | tr '\n' ' '
}

test_expect_success 'a spoke restored from a backup gets back the later versions of its upload-only records' '
	tick && make_shop &&
	sqlite3 b.db "insert into event(what) values ('\''v1'\''), ('\''gone'\''), ('\''kept'\'')" &&
	sqlite3 c.db "insert into event(what) values ('\''C'\'')" &&
	tick && round && cp b.db b.bak &&
	sqlite3 b.db "update event set what = '\''v2'\'' where what = '\''v1'\''" &&
	sqlite3 b.db "delete from event where what = '\''gone'\''" &&
	tick && round && tick && round &&
	test "$(events hub.db | grep -c v2)" -eq 1 &&
	cp b.bak b.db && test "$(sqlite3 b.db "select count(*) from event")" -eq 3 &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 b.db "select what from event order by what" | tr "\n" " ")" = "kept v2 " &&
	test "$(events b.db)" = "$(events hub.db | sed "s/^C|[^ ]* //")" &&
	test "$(sqlite3 c.db "select what from event" | tr "\n" " ")" = "C " &&
	test "$(sqlite3 hub.db "select what from event order by what" | tr "\n" " ")" = "C kept v2 "
'

# purged_gone: Gone and Kept from the hub reach both spokes, b.db is
# backed up as b.bak, then the hub deletes Gone and the rounds go on until
# its tombstone is purged (every peer acknowledged it).
purged_gone() {
	tick && make_shop &&
	sqlite3 hub.db "insert into customer(name) values ('Gone'), ('Kept')" &&
	tick && round && tick && round && cp b.db b.bak &&
	sqlite3 hub.db "delete from customer where name = 'Gone'" &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 hub.db "select count(*) from syncpack_purged")" -eq 1
}

all_kept() {
	test "$(names hub.db)" = "Kept " && test "$(names b.db)" = "Kept " &&
	test "$(names c.db)" = "Kept "
}

# header F KEY: the value of KEY in the header of exchange file F, as its
# recipient opens it (a sealed file's fields are inside).
header() {
	case $(basename "$1" | cut -d_ -f2) in
	ASOC) set -- "$1" "$2" hub.db ;;
	BSOC) set -- "$1" "$2" b.db ;;
	*) set -- "$1" "$2" c.db ;;
	esac
	syncunpack -d "$3" --list "$1" | sed -n "s/^$2: //p"
}

test_expect_success 'a reconciliation that is the first exchange after a restore tells the hub, and repairs the purged delete' '
	purged_gone &&
	sqlite3 b.db "insert into piece(customer_id, piece_date, total) select id, '\''2000-01-01'\'', 7 from customer where name = '\''Kept'\''" &&
	tick && round && tick && round &&
	cp b.bak b.db &&
	tick && reconcile b.db BSOC &&
	test "$(header "$(ls usb/done/BSOC_ASOC_*_answer.sxf)" restored)" = 1 &&
	test "$(names b.db)" = "Kept " &&
	test "$(sqlite3 hub.db "select acked_lseq from syncpack_peer where site = '\''BSOC'\''")" -eq 0 &&
	tick && ack hub.db BSOC && recv b.db &&
	for i in 1 2 3; do tick && round || return 1; done &&
	all_kept &&
	test "$(sqlite3 b.db "select total from piece")" = 7.0
'

test_expect_success 'an acknowledgement from a restored spoke of a file packed before the hub knew does not move the mark' '
	purged_gone &&
	tick && syncpack -d hub.db --to BSOC -o usb 2>>log &&
	mkdir late && mv usb/*.sxf late/ && cp b.bak b.db &&
	tick && mv late/*.sxf usb/ && recv b.db &&
	test "$(sqlite3 b.db "select acked_lseq from syncpack_peer")" -eq -1 &&
	tick && ack b.db ASOC && send b.db ASOC && mv usb/BSOC_ASOC_*_ack.sxf late/ &&
	recv hub.db && mv late/*.sxf usb/ && recv hub.db &&
	test "$(sqlite3 hub.db "select acked_lseq from syncpack_peer where site = '\''BSOC'\''")" -eq 0 &&
	for i in 1 2 3; do tick && round || return 1; done &&
	all_kept
'

test_expect_success 'a restored spoke with nothing to send still says so with --if-changed' '
	purged_gone && cp b.bak b.db &&
	tick && syncpack -d hub.db --to BSOC -o usb 2>>log && recv b.db &&
	tick && ack b.db ASOC &&
	syncpack -d b.db --to ASOC --if-changed -o usb 2>>log &&
	f=$(ls usb/BSOC_ASOC_*_data.sxf) && test "$(header "$f" since)" = -1 &&
	recv hub.db &&
	for i in 1 2 3; do tick && round || return 1; done &&
	all_kept
'

test_expect_success 'a restored hub that finds out before a reconciliation says so in its answer' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''X1'\'')" &&
	tick && round && cp hub.db hub.bak &&
	sqlite3 b.db "insert into piece(customer_id, piece_date, total) select id, '\''2000-01-01'\'', 7 from customer" &&
	tick && round && tick && round &&
	cp hub.bak hub.db &&
	sqlite3 b.db "insert into customer(name) values ('\''X2'\'')" &&
	tick && send b.db ASOC && recv hub.db &&
	test "$(sqlite3 hub.db "select acked_lseq from syncpack_peer where site = '\''BSOC'\''")" -eq -1 &&
	tick && reconcile b.db BSOC &&
	test "$(header "$(ls usb/done/ASOC_BSOC_*_answer.sxf)" restored)" = 1 &&
	for i in 1 2 3; do tick && round || return 1; done &&
	test "$(sqlite3 hub.db "select total from piece")" = 7.0 &&
	test "$(names hub.db)" = "X1 X2 " && test "$(names c.db)" = "X1 X2 "
'

# A kill at the k-th fsync of syncack, for every k until one run ends
# by itself: the state each kill leaves is where the next run starts,
# and every file that ever appeared is taken away as a courier would.
test_expect_success 'a syncack killed at any point leaves no file whose flow id it hands out again' '
	tick && make_shop &&
	sqlite3 b.db "insert into customer(name) values ('\''K1'\'')" &&
	send b.db ASOC && recv hub.db && syncpack -d hub.db --all -o usb 2>>log &&
	recv b.db && mkdir taken && cp b.db b.keep &&
	k=1 && while test $k -le 12; do
		cp b.keep b.db && mkdir -p out &&
		strace -f -qq -o /dev/null -e trace=fsync,fdatasync \
			-e inject=fsync,fdatasync:signal=KILL:when=$k \
			syncack -d b.db --to ASOC -o out 2>>log
		killed=$? &&
		for f in out/*.sxf; do test -e "$f" || continue; mv "$f" taken/k$k-${f#out/}; done &&
		syncack -d b.db --to ASOC -o out 2>>log &&
		for f in out/*.sxf; do test -e "$f" || continue; mv "$f" taken/k$k-again-${f#out/}; done &&
		ls taken | sed -n "s/^k$k-\(again-\)\{0,1\}//p" | sort | uniq -d >dup &&
		test ! -s dup &&
		test "$(ls taken | grep -c "^k$k-")" -le 1 &&
		k=$((k + 1)) || return 1
		test $killed -eq 137 || break
	done &&
	test $k -ge 2 && test $k -le 12
'

test_done
