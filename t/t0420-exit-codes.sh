#!/bin/sh
# Exit codes: every one a tool can return is in its man page, a file
# processed but left in place is "partly done", and output that did not
# arrive is trouble.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# codes PAGE: the codes listed under EXIT STATUS, on one line.
codes() {
	sed -n '/^\.Sh EXIT STATUS/,/^\.Sh [A-Z]/p' "$SYNCPACK_SRC/man/$1" |
		sed -n 's/^\.It \([0-9]\)$/\1/p' | tr '\n' ' '
}

test_expect_success 'every man page lists 0, 1 and 2: each tool can return each' '
	for page in syncack.1 syncadm.1 syncdiff.1 syncpack.1 syncpack-cron.1 syncunpack.1; do
		test "$(codes $page)" = "0 1 2 " || { echo "$page: $(codes $page)"; return 1; }
	done
'

test_expect_success 'a file applied but not moved into done/ exits 1' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"A\")" &&
	send b.db ASOC && : >usb/done &&
	expect_code 1 syncunpack -d hub.db usb &&
	grep -q "cannot move into usb/done" err &&
	test "$(sqlite3 hub.db "select name from customer")" = A &&
	rm usb/done usb/*.sxf &&
	syncack -d hub.db --to BSOC -o usb 2>>log && : >usb/done &&
	expect_code 1 syncack -d b.db usb &&
	grep -q "cannot move into usb/done" err
'

test_expect_success 'syncack applying a data file with held records exits 1, as syncunpack' '
	make_shop &&
	sqlite3 hub.db "insert into customer(name) values (\"A\")" && round &&
	syncadm lock -d b.db customer 1 &&
	sqlite3 hub.db "update customer set city = \"Metz\"" &&
	syncpack -d hub.db --to BSOC -o usb 2>/dev/null &&
	expect_code 1 syncack -d b.db usb &&
	grep -q "applied as syncunpack would: .* held 1" err &&
	test -z "$(sqlite3 b.db "select city from customer")"
'

# hold_write DB SECONDS: another writer (the application) holds DB's write
# lock for SECONDS in the background; returns once it has it.
hold_write() {
	rm -f held &&
	printf "BEGIN IMMEDIATE;\nINSERT INTO customer(name) VALUES (1);\n.shell touch held; sleep %s\nROLLBACK;\n" "$2" |
		sqlite3 "$1" >/dev/null 2>&1 &
	n=0
	while ! test -f held; do
		n=$((n + 1)); test $n -lt 100 || return 1; sleep 0.1
	done
}

test_expect_success 'a busy database stops the walk at the first file; the rest stay' '
	make_shop &&
	sqlite3 b.db "insert into customer(name) values (\"B\")" &&
	sqlite3 c.db "insert into customer(name) values (\"C\")" &&
	send b.db ASOC && send c.db ASOC &&
	hold_write hub.db 6 &&
	expect_code 2 env SYNCPACK_BUSY_TIMEOUT=1 syncunpack -d hub.db usb &&
	wait &&
	test $(grep -c "sxf: hub.db: database is locked" err) -eq 1 &&
	grep -q "stopping here: the database is busy; this file and 1 more stay for the next run" err &&
	test $(ls usb/*.sxf | wc -l) -eq 2 &&
	test "$(sqlite3 hub.db "select count(*) from customer")" = 0 &&
	syncunpack -d hub.db usb 2>>log &&
	test "$(sqlite3 hub.db "select group_concat(name) from (select name from customer order by name)")" = B,C
'

test_expect_success 'SYNCPACK_BUSY_TIMEOUT must be a number of seconds' '
	make_sites &&
	expect_code 2 env SYNCPACK_BUSY_TIMEOUT=soon syncadm status -d hub.db &&
	expect_err "SYNCPACK_BUSY_TIMEOUT: soon: not a number of seconds"
'

test_expect_success 'output that cannot be written is trouble' '
	make_sites &&
	expect_code 2 sh -c "syncadm key -d hub.db >/dev/full" &&
	expect_err "^syncadm: standard output: " &&
	expect_code 2 sh -c "syncack -d hub.db --flows --json >/dev/full" &&
	expect_err "^syncack: standard output: " &&
	syncadm key -d hub.db >key.pem &&
	cmp key.pem hub.db.pub
'

test_done
