"""gunicorn's settings for the tracker; gunicorn reads ./gunicorn.conf.py by itself, and the Dockerfile and
docker-compose.yml name it too. Binding and the number of workers stay on the command line."""

# The access log on stderr, with acknowledgement tokens taken out of every line (opinion_tracker.accesslog).
accesslog = "-"
logger_class = "opinion_tracker.accesslog.GunicornLogger"
