#!/usr/bin/env python3
"""simulate.py: runs seeded random histories of a syncpack network (a hub
and 2-5 spokes) against the real tools and checks that it converged.
See t/sim/README; scripts/simulate is the front end."""
import argparse
import json
import multiprocessing
import os
import random
import signal
import sys
import time

sys.dont_write_bytecode = True      # nothing written into the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from syncsim import pg as pgmod              # noqa: E402
from syncsim import plan as planmod          # noqa: E402
from syncsim import schema as schemamod      # noqa: E402
from syncsim import shrink as shrinkmod      # noqa: E402
from syncsim.run import Runner               # noqa: E402


def bindir():
    b = os.environ.get("SYNCPACK_BUILD")
    if not b:
        here = os.path.dirname(os.path.abspath(__file__))
        b = os.path.normpath(os.path.join(here, "..", ".."))
    d = os.path.join(b, "src")
    if not os.access(os.path.join(d, "syncpack"), os.X_OK):
        sys.exit("simulate: no tools in %s: set SYNCPACK_BUILD to a build "
                 "tree" % d)
    return d


def features_from(args):
    return {f: not getattr(args, "no_" + f.replace("-", "_"))
            for f in planmod.FEATURES}


def make_plan(seed, args):
    spokes = args.spokes or 2 + random.Random(seed * 7 + 1).randrange(4)
    return planmod.generate(seed, spokes, args.days, features_from(args),
                            args.ops)


def run_plan(plan, args, verbose=0, keep=False):
    r = Runner(plan, bindir(), verbose=verbose, keep=keep, logf=sys.stdout,
               workdir=args.workdir, drain_heartbeat=args.drain_heartbeat,
               pg_server=args.pg_server)
    return r.execute()


def one(seed_args):
    seed, args = seed_args
    plan = make_plan(seed, args)
    t = time.time()
    res = run_plan(plan, args, verbose=args.verbose, keep=args.keep)
    return seed, plan, res, time.time() - t


def report_failure(plan, res, args, label):
    print("%s: FAIL (%d problems)" % (label, len(res.problems)))
    for p in res.problems[:args.max_problems]:
        print("  " + p)
    if len(res.problems) > args.max_problems:
        print("  ... %d more" % (len(res.problems) - args.max_problems))
    print("  scratch folder kept: %s" % res.root)
    best = plan
    if args.shrink_time > 0:
        def rerun(p):
            return run_plan(p, args).problems
        best, tries = shrinkmod.shrink(
            plan, rerun, res.problems, args.shrink_time,
            log=(lambda m: print("  " + m)) if args.verbose else
            (lambda m: None))
        again = run_plan(best, args, keep=True)
        print("  shrunk from size %d to %d in %d tries; it fails with:" % (
            shrinkmod.size(plan), shrinkmod.size(best), tries))
        for p in again.problems[:args.max_problems]:
            print("    " + p)
        print("  shrunk scratch folder: %s" % again.root)
    name = os.path.join(args.save_dir, "sim-fail-%s.json" % plan["seed"])
    with open(name, "w") as f:
        json.dump(best, f, indent=1, sort_keys=True)
    print("  history: %s (scripts/simulate --replay %s -v)" % (name, name))


