"""Group robots: the step goes to the recipient's department group and @-mentions the recipient.

The notification row stays the recipient's; the robot is the one of the department the recipient
works in (the group they read), whichever provider it is. A group message is read by the whole group
and forwarded beyond it: it names the people and links to the incident page (a sign-in), never to a
personal acknowledgement link, and what people and intake typed is made inert (``group_text``).
"""

from types import ModuleType

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..messages import compose, digest_line
from ..models import Robot
from . import dingtalk, feishu, wecom
from .base import Channel, PermanentError
from .group_text import inert

PROVIDERS: dict[str, ModuleType] = {
    Robot.Provider.DINGTALK: dingtalk,
    Robot.Provider.WECOM: wecom,
    Robot.Provider.FEISHU: feishu,
}
NO_ROBOT = gettext_lazy("The person's department has no group robot.")


class RobotChannel(Channel):
    def unreachable(self, person, directory):
        return None if directory.robot(person.department_id) else NO_ROBOT

    def send(self, notification) -> str:
        person = notification.recipient
        subject, body = compose(notification, personal=False, clean=inert)
        text = _("To %(person)s:") % {"person": inert(str(person))} + "\n\n" + body
        return self.post(person.department_id, subject, text, [person])

    def send_digest(self, notifications) -> str:
        """Several steps in one message, when the robot's limit would not carry them one by one."""
        lines = [digest_line(notification, clean=inert) for notification in notifications]
        lines.append(_("Open the tracker to see and acknowledge them: %(url)s") % {"url": settings.SITE_URL})
        title = _("%(count)d escalation reminders") % {"count": len(notifications)}
        people = list({n.recipient_id: n.recipient for n in notifications}.values())
        return self.post(notifications[0].recipient.department_id, title, "\n".join(lines), people)

    @staticmethod
    def post(department_id, title, text, people) -> str:
        robot = Robot.of_department(department_id)
        if robot is None:
            raise PermanentError(str(NO_ROBOT))
        mobiles = [person.phone for person in people if person.phone]
        return PROVIDERS[robot.provider].send(robot, title, text, mobiles)
