"""The pages that update themselves, in a real browser: a duty officer's open duty board shows the incident a
colleague logs in a second browser, and a leader's open 我的督办 shows the entry, the unread count and the top
bar's badge after an enforcement pass, with a browser notification once allowed, neither page reloaded; and the
whole scenario at once, both pages open while the colleague logs.

The polling interval is the enforcement interval, made short here so the deadlines stay a few seconds."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Role
from notifications.enforcement import enforce
from notifications.models import EscalationEntry

from ..browser import sign_in
from ..factories import PersonFactory
from .test_browser import expect, minute

pytestmark = pytest.mark.usefixtures("national_defaults")

WITHIN_MS = 5_000  # ten polls at the interval below

# The browser's notifications recorded: permission asked for on the click, each notification shown kept.
NOTIFICATION_RECORDER = """
window.__notifications = [];
window.Notification = class {
  constructor(title, options) { window.__notifications.push({ title: title, body: options && options.body }); }
  close() {}
};
window.Notification.permission = "default";
window.Notification.requestPermission = function () {
  window.Notification.permission = "granted";
  return Promise.resolve("granted");
};
"""


@pytest.fixture(autouse=True)
def short_interval(settings):
    settings.ENFORCEMENT_INTERVAL_SECONDS = 0.5


def not_reloaded(page):
    """Mark the page's window: the mark survives only as long as the page is not reloaded."""
    page.evaluate("window.__kept = true")
    return lambda: page.evaluate("window.__kept === true")


def test_an_open_duty_board_shows_the_incident_a_colleague_logs(new_page, org):
    board = new_page()
    sign_in(board, org.duty_officer)
    expect(board).to_have_url(re.compile(r"/incidents/$"))
    expect(board.locator("ul.incidents[data-live-feed]")).to_have_attribute("data-interval", "0.5")
    still = not_reloaded(board)

    colleague = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER], display_name="李值班")
    other = new_page()
    sign_in(other, colleague)
    other.goto("/incidents/new/")
    other.fill("#id_title", "网传地铁站台大面积积水")
    other.select_option("#id_severity", "major")
    other.select_option("#id_department", str(org.department.pk))
    other.fill("#id_discovered_at", minute(timezone.now()))
    other.click("form.stacked button.primary")
    other.wait_for_url(re.compile(r"/incidents/\d+/$"))

    row = board.locator("ul.incidents > li.incident.new", has_text="网传地铁站台大面积积水")
    expect(row).to_have_count(1, timeout=WITHIN_MS)
    # The words are the page's own (data-new-label; the new msgids read 新 once the catalogue is compiled).
    expect(row.locator(".new-mark")).to_have_text(board.locator("ul.incidents").get_attribute("data-new-label"))
    expect(row.locator(".clock").first).to_have_text(re.compile(r"^剩余 \d+小时\d+分$"))
    expect(board.locator("ul.incidents > li.incident").first).to_have_class(re.compile(r"\bnew\b"))
    expect(board.locator("p.empty")).to_have_count(0)
    assert still(), "the board was not reloaded"
    board.wait_for_timeout(1_500)  # a few more polls add nothing twice
    expect(board.locator("ul.incidents > li.incident", has_text="网传地铁站台大面积积水")).to_have_count(1)


def test_an_open_inbox_shows_a_new_escalation_and_the_count_after_a_pass(new_page, org, log):
    page = new_page()
    page.add_init_script(NOTIFICATION_RECORDER)
    sign_in(page, org.leader)
    expect(page).to_have_url(re.compile(r"/escalations/$"))
    expect(page.locator(".unread-escalations")).to_have_text("0")
    badge = page.locator(".bar nav a[href='/escalations/'] .badge")
    expect(badge).to_have_count(0)
    page.click(".notify-button")  # the permission is asked for only on this click
    expect(page.locator(".notify-state")).to_have_text(page.locator(".live-notify").get_attribute("data-notify-on"))
    expect(page.locator(".notify-button")).to_be_hidden()
    still = not_reloaded(page)

    incident = log(title="网传某路段井盖缺失致行人受伤", discovered_at=timezone.now() - timedelta(hours=6))
    enforce(timezone.now())  # the first statement (5 h) is overdue: the principal leader is told
    count = EscalationEntry.objects.filter(recipient=org.leader).count()
    assert count >= 1

    entry = page.locator("li.escalation.new.unread", has_text="首次权威发布")
    expect(entry).to_have_count(1, timeout=WITHIN_MS)
    expect(entry).to_contain_text(incident.title)
    expect(entry).to_contain_text("超时一级督办")
    expect(page.locator(".unread-escalations")).to_have_text(str(count))
    expect(badge).to_have_text(str(count))
    expect(page.locator("li.escalation.new")).to_have_count(count)
    shown = page.evaluate("window.__notifications")
    assert len(shown) == count
    assert {n["title"] for n in shown} == {incident.title}
    assert any("超时一级督办" in n["body"] for n in shown)
    assert still(), "the inbox was not reloaded"

    # Acknowledging the inserted entry works as on any entry (its form came rendered with the page's token).
    entry.locator("button.primary").click()
    expect(page.locator(".message")).to_contain_text("已确认")
    expect(page.locator(".unread-escalations")).to_have_text(str(count - 1))


def test_a_colleague_logs_an_incident_and_both_open_pages_follow_without_a_reload(new_page, org):
    """The whole scenario at once: the duty board and a leader's 我的督办 are open; a colleague logs an incident
    in a second browser; the board shows it, and after a pass the leader's page shows the entry and the count."""
    board = new_page()
    sign_in(board, org.duty_officer)
    expect(board).to_have_url(re.compile(r"/incidents/$"))
    inbox = new_page()
    sign_in(inbox, org.leader)
    expect(inbox).to_have_url(re.compile(r"/escalations/$"))
    expect(inbox.locator(".unread-escalations")).to_have_text("0")
    board_kept, inbox_kept = not_reloaded(board), not_reloaded(inbox)

    colleague = PersonFactory(department=org.department, roles=[Role.DUTY_OFFICER], display_name="王值班")
    other = new_page()
    sign_in(other, colleague)
    other.goto("/incidents/new/")
    other.fill("#id_title", "网传某小区供水中断三天")
    other.select_option("#id_severity", "major")
    other.select_option("#id_department", str(org.department.pk))
    other.fill("#id_discovered_at", minute(timezone.now() - timedelta(hours=6)))
    other.click("form.stacked button.primary")
    other.wait_for_url(re.compile(r"/incidents/\d+/$"))

    expect(board.locator("ul.incidents > li.incident.new", has_text="网传某小区供水中断三天")).to_have_count(
        1, timeout=WITHIN_MS
    )
    enforce(timezone.now())  # the first statement (5 h) is overdue: the principal leader is told
    count = EscalationEntry.objects.filter(recipient=org.leader).count()
    assert count >= 1
    expect(inbox.locator("li.escalation.new.unread", has_text="网传某小区供水中断三天")).to_have_count(
        count, timeout=WITHIN_MS
    )
    expect(inbox.locator(".unread-escalations")).to_have_text(str(count))
    assert board_kept(), "the board was not reloaded"
    assert inbox_kept(), "the inbox was not reloaded"
