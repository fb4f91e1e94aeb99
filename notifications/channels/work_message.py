"""Work messages: one person, one to one, through their organisation's 钉钉, 企业微信 or 飞书 app.

A work message reaches the recipient alone, so it carries their acknowledgement link, as the card's button
(the link opens the acknowledgement page, which acknowledges on its button: link scanners only read it).
The text from people and intake is made inert (``group_text``): DingTalk and Feishu render the card's text
as markdown, and a title must not become a link in a leader's work notices.

Each provider module (``dingtalk_work``, ``wecom_app``, ``feishu_app``) sends a ``Card`` through an app to
one user id, with the app's access token (``tokens``), and classes the provider's answers as the robots' are:
throttled, transient, permanent (the person is then told on their next channel).
"""

import hashlib
from dataclasses import dataclass
from types import ModuleType

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..acknowledgement import acknowledgement_url
from ..messages import compose, digest_line
from ..models import WorkApp
from .base import Channel, PermanentError
from .group_text import inert

NO_APP = gettext_lazy("No enabled %(provider)s app serves the person's department.")
NO_USER_ID = gettext_lazy("No %(provider)s user ID.")


@dataclass(frozen=True)
class Card:
    """What a work message shows: a title, the text, and one button with its link.

    ``key`` identifies the message to providers that drop a repeat of one they already have (飞书's
    ``uuid``); it is the notification's (or the digest's) own, so a message sent again is the same message.
    The button's text is at most four characters: 企业微信 shows no more.
    """

    title: str
    text: str
    button: str
    url: str
    key: str


def message_key(what) -> str:
    """A key for what a message carries (a notification id, a digest's ids), the same on every send of it and
    different between installations: two trackers sharing one app (a staging beside production, a database
    restored elsewhere) number their notifications alike, and 飞书 would drop the second's as a repeat."""
    installation = hashlib.sha256(("message-key" + settings.SECRET_KEY).encode()).hexdigest()[:12]
    return hashlib.sha256(f"{installation}:{what}".encode()).hexdigest()[:40]


def inbox_url() -> str:
    return settings.SITE_URL.rstrip("/") + reverse("web:escalations")


class WorkMessageChannel(Channel):
    """A work-message channel for one provider; ``user_field`` is the person's id on that platform.

    A message whose answer was lost is sent again once at most (as email is): 飞书 drops a repeated
    ``uuid`` and 企业微信 a repeated content within its duplicate check, but the text says how early or late
    the step is, which changes between the two sends, so a repeat may reach the person twice.
    """

    repeats_after_unknown = 1

    def __init__(self, provider: str, user_field: str, module: ModuleType):
        self.provider = provider
        self.user_field = user_field
        self.module = module

    @property
    def provider_label(self) -> str:
        """The platform in words (钉钉, 企业微信, 飞书), as the provider module names it in its errors."""
        return str(self.module.PROVIDER)

    def user_id(self, person) -> str:
        return getattr(person, self.user_field)

    def unreachable(self, person, directory):
        if directory.work_app(self.provider, person.department_id) is None:
            return NO_APP % {"provider": self.provider_label}
        if not self.user_id(person):
            return NO_USER_ID % {"provider": self.provider_label}
        return None

    def app_for(self, person) -> WorkApp:
        app = WorkApp.serving(self.provider, person.department)
        if app is None:
            raise PermanentError(str(NO_APP % {"provider": self.provider_label}))
        if not self.user_id(person):
            raise PermanentError(str(NO_USER_ID % {"provider": self.provider_label}))
        return app

    def send(self, notification) -> str:
        person = notification.recipient
        app = self.app_for(person)
        title, text = compose(notification, clean=inert, acknowledgement_line=False)
        with translation.override(settings.LANGUAGE_CODE):
            button = _("I have seen it")
        card = Card(
            title, text, button, acknowledgement_url(notification), message_key(f"notification-{notification.pk}")
        )
        return self.module.send(app, self.user_id(person), card)

    def send_digest(self, notifications) -> str:
        """Several steps in one card, when the person's limit would not carry them one by one; its button
        opens 我的督办, where each is acknowledged."""
        person = notifications[0].recipient
        app = self.app_for(person)
        lines = [digest_line(notification, clean=inert) for notification in notifications]
        with translation.override(settings.LANGUAGE_CODE):
            title = _("%(count)d escalation reminders") % {"count": len(notifications)}
            button = _("See them all")
        ids = ",".join(str(pk) for pk in sorted(n.pk for n in notifications))
        card = Card(title, "\n".join(lines), button, inbox_url(), message_key("digest-" + ids))
        return self.module.send(app, self.user_id(person), card)

    def test(self, app, user_id: str, title: str, text: str) -> str:
        """A drill's message through ``app`` to ``user_id``; its button opens the tracker."""
        with translation.override(settings.LANGUAGE_CODE):
            button = _("Open it")
        card = Card(title, text, button, settings.SITE_URL, "")
        return self.module.send(app, user_id, card)
