"""The duty board's search (words of the title or summary) and its list of closed incidents."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, Role

from ..factories import DepartmentFactory, PersonFactory


@pytest.fixture
def duty(client, org):
    client.force_login(org.duty_officer)
    return client


def board(client, **query) -> str:
    answer = client.get("/incidents/", query)
    assert answer.status_code == 200
    return answer.content.decode()


def closed(incident, *, reason, at) -> Incident:
    """Mark ``incident`` closed (the closing rules themselves are tested with the service)."""
    Incident.objects.filter(pk=incident.pk).update(state=Incident.State.CLOSED, closed_at=at, close_reason=reason)
    incident.refresh_from_db()
    return incident


def test_search_finds_incidents_by_title_or_summary_in_any_case(duty, log):
    now = timezone.now()
    by_title = log(title="网传某APP泄露市民信息", discovered_at=now)
    by_summary = log(title="网传公交线路停运", summary="市民称App 无法购票", discovered_at=now)
    neither = log(title="网传路面塌陷", summary="多名网友转发", discovered_at=now)

    page = board(duty, q="app")
    assert by_title.title in page
    assert by_summary.title in page
    assert neither.title not in page

    page = board(duty, q="泄露")
    assert by_title.title in page
    assert by_summary.title not in page
    assert neither.title not in page


def test_every_word_searched_for_must_appear(duty, log):
    now = timezone.now()
    both = log(title="网传公交线路停运", summary="市民称无法购票", discovered_at=now)
    one = log(title="网传公交票价上涨", discovered_at=now)
    page = board(duty, q=" 公交  购票 ")
    assert both.title in page
    assert one.title not in page


def test_the_board_lists_open_incidents_by_default(duty, log):
    now = timezone.now()
    still_open = log(title="网传地铁站台积水", discovered_at=now)
    done = closed(log(title="网传小区停水", discovered_at=now), reason="已恢复供水", at=now)
    for page in (board(duty), board(duty, state="open"), board(duty, state="")):
        assert "未办结舆情（按最近时限排序）" in page
        assert still_open.title in page
        assert done.title not in page
        assert 'class="clock' in page


def test_the_closed_list_shows_when_and_why_each_was_closed_newest_first(duty, log):
    now = timezone.now()
    still_open = log(title="网传地铁站台积水", discovered_at=now - timedelta(hours=3))
    earlier = closed(
        log(title="网传小区停水", discovered_at=now - timedelta(hours=3)),
        reason="已恢复供水",
        at=now - timedelta(hours=2),
    )
    later = closed(
        log(title="网传学校食堂问题", discovered_at=now - timedelta(hours=3)),
        reason="经核实不实",
        at=now - timedelta(hours=1),
    )

    page = board(duty, state="closed")
    assert still_open.title not in page
    assert page.index(later.title) < page.index(earlier.title)
    assert "已恢复供水" in page
    assert "经核实不实" in page
    assert timezone.localtime(later.closed_at).strftime("%Y-%m-%d %H:%M") in page
    assert 'class="clock' not in page
    assert "办结时间" in page
    assert "办结理由" in page


def test_the_closed_list_can_be_searched_and_narrowed(duty, log):
    now = timezone.now()
    water = closed(log(title="网传小区停水", discovered_at=now), reason="已恢复供水", at=now)
    food = closed(log(title="网传学校食堂问题", severity="general", discovered_at=now), reason="经核实不实", at=now)
    page = board(duty, state="closed", q="停水")
    assert water.title in page
    assert food.title not in page
    page = board(duty, state="closed", severity="general")
    assert food.title in page
    assert water.title not in page


def test_the_closed_list_keeps_to_the_callers_scope(duty, org, log):
    now = timezone.now()
    elsewhere = DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    theirs = closed(
        log(title="网传医院停诊", discovered_at=now, department=elsewhere, actor=None), reason="已复诊", at=now
    )
    ours = closed(log(title="网传小区停水", discovered_at=now), reason="已恢复供水", at=now)
    page = board(duty, state="closed")
    assert ours.title in page
    assert theirs.title not in page
    assert theirs.title not in board(duty, state="closed", q="停诊")


def test_the_search_box_is_labelled_in_chinese(duty):
    page = board(duty)
    assert '<label for="id_q">搜索：</label>' in page
    assert 'placeholder="标题或摘要中的字词"' in page


def test_nothing_found_says_so(duty, log):
    log(title="网传小区停水", discovered_at=timezone.now())
    assert "没有未办结的舆情。" in board(duty, q="不存在的字词")
    assert "没有已办结的舆情。" in board(duty, state="closed")


@pytest.mark.parametrize(
    ("query", "field"),
    [({"state": "nonsense"}, "state"), ({"q": "长" * 201}, "q"), ({"q": "a\x00b"}, "q")],
)
def test_a_mistaken_filter_shows_the_board_with_the_forms_error(duty, log, query, field):
    still_open = log(title="网传地铁站台积水", discovered_at=timezone.now())
    page = board(duty, **query)
    assert re.search(rf'<span class="filter invalid">[^\n]*id="id_{field}"', page)
    assert 'class="errorlist' in page
    assert still_open.title in page  # the list is shown, unnarrowed


def test_a_search_of_200_characters_is_taken(duty, log):
    page = board(duty, q="长" * 200)
    assert 'class="filter invalid"' not in page
    assert "没有未办结的舆情。" in page


def test_a_valid_state_holds_when_another_filter_is_mistaken(duty, log):
    now = timezone.now()
    still_open = log(title="网传地铁站台积水", discovered_at=now)
    done = closed(log(title="网传小区停水", discovered_at=now), reason="已恢复供水", at=now)
    page = board(duty, state="closed", q="长" * 201)
    assert done.title in page
    assert still_open.title not in page


def test_the_pages_keep_the_search_and_the_state(duty, org, log, settings):
    now = timezone.now()
    for number in range(51):
        closed(
            log(title=f"网传停水事件{number:02}", discovered_at=now),
            reason="已恢复供水",
            at=now + timedelta(minutes=number),
        )
    first = board(duty, state="closed", q="停水")
    assert "网传停水事件50" in first
    assert "网传停水事件00" not in first
    assert re.search(r'href="\?(?=[^"]*q=%E5%81%9C%E6%B0%B4&amp;)(?=[^"]*state=closed&amp;)[^"]*page=2"', first)
    second = board(duty, state="closed", q="停水", page=2)
    assert "网传停水事件00" in second
    assert "网传停水事件50" not in second
    assert re.search(r'href="\?(?=[^"]*q=%E5%81%9C%E6%B0%B4&amp;)(?=[^"]*state=closed&amp;)[^"]*page=1"', second)


def test_the_form_keeps_what_was_asked(duty, log):
    page = board(duty, state="closed", q="停水")
    assert re.search(r'<input type="search" name="q" value="停水"[^>]*maxlength="200"', page)
    assert re.search(r'<option value="closed" selected>已办结</option>', page)


def test_the_board_in_english(client, org, log):
    now = timezone.now()
    done = closed(log(title="网传小区停水", discovered_at=now), reason="已恢复供水", at=now)
    client.force_login(org.duty_officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/incidents/"})
    page = board(client)
    assert "Open incidents, nearest deadline first" in page
    assert '<label for="id_q">search:</label>' in page
    assert 'placeholder="words in the title or summary"' in page
    assert '<option value="closed">Closed</option>' in page
    page = board(client, state="closed")
    assert "Closed incidents, most recently closed first" in page
    assert done.title in page
    assert "reason for closing" in page
    assert "Select a valid choice." in board(client, state="nonsense")
    assert "Ensure this value has at most 200 characters" in board(client, q="x" * 201)


def test_an_auditor_searches_every_department(client, org, log):
    now = timezone.now()
    elsewhere = DepartmentFactory(name="市卫生健康委员会", parent=org.government)
    theirs = log(title="网传医院停诊", discovered_at=now, department=elsewhere, actor=None)
    client.force_login(PersonFactory(department=org.office, roles=[Role.AUDITOR, Role.DUTY_OFFICER]))
    assert theirs.title in board(client, q="停诊")
