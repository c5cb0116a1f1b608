#!/bin/sh
# The network simulator (t/sim) with the hub on PostgreSQL and the spokes
# on SQLite (scripts/simulate --hub-backend postgresql, whose --help lists
# what such a hub leaves out): t0900's cases (t/simulate-cases.sh).
. "$SYNCPACK_SRC/t/lib.sh"

# Seed 4 is left out while its history breaks a rule (a spoke restored
# from a backup while it held the hub's version of a record for a column
# it lacked keeps the record the hub deleted and purged): an open bug,
# replayed with scripts/simulate --hub-backend postgresql --seed 4.
sim_seeds="1 2 3 5 6 7 8 9 10 11 12 13 14 15 16"
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
