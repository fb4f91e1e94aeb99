"""The in-app inbox: a notification row is its own delivery; the recipient reads it in the tracker."""

from .base import Channel


class InAppChannel(Channel):
    delivered_on_record = True

    def send(self, notification) -> str:
        return ""
