import json
import sys

from django.core.management.base import BaseCommand

from incidents.services.audit_verify import verify


class Command(BaseCommand):
    help = (
        "Check the timeline's hash chains and the daily seals; print what GET /api/v1/audit/verify/ answers, "
        "and exit with status 1 if anything does not match."
    )

    def add_arguments(self, parser):
        parser.add_argument("--incident", type=int, help="Check only this incident's chain (and every seal).")

    def handle(self, *args, **options):
        result = verify(options["incident"])
        self.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2))
        if not result.ok:
            sys.exit(1)
