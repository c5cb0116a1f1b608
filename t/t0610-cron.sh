#!/bin/sh
# syncpack-cron: the whole cycle from cron, through a folder mailbox.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

test_expect_success 'a day of cron runs keeps three sites in step' '
	make_shop && mkdir box &&
	sqlite3 b.db "insert into customer(name) values (\"from B\")" &&
	sqlite3 hub.db "insert into article(label) values (\"pen\")" &&
	syncpack-cron -d b.db -m box 2>cron.log &&
	syncpack-cron -d c.db -m box 2>>cron.log &&
	syncpack-cron -d hub.db -m box 2>>cron.log &&
	syncpack-cron -d b.db -m box 2>>cron.log &&
	syncpack-cron -d c.db -m box 2>>cron.log &&
	syncpack-cron -d hub.db -m box 2>>cron.log &&
	test "$(sqlite3 c.db "select name from customer")" = "from B" &&
	test "$(sqlite3 b.db "select label from article")" = pen &&
	grep -q "^syncpack-cron: BSOC: pack for ASOC: ok$" cron.log &&
	grep -q "^syncpack-cron: ASOC: return to CSOC: ok$" cron.log &&
	grep -q "^syncpack-cron: BSOC: verdict: ok$" cron.log &&
	test -n "$(ls box/ASOC/done)"
'

test_expect_success 'deferred returns: the hub sends back only with --returns' '
	make_shop && mkdir box &&
	sqlite3 hub.db "insert into article(label) values (\"pen\")" &&
	syncpack-cron -d b.db -m box 2>/dev/null &&
	syncpack-cron -d hub.db -m box --deferred 2>/dev/null &&
	test -z "$(ls box/BSOC | grep _data.sxf)" &&
	syncpack-cron -d hub.db -m box --returns 2>/dev/null &&
	test -n "$(ls box/BSOC | grep _data.sxf)" &&
	syncpack-cron -d b.db -m box 2>/dev/null &&
	test "$(sqlite3 b.db "select label from article")" = pen
'

test_expect_success 'two runs never overlap: a run waits for the lock' '
	make_shop && mkdir box &&
	sqlite3 b.db "insert into customer(name) values (\"x\")" &&
	{ flock b.db.cron.lock sleep 1.5 & } &&
	sleep 0.3 &&
	{ syncpack-cron -d b.db -m box 2>second.log & } &&
	sleep 0.5 &&
	{ test ! -e box/ASOC || test -z "$(ls box/ASOC)"; } &&
	wait &&
	test -n "$(ls box/ASOC | grep _data.sxf)"
'

test_expect_success 'trouble gives a non-zero exit and a log line' '
	make_shop && mkdir box &&
	sqlite3 b.db "insert into customer(name) values (\"x\")" &&
	syncpack-cron -d b.db -m box 2>/dev/null &&
	printf garbage >box/ASOC/BSOC_ASOC_000099_data.sxf &&
	expect_code 2 syncpack-cron -d hub.db -m box &&
	grep -q "^syncpack-cron: ASOC: fetch and unpack: failed (exit 2)$" err &&
	expect_code 2 syncpack-cron -d nosuch.db &&
	grep -q "not a syncpack site" err
'

test_done
