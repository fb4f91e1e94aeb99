"""The web pages under one namespace, ``web``: the shell's (sign-in, the start page) and each app's."""

from incidents.web.urls import urlpatterns as incident_pages
from notifications.web.urls import urlpatterns as notification_pages
from statements.web.urls import urlpatterns as statement_pages

from .web.urls import urlpatterns as shell_pages

app_name = "web"
urlpatterns = [*shell_pages, *incident_pages, *statement_pages, *notification_pages]
