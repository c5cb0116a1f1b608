#!/bin/sh
# The simulator's hub on PostgreSQL (scripts/simulate --hub-backend
# postgresql, t/sim/syncsim/pg.py) as a harness: its own server, gone at
# the end of a run whatever happened, and a reader of the hub's rows that
# sees what SQLite sees. The runs themselves are t1470's.
. "$SYNCPACK_SRC/t/lib.sh"

sim() {
	python3 "$SYNCPACK_SRC/t/sim/simulate.py" --hub-backend postgresql "$@"
}

# postmasters DIR: the PostgreSQL servers whose data folder is under DIR.
postmasters() {
	pgrep -a postgres | grep -F -- "-D $1" || true
}

# workdir: a folder for the runs' scratch folders that postgres may reach
# (the test's own is not), in $w; removed at the end of the case.
workdir() {
	w=$(mktemp -d "${TMPDIR:-/tmp}/t1461.XXXXXX") && chmod 755 "$w"
}

test_expect_success 'a history for a PostgreSQL hub leaves out what such a hub cannot track, and says so' '
	sim --seed 3 --print-plan >plan.json &&
	jq -e ".hub_backend == \"postgresql\"" plan.json >/dev/null &&
	jq -e ".features | .moves and .\"bad-text\" == false and .conflicts and .restore" plan.json >/dev/null &&
	! jq -r "[.days[].events[].ops[]?.t] | unique | .[]" plan.json | grep -Ex "audit" &&
	sim --seed 1 --runs 20 --coverage >cov &&
	! grep -E "^(ins audit|value nul) " cov &&
	grep -E "^ins basket " cov &&
	grep -E "^stale rowversion " cov && grep -E "^move " cov &&
	sim --help | tr -s " \n" "  " >help && grep -qF "audit (no primary key)" help &&
	! grep -qF "basket" help &&
	python3 "$SYNCPACK_SRC/t/sim/simulate.py" --seed 3 --print-plan >lite.json &&
	jq -e "has(\"hub_backend\") | not" lite.json >/dev/null &&
	expect_code 2 python3 "$SYNCPACK_SRC/t/sim/simulate.py" --replay plan.json --hub-backend sqlite &&
	grep -q "is a history for a hub on postgresql" err
'

test_expect_success 'the server of a run is stopped and its folder removed when the run ends' '
	workdir &&
	sim --seed 3 --days 1 --ops 4 --shrink-time 0 --workdir "$w" --save-dir . >run.out 2>&1
	rc=$? &&
	test $rc -le 1 &&
	grep -q "^1 runs, " run.out &&
	test -z "$(ls -d "$w"/syncsim-pg.* 2>/dev/null)" &&
	test -z "$(postmasters "$w")" &&
	rm -rf "$w"
'

test_expect_success 'SIGTERM during a run stops the server too' '
	workdir || exit 1
	python3 "$SYNCPACK_SRC/t/sim/simulate.py" --hub-backend postgresql --seed 5 \
		--days 3 --ops 10 --shrink-time 0 --workdir "$w" --save-dir . >run.out 2>&1 &
	pid=$!
	# initdb takes seconds on a loaded machine: up to a minute for the
	# server and its socket. The run is stopped whatever the checks find,
	# so that none outlives them.
	port=
	for _ in $(seq 1200); do
		port=$(postmasters "$w" | sed -n "1s/.* -p \([0-9]*\) .*/\1/p")
		[ -n "$port" ] && [ -S "$(echo "$w"/syncsim-pg.*)/.s.PGSQL.$port" ] &&
			break
		sleep 0.05
	done
	seen_ok=0
	postmasters "$w" >seen &&
	test -s seen && grep -q "listen_addresses=" seen &&
	test -S "$(echo "$w"/syncsim-pg.*)/.s.PGSQL.$port" &&
	seen_ok=1
	kill -TERM $pid
	wait $pid
	rc=$?
	test $seen_ok = 1 && test $rc -ne 0 &&
	test -z "$(ls -d "$w"/syncsim-pg.* 2>/dev/null)" &&
	test -z "$(postmasters "$w")" &&
	rm -rf "$w"
'

# The check runs the simulator's Python and psql, no syncpack tool: the
# build under ASan and UBSan would run the very same thing again.
values_case='values written at a PostgreSQL hub read back as SQLite holds them; -0.0 alone differs'
if [ "${SYNCPACK_SANITIZED:-no}" = yes ]; then
	test_skip "$values_case" "no syncpack tool runs in it; the plain build ran it"
else
	test_expect_success "$values_case" '
		expect_code 1 python3 "$SYNCPACK_SRC/t/sim/pg_values_check.py" &&
		grep -q "^[0-9]* values, [0-9]* read back differently$" out &&
		grep -v "^[0-9]* values," out >differ &&
		test -s differ &&
		! grep -vF "'"'"'-0x0.0p+0'"'"']: SQLite real:0x0.0p+0, PostgreSQL real:-0x0.0p+0" differ
	'
fi

test_done
