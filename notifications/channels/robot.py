"""Group robots: the step goes to the recipient's department group and @-mentions the recipient.

The notification row stays the recipient's; the robot is the one of the department the recipient
works in (the group they read), whichever provider it is.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..messages import compose
from ..models import Robot
from . import dingtalk, feishu, wecom
from .base import Channel, PermanentError

PROVIDERS = {Robot.Provider.DINGTALK: dingtalk, Robot.Provider.WECOM: wecom, Robot.Provider.FEISHU: feishu}
NO_ROBOT = gettext_lazy("The person's department has no group robot.")


class RobotChannel(Channel):
    def unreachable(self, person, directory):
        return None if directory.robot(person.department_id) else NO_ROBOT

    def send(self, notification) -> str:
        person = notification.recipient
        robot = Robot.objects.filter(department_id=person.department_id, enabled=True).first()
        if robot is None:
            raise PermanentError(str(NO_ROBOT))
        subject, body = compose(notification)
        text = _("To %(person)s:") % {"person": person} + "\n\n" + body
        return PROVIDERS[robot.provider].send(robot, subject, text, person.phone)
