#!/bin/sh
# The network simulator (t/sim): random histories of a hub and 2-5 spokes
# with lost, duplicated, delayed and reordered files, killed tools, a
# restored spoke and a skewed clock, each checked for convergence after it
# drains. A fixed set of seeds that between them use every feature, then
# one fresh seed (named in its line; SYNCPACK_SIM_SEED picks it). A failure
# prints the problems and the command that replays it; set
# SYNCPACK_SIM_SHRINK=SECONDS (default 30) bounds how long it shrinks it.
. "$SYNCPACK_SRC/t/lib.sh"

sim_seeds="1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20"
sim_days=2
sim_ops=8

simulate() {
	python3 "$SYNCPACK_SRC/t/sim/simulate.py" --days $sim_days --ops $sim_ops \
		--shrink-time "${SYNCPACK_SIM_SHRINK:-30}" --workdir "$PWD" "$@"
}

test_expect_success 'the fixed seeds use every feature of the simulator' '
	simulate --seed 1 --runs 20 --coverage >cov || { cat cov; return 1; }
'

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

for seed in $sim_seeds; do
	test_expect_success "seed $seed converges" "
		simulate --seed $seed --save-dir . ||
		{ echo \"replay: scripts/simulate --seed $seed --days $sim_days --ops $sim_ops\"; return 1; }
	"
done

fresh=${SYNCPACK_SIM_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
test_expect_success "fresh random seed $fresh converges" "
	simulate --seed $fresh --save-dir . ||
	{ echo \"replay: scripts/simulate --seed $fresh --days $sim_days --ops $sim_ops\"; return 1; }
"

test_done