def main():
    ap = argparse.ArgumentParser(
        prog="simulate", description="Seeded simulation of a syncpack "
        "network: random days of work with faults, then checks that every "
        "site converged.")
    ap.add_argument("--seed", type=int, help="first seed (default: random)")
    ap.add_argument("--runs", type=int, default=1, help="seeds to run")
    ap.add_argument("--spokes", type=int, help="2-5 (default: from the seed)")
    ap.add_argument("--days", type=int, default=4)
    ap.add_argument("--ops", type=int, default=10,
                    help="events per day, about (default 10)")
    ap.add_argument("--jobs", type=int, default=1, help="runs in parallel")
    ap.add_argument("--replay", metavar="FILE",
                    help="run a history written by a failure")
    ap.add_argument("--shrink-time", type=float, default=120,
                    help="seconds to shrink a failure (0: do not)")
    ap.add_argument("--save-dir", default=".",
                    help="where failing histories are written")
    ap.add_argument("--workdir", help="where scratch folders go")
    ap.add_argument("--keep", action="store_true",
                    help="keep scratch folders of passing runs")
    ap.add_argument("--print-plan", action="store_true",
                    help="print the history of --seed as JSON and exit")
    ap.add_argument("--coverage", action="store_true",
                    help="print what the histories of the seeds exercise; "
                    "exit 1 if some feature is never used")
    ap.add_argument("--max-problems", type=int, default=20)
    ap.add_argument("--drain-heartbeat", action="store_true",
                    help="the drain packs heartbeats (no --if-changed), so "
                    "ack marks pass tombstones applied from a peer")
    ap.add_argument("--quiet", action="store_true",
                    help="one line per failing run only, and the total")
    ap.add_argument("-v", "--verbose", action="count", default=0)
    ap.add_argument(
        "--hub-backend", choices=("sqlite", "postgresql"),
        help="where the hub lives (default sqlite; a replay takes its "
        "history's). postgresql: a throwaway server started here (initdb "
        "and pg_ctl, as postgres when run as root; a Unix socket only, in "
        "a folder under --workdir, or under the temporary folder when "
        "postgres cannot reach --workdir), one database per run, spokes on "
        "SQLite. Left out "
        "there, since such a hub cannot track them: the tables %s; "
        "and the features %s (as if "
        "--no-... were given); values are "
        "the typed set (no blob in a text column, text in a blob column "
        "or fraction in an integer column, and no -0.0, whose sign SQLite "
        "does not keep)" % (
            ", ".join("%s (%s)" % kv for kv in
                      sorted(schemamod.PG_HUB_DROPS.items())),
            ", ".join("%s (%s)" % kv for kv in
                      sorted(planmod.PG_HUB_OFF.items()))))
    for f, what in planmod.FEATURES.items():
        ap.add_argument("--no-" + f, action="store_true",
                        help="leave out " + what)
    args = ap.parse_args()
    if args.spokes is not None and not 2 <= args.spokes <= 5:
        ap.error("--spokes must be 2 to 5")

    replayed = None
    if args.replay:
        with open(args.replay) as f:
            replayed = json.load(f)
        backend = replayed.get("hub_backend", "sqlite")
        if args.hub_backend not in (None, backend):
            ap.error("%s is a history for a hub on %s" % (args.replay,
                                                          backend))
        args.hub_backend = backend
    args.hub_backend = args.hub_backend or "sqlite"
    schemamod.configure(args.hub_backend)
    args.pg_server = None
    if args.hub_backend == "postgresql" and not (args.print_plan or
                                                 args.coverage):
        args.pg_server = pgmod.Server(args.workdir)
    try:
        if args.pg_server:
            args.pg_server.start()
        return _main(ap, args, replayed)
    finally:
        if args.pg_server:
            args.pg_server.stop()


def _main(ap, args, plan):
    if args.replay:
        res = run_plan(plan, args, verbose=args.verbose, keep=args.keep)
        if res.ok:
            print("replay %s: ok %s" % (args.replay, _stats(res)))
            return 0
        args.shrink_time = 0
        report_failure(plan, res, args, "replay %s" % args.replay)
        return 1
    seed = args.seed if args.seed is not None else random.randrange(10 ** 9)
    if args.print_plan:
        json.dump(make_plan(seed, args), sys.stdout, indent=1, sort_keys=True)
        print()
        return 0
    if args.coverage:
        used = {}
        for i in range(args.runs):
            for k in planmod.coverage(make_plan(seed + i, args)):
                used[k] = used.get(k, 0) + 1
        keys = planmod.coverage_keys()
        for k in sorted(keys):
            print("%-28s %d" % (k, used.get(k, 0)))
        missing = [k for k in keys if not used.get(k)]
        if missing:
            print("never used: " + ", ".join(sorted(missing)))
        return 1 if missing else 0
    seeds = [(seed + i, args) for i in range(args.runs)]
    failed = 0
    t0 = time.time()
    totals = {}
    if args.jobs > 1:
        pool = multiprocessing.Pool(args.jobs)
        results = pool.imap_unordered(one, seeds)
    else:
        results = map(one, seeds)
    for s, plan, res, secs in results:
        for k, v in res.stats.items():
            totals[k] = totals.get(k, 0) + v
        label = "seed %d (%d spokes, %d days)" % (s, plan["spokes"],
                                                  len(plan["days"]))
        if res.ok:
            if not args.quiet:
                print("%s: ok in %.1fs %s" % (label, secs, _stats(res)),
                      flush=True)
        else:
            failed += 1
            if args.quiet:
                print("%s: FAIL: %s" % (label, res.problems[0]), flush=True)
            else:
                report_failure(plan, res, args, label)
    print("%d runs, %d failed, %.0fs; %s" % (
        args.runs, failed, time.time() - t0,
        ", ".join("%s %d" % kv for kv in sorted(totals.items()))))
    return 1 if failed else 0


def _stats(res):
    s = res.stats
    return "(%d records, %d tool runs, %d files: %d lost, %d duplicated, " \
        "%d delayed; %d killed)" % (
            s.get("records", 0), s.get("tool runs", 0), s.get("files", 0),
            s.get("lost", 0), s.get("duplicated", 0), s.get("delayed", 0),
            s.get("kills", 0))


def _stop_on_signal(signum, frame):
    """SIGTERM and SIGHUP end the run like ^C does, through main's
    finally: the PostgreSQL server it started is stopped."""
    sys.exit(128 + signum)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGHUP, _stop_on_signal)
    sys.exit(main())
