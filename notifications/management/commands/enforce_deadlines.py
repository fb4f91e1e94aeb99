from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications.enforcement import enforce


class Command(BaseCommand):
    help = "Run one enforcement pass (the same code the scheduler runs), delivering inline, once each."

    def add_arguments(self, parser):
        parser.add_argument(
            "--once", action="store_true", required=True, help="Run a single pass and exit (the scheduler repeats it)."
        )

    def handle(self, *args, **options):
        summary = enforce(timezone.now())
        self.stdout.write(
            f"enforcement pass done: {summary.marked_overdue} obligation(s) marked overdue, "
            f"{summary.steps_recorded} escalation step(s) recorded, {summary.deliveries} delivery attempt(s)"
        )
