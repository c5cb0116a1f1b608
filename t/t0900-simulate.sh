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

# syncpack(7), Keys: S2 and S3 link the same customer and article before
# they exchange; every site ends with one link, the GUID that sorts first.
test_expect_success 'two sites creating one link end with one record' '
	simulate --replay "$SYNCPACK_SRC/t/sim/histories/link-rivals.json" \
		--save-dir . >out || { cat out; return 1; } &&
	grep "^replay .*: ok" out
'

# S1 moves a job to the hub after its backup and is restored: with the
# move's file gone, the record is back at S1 alone; with it applied, S1
# holds it again, which syncdiff(1) says nothing repairs.
for h in move-undone move-restored; do
	test_expect_success "a spoke restored after a move ($h)" "
		simulate --replay \"\$SYNCPACK_SRC/t/sim/histories/$h.json\" \
			--save-dir . >out || { cat out; return 1; } &&
		grep '^replay .*: ok' out
	"
done

test_done
