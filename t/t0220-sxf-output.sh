#!/bin/sh
# syncpack output: folders get sortable FAT-safe names, files are written
# atomically, "-" is stdout, flow ids increase and survive restarts.
. "$SYNCPACK_SRC/t/lib.sh"

test_expect_success 'a folder gets FROM_TO_FLOW_kind.sxf names in flow order' '
	make_sites && mkdir usb &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb &&
	expect_code 0 syncpack -d b.db --to ASOC -o usb/ &&
	test "$(ls usb | tr "\n" " ")" = "BSOC_ASOC_000001_data.sxf BSOC_ASOC_000002_data.sxf BSOC_ASOC_000003_data.sxf " &&
	! ls usb | grep -q "[:*?\"<>|\\\\]"
'

test_expect_success 'flow ids survive restarts and are per sender' '
	make_sites && mkdir usb &&
	syncpack -d b.db --to ASOC -o usb 2>/dev/null &&
	syncpack -d hub.db --to BSOC -o usb 2>/dev/null &&
	syncpack -d hub.db --to CSOC -o usb 2>/dev/null &&
	syncpack -d b.db --to ASOC -o usb 2>/dev/null &&
	syncunpack --list usb/BSOC_ASOC_000002_data.sxf | grep -qx "flow: 2" &&
	syncunpack --list usb/ASOC_CSOC_000002_data.sxf | grep -qx "to: CSOC"
'

test_expect_success 'a file path is written as given' '
	make_sites &&
	expect_code 0 syncpack -d b.db --to ASOC -o heartbeat.sxf &&
	expect_code 0 syncunpack --verify -d hub.db heartbeat.sxf
'

test_expect_success '"-" writes to stdout for a pipe' '
	make_sites &&
	syncpack -d b.db --to ASOC -o - 2>/dev/null | syncunpack --verify -d hub.db - &&
	syncpack -d b.db --to ASOC -o - 2>/dev/null | syncunpack --list - >listing &&
	grep -qx "flow: 2" listing && grep -q "^verdict: ok" listing
'

test_expect_success 'an unknown peer is refused and no file is left behind' '
	make_sites && mkdir usb &&
	expect_code 2 syncpack -d b.db --to ZSOC -o usb &&
	expect_err "^syncpack: usb: ZSOC is not a registered peer of BSOC" &&
	test -z "$(ls -A usb)"
'

test_expect_success 'an unwritable destination fails cleanly' '
	make_sites &&
	expect_code 2 syncpack -d b.db --to ASOC -o nosuchdir/x.sxf &&
	expect_err "^syncpack: nosuchdir/x.sxf: .*No such file"
'

test_expect_success 'a folder that is not there is refused before the file is written' '
	make_sites &&
	expect_code 2 syncpack -d b.db --to ASOC -o nodir/ &&
	expect_err "^syncpack: nodir/: no such folder$" &&
	test ! -e nodir && test -z "$(ls -A . | grep "^\.nodir")"
'

test_expect_success 'no temporary file is left and the folder only ever holds whole files' '
	make_sites && mkdir usb &&
	for i in 1 2 3 4 5; do syncpack -d b.db --to ASOC -o usb 2>/dev/null || return 1; done &&
	test "$(ls -A usb | grep -c "^\.")" = 0 &&
	for f in usb/*; do syncunpack --verify -d hub.db "$f" 2>/dev/null || return 1; done
'

test_expect_success 'the outgoing flow is logged' '
	make_sites &&
	syncpack -d b.db --to ASOC -o f.sxf 2>/dev/null &&
	test "$(sqlite3 b.db "select peer, direction, flow, kind, status from syncpack_flow")" = "ASOC|out|1|data|sent" &&
	test -n "$(sqlite3 b.db "select last_sent from syncpack_peer where site = \"ASOC\"")"
'

test_done
