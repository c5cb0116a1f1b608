#!/bin/sh
# syncadm status turns red when a peer goes quiet: no file from it for
# longer than peer set --expect (26 hours by default) since its last file,
# or since peer add.
. "$SYNCPACK_SRC/t/lib.sh"
. "$SYNCPACK_SRC/t/exchange-lib.sh"

# added DB PEER: when PEER was added at DB, in seconds since 1970.
added() {
	date -d "$(syncadm peer list -d "$1" --json |
		jq -r ".[] | select(.peer == \"$2\") | .added")" +%s
}

# quiet_flag DB PEER: true or false, as status --json says.
quiet_flag() {
	syncadm status -d "$1" --json >status.json
	test $? -le 1 &&
	jq -r ".peers[] | select(.peer == \"$2\") | .quiet" status.json
}

test_expect_success 'by default the hub expects a file from each spoke, and a spoke from its hub, every 26 hours' '
	make_sites &&
	syncadm peer list -d hub.db >list &&
	grep -q "EXPECT$" list &&
	test "$(awk "NR > 1 { print \$1, \$NF }" list)" = "BSOC 26h
CSOC 26h" &&
	test "$(syncadm peer list -d b.db --json | jq -r ".[0].expect")" = 26h &&
	expect_code 0 at_hours 25 syncadm status -d hub.db &&
	grep -qx "verdict: ok" out &&
	expect_code 0 at_hours 25 syncadm status -d b.db &&
	expect_code 1 at_hours 27 syncadm status -d hub.db &&
	b=$(syncadm peer list -d hub.db --json | jq -r ".[0].added") &&
	c=$(syncadm peer list -d hub.db --json | jq -r ".[1].added") &&
	grep -qx "verdict: attention: no file from BSOC since $b, no file from CSOC since $c" out &&
	grep -q "^peer CSOC: .*, expect 26h$" out &&
	expect_code 1 at_hours 27 syncadm status -d b.db &&
	a=$(syncadm peer list -d b.db --json | jq -r ".[0].added") &&
	grep -qx "verdict: attention: no file from ASOC since $a" out
'

# CSOC was added long ago and never sent; BSOC too, but it just sent a file.
quiet_shop() {
	make_shop &&
	sqlite3 hub.db "update syncpack_peer set added = \"2026-11-01T08:00:00Z\"" &&
	sqlite3 b.db "insert into customer(name) values (\"Ada\")" &&
	send b.db ASOC && recv hub.db
}

test_expect_success 'one spoke sends, the other does not: status names the quiet one' '
	quiet_shop &&
	expect_code 1 syncadm status -d hub.db &&
	grep -qx "verdict: attention: no file from CSOC since 2026-11-01T08:00:00Z" out &&
	test "$(quiet_flag hub.db BSOC)" = false &&
	test "$(quiet_flag hub.db CSOC)" = true &&
	test "$(jq -r ".peers[1].reason" status.json)" = "no file from CSOC since 2026-11-01T08:00:00Z" &&
	test "$(jq -r ".peers[0].verdict" status.json)" = ok
'

test_expect_success 'the expected interval and a 0/1 gauge per peer in the Prometheus output' '
	quiet_shop &&
	expect_code 1 syncadm status -d hub.db --prometheus &&
	grep -qx "syncpack_peer_expected_seconds{site=\"ASOC\",peer=\"CSOC\"} 93600" out &&
	grep -qx "syncpack_peer_quiet{site=\"ASOC\",peer=\"CSOC\"} 1" out &&
	grep -qx "syncpack_peer_quiet{site=\"ASOC\",peer=\"BSOC\"} 0" out &&
	grep -qx "syncpack_verdict_ok{site=\"ASOC\"} 0" out &&
	grep -qx "# TYPE syncpack_peer_quiet gauge" out
'

test_expect_success '--expect never switches it off' '
	quiet_shop &&
	syncadm peer set -d hub.db --site CSOC --expect never &&
	syncadm peer list -d hub.db --json >list.json &&
	test "$(jq -r ".[1].expect" list.json)" = never &&
	expect_code 0 syncadm status -d hub.db &&
	grep -qx "verdict: ok" out &&
	grep -q "^peer CSOC: .*, expect never$" out &&
	expect_code 0 syncadm status -d hub.db --prometheus &&
	grep -qx "syncpack_peer_expected_seconds{site=\"ASOC\",peer=\"CSOC\"} 0" out &&
	grep -qx "syncpack_peer_quiet{site=\"ASOC\",peer=\"CSOC\"} 0" out
'

test_expect_success 'the interval is counted to the second from peer add' '
	make_sites &&
	syncadm peer set -d hub.db --site BSOC --expect 30s &&
	syncadm peer set -d hub.db --site CSOC --expect never &&
	t=$(added hub.db BSOC) &&
	SYNCPACK_TEST_CLOCK_MS=$(( (t + 30) * 1000 )) syncadm status -d hub.db >out &&
	grep -qx "verdict: ok" out &&
	test "$(SYNCPACK_TEST_CLOCK_MS=$(( (t + 31) * 1000 )) quiet_flag hub.db BSOC)" = true
'

test_expect_success 'a file received restarts the count' '
	quiet_shop &&
	t=$(date +%s) &&
	syncadm peer set -d hub.db --site BSOC --expect 15m &&
	test "$(SYNCPACK_TEST_CLOCK_MS=$(( (t + 14 * 60) * 1000 )) quiet_flag hub.db BSOC)" = false &&
	test "$(SYNCPACK_TEST_CLOCK_MS=$(( (t + 16 * 60 + 5) * 1000 )) quiet_flag hub.db BSOC)" = true
'

test_expect_success 'peer set --expect takes a number and one unit, nothing else' '
	make_sites &&
	for d in 30s 15m 26h 7d; do
		syncadm peer set -d hub.db --site BSOC --expect $d &&
		test "$(syncadm peer list -d hub.db --json | jq -r ".[0].expect")" = $d || return 1
	done &&
	syncadm peer set -d hub.db --site BSOC --expect 90m &&
	syncadm status -d hub.db --json >status.json &&
	test "$(jq -r ".peers[0].expect_seconds" status.json)" = 5400 &&
	for d in 0s 0 1 1.5h 26H 2d3h " 5m" 5m\  -5m +5m x d "" never2 \
	    99999999999999999999d 36601d; do
		expect_code 2 syncadm peer set -d hub.db --site BSOC --expect "$d" &&
		expect_err "^syncadm: --expect: .*: (want a number above 0 and one unit of s, m, h or d \(30s, 15m, 26h, 7d\), or never|longer than a century)$" ||
		return 1
	done &&
	test "$(syncadm peer list -d hub.db --json | jq -r ".[0].expect")" = 90m &&
	expect_code 2 syncadm peer set -d hub.db --site DSOC --expect 1h &&
	expect_err "DSOC: no such peer"
'

test_expect_success 'a site made before --expect gains it, at 26 hours' '
	make_sites &&
	sqlite3 hub.db "alter table syncpack_peer drop column expect" &&
	test "$(syncadm peer list -d hub.db --json | jq -r ".[0].expect")" = 26h &&
	expect_code 1 at_hours 27 syncadm status -d hub.db
'

test_done
