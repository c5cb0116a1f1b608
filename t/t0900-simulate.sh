#!/bin/sh
# The network simulator (t/sim): random histories of a hub and 2-5 spokes
# with lost, duplicated, delayed and reordered files, killed tools, a
# restored spoke and a skewed clock, each checked for convergence after it
# drains (t/simulate-cases.sh).
. "$SYNCPACK_SRC/t/lib.sh"

sim_seeds="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"
sim_days=2
sim_ops=8
sim_args=
. "$SYNCPACK_SRC/t/simulate-cases.sh"

test_done
