"""``/metrics`` in Prometheus's text format, for operators (docs/operations.md; example alerts in docs/alerts.yml).

Every figure is read from the database when Prometheus scrapes, not counted in the process that answers: the
passes run in Celery workers or the embedded scheduler, deliveries in any number of workers, and the requests in
several gunicorn workers, so only the database sees them all. The reads are one small query each, on indexes the
tracker keeps anyway (the pending notifications', the open obligations'), except the counts of notifications by
channel and status, a scan that grows with the table (a few hundred milliseconds at ten million rows).

The endpoint is protected by a token of its own (``METRICS_TOKEN``, sent as ``Authorization: Bearer …``, which
Prometheus's ``authorization`` setting sends); without one configured it answers 404, as if it did not exist.
"""

import hmac
from datetime import timedelta

import redis
from django.conf import settings
from django.db.models import Count, Min
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily

from incidents.models import Obligation, ObligationKind, SignInFailure
from incidents.reports.stats import nearest_rank
from notifications.enforcement import last_run
from notifications.models import ChannelKind, Notification

LATENCY_WINDOW = timedelta(minutes=15)  # delivery latency is of the copies sent this recently
LATENCY_QUANTILES = (0.5, 0.95, 0.99)


def gauge(name, documentation, value=None, labels=()) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value, labels=labels or None)


class TrackerCollector:
    """The tracker's figures as of the scrape (module docstring)."""

    def collect(self):
        now = timezone.now()
        yield from self.passes(now)
        yield self.overdue()
        yield from self.notifications(now)
        yield from self.queues()
        window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
        yield gauge(
            "tracker_signin_failures_recent",
            "Failed sign-ins within the sign-in limits' window (LOGIN_FAILURE_WINDOW_SECONDS).",
            SignInFailure.objects.filter(at__gte=now - window).count(),
        )

    @staticmethod
    def passes(now):
        yield gauge(
            "tracker_enforcement_interval_seconds",
            "How often the enforcement pass is scheduled.",
            settings.ENFORCEMENT_INTERVAL_SECONDS,
        )
        run = last_run()
        if run is None:
            return
        summary = run.last_summary or {}
        yield gauge(
            "tracker_pass_last_finished_timestamp_seconds",
            "When the last enforcement pass finished (Unix time).",
            run.last_finished_at.timestamp(),
        )
        yield gauge(
            "tracker_pass_duration_seconds",
            "How long the last enforcement pass took.",
            max(0.0, (run.last_finished_at - run.last_started_at).total_seconds()),
        )
        for key, documentation in (
            ("steps_recorded", "Escalation steps the last pass recorded."),
            ("marked_overdue", "Obligations the last pass marked overdue."),
            ("deliveries", "Deliveries the last pass handed over."),
        ):
            yield gauge(f"tracker_pass_{key}", documentation, summary.get(key, 0))

    @staticmethod
    def overdue():
        family = gauge("tracker_obligations_overdue", "Obligations past their deadline and not met.", labels=["kind"])
        counted = dict(
            Obligation.objects.filter(state=Obligation.State.OVERDUE)
            .values_list("kind")
            .annotate(n=Count("pk"))
            .values_list("kind", "n")
        )
        for kind in ObligationKind.values:
            family.add_metric([kind], counted.get(kind, 0))
        return family

    @staticmethod
    def notifications(now):
        family = gauge(
            "tracker_notifications",
            "Notifications (one step, one person, one channel) by channel and status; each only grows but pending.",
            labels=["channel", "status"],
        )
        counted = {
            (channel, status): n
            for channel, status, n in Notification.objects.values_list("channel", "status")
            .annotate(n=Count("pk"))
            .order_by()
        }
        # Every pair, zeros included: a channel's first failures then show as an increase, not as a new series.
        for channel in ChannelKind.values:
            for status in Notification.Status.values:
                family.add_metric([channel, status], counted.get((channel, status), 0))
        yield family

        due = Notification.objects.filter(status=Notification.Status.PENDING, available_at__lte=now)
        yield gauge(
            "tracker_deliveries_due", "Pending notifications due to be sent now: the delivery backlog.", due.count()
        )
        # Since it became due: its recording, or the end of its hold, its retry's backoff or a lease that ran out.
        oldest = due.aggregate(oldest=Min("available_at"))["oldest"]
        yield gauge(
            "tracker_oldest_pending_notification_age_seconds",
            "How long the oldest pending notification due to be sent has been due (0 when none is).",
            (now - oldest).total_seconds() if oldest else 0.0,
        )

        sent = Notification.objects.filter(status=Notification.Status.SENT, sent_at__gte=now - LATENCY_WINDOW)
        latencies = sorted(
            (sent_at - max(step_at, held_until or step_at)).total_seconds()
            for sent_at, step_at, held_until in sent.values_list("sent_at", "step_at", "held_until")
        )
        family = gauge(
            "tracker_delivery_latency_seconds",
            f"From a step's time (or the end of its hold) to its delivery, over the copies sent in the last "
            f"{LATENCY_WINDOW.seconds // 60} minutes, by quantile.",
            labels=["quantile"],
        )
        for quantile in LATENCY_QUANTILES:
            family.add_metric([str(quantile)], nearest_rank(latencies, quantile) or 0.0)
        yield family

    @staticmethod
    def queues():
        """The Celery queues' lengths in Redis, where Celery carries the work (not in the embedded default, which
        has no broker); ``tracker_broker_up`` says whether Redis answered."""
        if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
            return
        queues = sorted({route["queue"] for route in settings.CELERY_TASK_ROUTES.values()})
        try:
            broker = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
            lengths = [(queue, broker.llen(queue)) for queue in queues]
        except redis.RedisError:
            yield gauge("tracker_broker_up", "Whether the Celery broker (Redis) answered the scrape.", 0)
            return
        yield gauge("tracker_broker_up", "Whether the Celery broker (Redis) answered the scrape.", 1)
        family = gauge("tracker_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"])
        for queue, length in lengths:
            family.add_metric([queue], length)
        yield family


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(TrackerCollector())


@never_cache
def metrics(request):
    """The figures for a scraper that sends the configured token; 404 for everyone else."""
    expected = settings.METRICS_TOKEN
    scheme, _space, sent = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme != "Bearer" or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise Http404
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
