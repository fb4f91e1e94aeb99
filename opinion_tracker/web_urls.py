"""The web pages of both apps under one namespace, ``web``."""

from incidents.web.urls import urlpatterns as incident_pages
from notifications.web.urls import urlpatterns as notification_pages

app_name = "web"
urlpatterns = [*incident_pages, *notification_pages]
