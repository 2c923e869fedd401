"""`python -m bench`: machine facts, then eight sections, each beside its own baseline."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from bench import acceptance, compose_cost, dashboard, delivery, end_to_end, inbound, real_mail
from bench.fixtures import postgres_version, render_messages, temp_dir
from bench.report import load_note, machine_facts
from bench.sink import SinkProcess


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--messages", type=int, default=2000, help="N for throughput")
    parser.add_argument("--naive", type=int, default=200, help="N for the no-pool sender")
    parser.add_argument("--compose", type=int, default=500, help="compose iterations")
    parser.add_argument("--requests", type=int, default=200, help="requests per latency row")
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds (best kept)")
    parser.add_argument(
        "--budget", type=float, default=70, help="seconds for throughput rounds after the first"
    )
    parser.add_argument("--declines", type=int, default=10_000, help="stored for the pages")
    parser.add_argument("--page-requests", type=int, default=30, help="requests per page row")
    parser.add_argument("--e2e-declines", type=int, default=600, help="declines end to end")
    parser.add_argument("--e2e-clients", type=int, default=16, help="concurrent HTTP clients")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--inbound-rounds", type=int, default=3, help="passes over the corpus")
    parser.add_argument(
        "--real-mail", help="a directory of real .eml files (else DECLINE_BENCH_REAL_MAIL)"
    )
    args = parser.parse_args(argv)

    # The service logs "capture mode ..." at startup; this is a benchmark, not a deployment.
    logging.getLogger("decline").setLevel(logging.ERROR)
    started = time.perf_counter()
    pg = None if args.no_postgres else postgres_version()
    machine_facts(pg or "not reachable on 127.0.0.1:5432")
    try:
        with temp_dir() as directory, SinkProcess() as sink:
            end_to_end.run(sink, directory, declines=args.e2e_declines, clients=args.e2e_clients)
            messages = render_messages(args.messages)
            delivery.run(
                sink,
                messages,
                args.naive,
                directory,
                postgres=pg is not None,
                rounds=args.rounds,
                budget=args.budget,
            )
            compose_cost.run(args.compose)
            acceptance.run(args.requests, directory)
            dashboard.run(
                args.page_requests, directory, postgres=pg is not None, declines=args.declines
            )
            inbound.run(args.inbound_rounds, inbound.real_mail_dir(args.real_mail))
            real_mail.run()
    except KeyboardInterrupt:
        print("\ninterrupted: the sink, temp files and any bench_* database were cleaned up")
        return 130
    took = time.perf_counter() - started
    print(f"\ntotal {took:.1f} s; load average now {load_note(warn=False)} (this run included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
