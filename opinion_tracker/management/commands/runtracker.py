from django.core.management import call_command
from django.core.management.base import BaseCommand

from opinion_tracker.scheduler import start_scheduler


class Command(BaseCommand):
    help = (
        "Run the tracker in one process: the web server and the embedded scheduler, which runs the "
        "enforcement pass and delivers inline. For production, use gunicorn with Celery beat and workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000", help="Address and port to serve on.")

    def handle(self, *args, addrport, **options):
        scheduler = start_scheduler()
        try:
            # No autoreloader: it would run this command, and so the scheduler, in two processes.
            call_command("runserver", addrport, use_reloader=False)
        finally:
            scheduler.shutdown(wait=False)
