# t/simulate-cases.sh: the simulator's cases of t0900 (a SQLite hub) and
# t1470 (a PostgreSQL hub): the fixed seeds $sim_seeds, which between them
# must use every feature of the hub's backend, then one fresh seed (named
# in its line; SYNCPACK_SIM_SEED picks it). $sim_args go to every run
# (--hub-backend), $sim_work holds the runs' scratch folders (default:
# the case's own). A failure prints the problems and the command that
# replays it; SYNCPACK_SIM_SHRINK=SECONDS (default 30) bounds how long it
# shrinks it. Sourced after t/lib.sh.

simulate() {
	# shellcheck disable=SC2086
	python3 "$SYNCPACK_SRC/t/sim/simulate.py" $sim_args --days $sim_days \
		--ops $sim_ops --shrink-time "${SYNCPACK_SIM_SHRINK:-30}" \
		--workdir "${sim_work:-$PWD}" "$@"
}

sim_runs=$(echo $sim_seeds | wc -w)
test_expect_success 'the fixed seeds use every feature of the simulator' "
	simulate --seed 1 --runs $sim_runs --coverage >cov || { cat cov; return 1; }
"

# Under ASan and UBSan (SYNCPACK_SANITIZED=yes, configure
# --enable-sanitizers) every fifth seed runs: the tools are three times
# slower there, the plain build has run every seed, and what the
# sanitizers add is a check of memory, which a fifth of the histories
# (and the fresh seed) exercise on the same code paths.
run_seeds=$sim_seeds
if [ "${SYNCPACK_SANITIZED:-no}" = yes ]; then
	run_seeds=$(echo $sim_seeds | tr " " "\n" | awk 'NR % 5 == 1' | tr "\n" " ")
fi

for seed in $run_seeds; do
	test_expect_success "seed $seed converges" "
		simulate --seed $seed --save-dir . ||
		{ echo \"replay: scripts/simulate $sim_args --seed $seed --days $sim_days --ops $sim_ops\"; return 1; }
	"
done

fresh=${SYNCPACK_SIM_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
test_expect_success "fresh random seed $fresh converges" "
	simulate --seed $fresh --save-dir . ||
	{ echo \"replay: scripts/simulate $sim_args --seed $fresh --days $sim_days --ops $sim_ops\"; return 1; }
"
