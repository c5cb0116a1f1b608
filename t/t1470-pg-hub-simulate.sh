#!/bin/sh
# The network simulator (t/sim) with the hub on PostgreSQL and the spokes
# on SQLite (scripts/simulate --hub-backend postgresql, whose --help lists
# what such a hub leaves out): t0900's cases (t/simulate-cases.sh).
. "$SYNCPACK_SRC/t/lib.sh"

sim_seeds="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15"
sim_days=2
sim_ops=8
sim_args="--hub-backend postgresql"
# The simulator's server wants a folder postgres may reach: the test's
# own scratch folders are not.
sim_work=$(mktemp -d "${TMPDIR:-/tmp}/t1470.XXXXXX") && chmod 755 "$sim_work" ||
	{ echo "Bail out! no scratch folder for the simulator"; exit 1; }
trap 'rm -rf "$sim_work"' EXIT
. "$SYNCPACK_SRC/t/simulate-cases.sh"

test_done
