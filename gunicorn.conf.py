"""gunicorn's settings for the tracker; gunicorn reads ./gunicorn.conf.py by itself, and the Dockerfile and
docker-compose.yml name it too. Binding and the number of workers stay on the command line."""

# The access log on stderr, with acknowledgement tokens taken out of every line (opinion_tracker.accesslog).
accesslog = "-"
logger_class = "opinion_tracker.accesslog.GunicornLogger"


def post_worker_init(worker):
    """Once a worker has loaded the tracker, with its URLs (every view and serializer) imported, what is in memory
    stays for the life of the process: ``gc.freeze()`` moves it out of the garbage collector's reach. Full
    collections otherwise walked those 160,000-230,000 objects (about 100 ms here) in the middle of a request every
    few requests: the incident list's p95 was four times its p50 (docs/benchmarks.md, "The incident list")."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018  (imports every view now, before the freeze)
    gc.collect()
    gc.freeze()
