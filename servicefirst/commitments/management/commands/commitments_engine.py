"""`servicefirst commitments_engine`: the commitments engine's process
(servicefirst/commitments/engine.py).

    servicefirst commitments_engine               # run until stopped, looping every second
    servicefirst commitments_engine --once        # catch up, sweep once, stop
    servicefirst commitments_engine --interval 0.5

Only one engine runs at a time (a lease on the cursor row); a second one stands by and takes
over when the first stops or dies. SIGTERM / SIGINT stop after the current batch (each batch is
one transaction, so even a kill loses nothing).
"""

import logging
import signal

from django.core.management.base import BaseCommand, CommandError

from servicefirst.commitments import engine
from servicefirst.core.context import request_context


class Command(BaseCommand):
    help = (
        "Evaluate the published commitments from the service-event log: open and close cases, "
        "warn, breach, escalate and keep the attainment."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", help="catch up and sweep once, then stop"
        )
        parser.add_argument(
            "--interval", type=float, help="seconds between loops (default 1, or the setting)"
        )
        parser.add_argument("--batch", type=int, help="events per batch (default 10,000)")

    def handle(self, *args, **options):
        if options["interval"] is not None and options["interval"] <= 0:
            raise CommandError("--interval must be positive")
        if options["batch"] is not None and options["batch"] <= 0:
            raise CommandError("--batch must be positive")
        if not logging.getLogger().handlers:
            logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
        stopping = {"flag": False}

        def stop(signum, frame):
            stopping["flag"] = True

        previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
        runner = engine.Engine(
            engine.Options.from_settings(interval_s=options["interval"], batch=options["batch"])
        )
        verbosity = options["verbosity"]

        def report(stats: engine.Stats) -> None:
            if verbosity >= 2 or (verbosity >= 1 and (stats.events or stats.alerts)):
                self.stdout.write(
                    f"events {stats.events}, cases opened {stats.cases_opened}, closed "
                    f"{stats.cases_closed}, breaches {stats.breaches}, warnings {stats.warnings}, "
                    f"escalations {stats.escalations}, alerts {stats.alerts}"
                )

        try:
            with request_context(channel="cli"):
                total = runner.run(
                    once=options["once"], should_stop=lambda: stopping["flag"], on_tick=report
                )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if options["once"]:
            self.stdout.write(str(total.as_dict()))
