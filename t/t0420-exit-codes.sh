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
