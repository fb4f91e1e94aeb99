"""Benchmark of the REST API on PostgreSQL, served by gunicorn (not a test; results go in docs/benchmarks.md).

    .venv/bin/python bench/api.py [--incidents N] [--clients 1,8] [--workers W] [--requests R] [--explain] [--smoke]

Uses its own database, ``opinion_tracker_bench_api`` on 127.0.0.1 (made when missing, and dropped and
made again only when it holds a data set of another size), so it never touches a database in use.
- data: ``N`` incidents (1,000,000 by default) discovered over the five years up to now, in a city
  government of 30 departments and 16 sub-departments, each with the obligations of its severity, its
  public responses and its "logged" timeline event, written by INSERT … SELECT; kept between runs.
- load: gunicorn on 127.0.0.1 driven by one client, then by eight at once (threads): p50/p95 and requests/s
  of a duty officer's list of open incidents (their department and its sub-departments), an incident's
  detail, and logging one. One client gives the time a request takes; eight, what queueing adds to it.
- report: an auditor's compliance report for the last full calendar year (about a fifth of the data set)
  over HTTP, and the same figures computed in-process, to tell the database's time from the HTTP layer's.
``--smoke``: 2,000 incidents in a database of their own and a few requests, untimed (``make test`` runs it, so the
benchmark cannot rot unseen).
``--province``: a province instead of a city, in a database of its own (``opinion_tracker_bench_province``): the
province's government with its own departments and 99 city governments under it, each with the same 46
departments, the incidents shared evenly between the 100 governments (5,000,000 by default). Then the load runs
in one city's police, and the report for the last full year is timed for one city and for the province, with the
ranking (考核排名) of one city's departments and of the province's own.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from _environment import ROOT, free_port, use_database, wait_until_up

SMOKE = "--smoke" in sys.argv
PROVINCE = "--province" in sys.argv
# A smoke run has a database of its own, so that it never costs the kept data set of a full run; so has a province.
DATABASE = "opinion_tracker_bench_" + ("province" if PROVINCE else "api") + ("_smoke" if SMOKE else "")
use_database(DATABASE, DEBUG="0", ALLOWED_HOSTS="127.0.0.1")

import requests  # noqa: E402  (Django must be set up first)
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from incidents.access import scope_ids  # noqa: E402
from incidents.models import Department, Incident, Person, Role  # noqa: E402
from incidents.reports.scope import ReportScope  # noqa: E402
from incidents.services.people import set_roles  # noqa: E402
from notifications.breaches import breaches  # noqa: E402
from notifications.ranking import ranking  # noqa: E402
from notifications.report import compliance_report  # noqa: E402
from opinion_tracker.lib.beijing import BEIJING  # noqa: E402

# A city government: (code, name, weight, sub-departments). The weight is a department's share of the
# incidents (the police, health, housing and the city managers see far more than the statistics office).
DEPARTMENTS = [
    ("office", "市政府办公厅", 1, []),
    ("publicity", "市委宣传部", 1, []),
    ("drc", "市发展和改革委员会", 2, []),
    ("education", "市教育局", 6, [("edu-basic", "基础教育处", 3), ("edu-exam", "市教育考试院", 2)]),
    ("science", "市科学技术局", 1, []),
    ("industry", "市工业和信息化局", 1, []),
    (
        "police",
        "市公安局",
        6,
        [
            ("police-traffic", "交通警察支队", 5),
            ("police-order", "治安管理支队", 3),
            ("police-immigration", "出入境管理支队", 1),
            ("police-east", "东城分局", 3),
            ("police-west", "西城分局", 3),
            ("police-south", "南城分局", 2),
        ],
    ),
    ("civil", "市民政局", 2, []),
    ("justice", "市司法局", 1, []),
    ("finance", "市财政局", 1, []),
    ("hrss", "市人力资源和社会保障局", 4, [("hrss-arbitration", "劳动人事争议仲裁院", 2)]),
    ("resources", "市自然资源和规划局", 2, []),
    ("ecology", "市生态环境局", 3, []),
    ("housing", "市住房和城乡建设局", 6, [("housing-safety", "建设工程安全监督站", 2)]),
    ("transport", "市交通运输局", 5, [("transport-bus", "公交管理处", 3), ("transport-taxi", "出租汽车管理处", 2)]),
    ("water", "市水务局", 2, []),
    ("agriculture", "市农业农村局", 2, []),
    ("commerce", "市商务局", 1, []),
    ("culture", "市文化广电旅游局", 3, []),
    (
        "health",
        "市卫生健康委员会",
        6,
        [
            ("health-cdc", "市疾病预防控制中心", 2),
            ("health-first", "市第一人民医院", 3),
            ("health-second", "市第二人民医院", 2),
        ],
    ),
    ("veterans", "市退役军人事务局", 1, []),
    ("emergency", "市应急管理局", 3, []),
    ("audit", "市审计局", 1, []),
    ("market", "市市场监督管理局", 6, [("market-food", "食品安全监管处", 3)]),
    ("statistics", "市统计局", 1, []),
    ("medical-security", "市医疗保障局", 2, []),
    ("urban", "市城市管理局", 6, []),
    ("petitions", "市信访局", 2, []),
    ("sports", "市体育局", 1, []),
    ("data", "市数据局", 1, []),
]
CITIES = 99 if PROVINCE else 0  # city governments under the province's, each with every department above
# A child of a government with sub-departments: the duty officer's scope (in a province, the first city's).
DUTY_DEPARTMENT = "c1-police" if PROVINCE else "police"
SEVERITIES = [("especially_major", 2), ("major", 8), ("relatively_major", 22), ("general", 68)]  # percent


def psql(sql, database="postgres"):
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-q", "-c", sql], check=True)


def database_exists() -> bool:
    query = f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'"
    found = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", query],
        check=True,
        capture_output=True,
        text=True,
    )
    return found.stdout.strip() == "1"


def generated_size() -> int | None:
    """Incidents of the data set already in the database (a marker table says), or None."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('bench_api_dataset') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return None
        cursor.execute("SELECT incidents FROM bench_api_dataset")
        row = cursor.fetchone()
        return row[0] if row else None


def organisation() -> dict[str, Department]:
    """The governments and their departments by code: one city's (``gov``), or a province's (``gov``, its own
    departments and ``CITIES`` city governments ``c1``, ``c2``… under it, each with its departments, ``c1-police``)."""
    made: dict[str, Department] = {}
    province = "省" if PROVINCE else "市"
    government_departments(made, "gov", f"某{province}人民政府", None, prefix="")
    for city in range(1, CITIES + 1):
        government_departments(made, f"c{city}", f"第{city}市人民政府", made["gov"], prefix=f"c{city}-")
    return made


def government_departments(made, code, name, parent, prefix) -> None:
    """A government with the departments of ``DEPARTMENTS``, their codes prefixed, its office and publicity set."""
    government = made[code] = Department.objects.create(name=name, code=code, parent=parent, is_government=True)
    for department_code, department_name, _weight, children in DEPARTMENTS:
        department = Department.objects.create(name=department_name, code=prefix + department_code, parent=government)
        made[prefix + department_code] = department
        for child_code, child_name, _child_weight in children:
            made[prefix + child_code] = Department.objects.create(
                name=child_name, code=prefix + child_code, parent=department
            )
    government.supervising_office = made[prefix + "office"]
    government.publicity_department = made[prefix + "publicity"]
    government.save()


def weighted_departments(made) -> list[int]:
    """Department ids repeated by weight, every government alike: the SQL picks one at random from the array."""
    ids = []
    for prefix in ["", *(f"c{city}-" for city in range(1, CITIES + 1))]:
        for code, _name, weight, children in DEPARTMENTS:
            ids += [made[prefix + code].pk] * weight
            for child_code, _child_name, child_weight in children:
                ids += [made[prefix + child_code].pk] * child_weight
    return ids


# One row per incident with every time its life is made of, drawn once (setseed makes it repeatable);
# the tables below are written from it in its own order (a sequential scan), incident by incident.
# Discoveries are uniform over the five years and in the order of the ids, as in a live database where
# incidents are logged as they are found: a year's incidents lie together on disk, not spread over it.
# Responses: 95% of incidents get a first statement, 70% of them within 5 h of the event, 20% within a
# day, 7% within two, the rest within four; grave incidents (I, II) then a press conference, others a
# second statement one time in four. An incident closes half a day to two weeks after its last activity;
# later than now, it is still open, and 0.3% are never closed (forgotten).
PLAN = """
CREATE UNLOGGED TABLE bench_plan AS
SELECT b.n, b.severity, b.grave, b.department_id, b.discovered_at, b.occurred_at, c.clock_start,
       least(b.discovered_at + (5 + 175 * b.r_log ^ 3) * interval '1 minute', %(now)s) AS logged_at,
       s.s1_at, p.pc_at, p.s2_at,
       b.discovered_at + (10 + 200 * b.r_int ^ 2) * interval '1 minute' AS internal_at,
       b.discovered_at + (0.3 + 4 * b.r_ver ^ 1.5) * interval '1 day' AS verified_at,
       -- the end (24:00 Beijing time) of the second working day after the day of discovery (weekends only)
       ((d.day + CASE extract(isodow FROM d.day) WHEN 4 THEN 5 WHEN 5 THEN 5 WHEN 6 THEN 4 ELSE 3 END)::timestamp
           AT TIME ZONE 'Asia/Shanghai') AS verification_due,
       CASE WHEN e.closes_at <= %(now)s AND b.r_linger >= 0.003 THEN e.closes_at END AS closed_at
FROM (
    SELECT n,
           %(now)s - (1 - (n - 1 + random()) / %(count)s) * interval '1826 days' AS discovered_at,
           CASE WHEN random() < 0.5 THEN random() END AS r_occ,
           %(departments)s::bigint[] AS departments,
           random() AS r_sev, random() AS r_dept, random() AS r_log, random() AS r_resp, random() AS r_s1,
           random() AS r_pc, random() AS r_s2, random() AS r_int, random() AS r_ver, random() AS r_close,
           random() AS r_linger
    FROM generate_series(1, %(count)s) AS n
) AS r
CROSS JOIN LATERAL (
    SELECT r.*,
           CASE WHEN r.r_sev < 0.02 THEN 'especially_major' WHEN r.r_sev < 0.10 THEN 'major'
                WHEN r.r_sev < 0.32 THEN 'relatively_major' ELSE 'general' END AS severity,
           r.r_sev < 0.10 AS grave,
           r.departments[1 + floor(r.r_dept * cardinality(r.departments))::int] AS department_id,
           r.discovered_at - r.r_occ * interval '12 hours' AS occurred_at
) AS b
CROSS JOIN LATERAL (SELECT coalesce(b.occurred_at, b.discovered_at) AS clock_start) AS c
CROSS JOIN LATERAL (SELECT (b.discovered_at AT TIME ZONE 'Asia/Shanghai')::date AS day) AS d
CROSS JOIN LATERAL (
    SELECT CASE WHEN b.r_resp < 0.95 THEN greatest(
        b.discovered_at + interval '10 minutes',
        c.clock_start + interval '1 hour' * CASE
            WHEN b.r_s1 < 0.70 THEN 0.3 + b.r_s1 / 0.70 * 4.7
            WHEN b.r_s1 < 0.90 THEN 5 + (b.r_s1 - 0.70) / 0.20 * 19
            WHEN b.r_s1 < 0.97 THEN 24 + (b.r_s1 - 0.90) / 0.07 * 24
            ELSE 48 + (b.r_s1 - 0.97) / 0.03 * 48 END) END AS s1_at
) AS s
CROSS JOIN LATERAL (
    SELECT CASE WHEN b.grave THEN s.s1_at + (1 + 30 * b.r_pc ^ 1.5) * interval '1 hour' END AS pc_at,
           CASE WHEN NOT b.grave AND b.r_s2 < 0.25 THEN s.s1_at + (6 + 264 * b.r_s2) * interval '1 hour' END AS s2_at
) AS p
CROSS JOIN LATERAL (
    SELECT greatest(
        b.discovered_at + (10 + 200 * b.r_int ^ 2) * interval '1 minute',
        b.discovered_at + (0.3 + 4 * b.r_ver ^ 1.5) * interval '1 day',
        s.s1_at, p.pc_at, p.s2_at
    ) + (0.5 + 14 * b.r_close ^ 2) * interval '1 day' AS closes_at
) AS e
"""

TOPICS = [
    "网传某小区停水三天无人处理",
    "市民反映公交线路调整后出行不便",
    "视频显示路口信号灯长时间故障",
    "网友质疑学校食堂食品安全",
    "医院就诊排队时间过长引发热议",
    "外卖骑手交通事故视频传播",
    "老旧小区加装电梯纠纷",
    "景区门票价格上涨引发质疑",
    "网传某工地夜间施工扰民",
    "农民工讨薪视频引发关注",
    "网约车乘客投诉遭遇绕路",
    "暴雨后道路积水车辆被淹",
]

INCIDENTS = """
INSERT INTO incidents_incident (id, title, summary, severity, source_platform, source_url, occurred_at,
    discovered_at, logged_at, state, closed_at, close_reason, department_id, logged_by_id, external_id)
SELECT n, (%(topics)s::text[])[1 + n %% cardinality(%(topics)s::text[])] || '（' || n || '）',
       '网民在社交媒体发布相关视频和图片，转评量持续上升，部分自媒体跟进转载，需核实情况并及时回应。',
       severity, (ARRAY['weibo', 'douyin', 'wechat', 'toutiao', 'bilibili'])[1 + n %% 5],
       'https://weibo.com/' || (1000000000 + n) || '/status', occurred_at, discovered_at, logged_at,
       CASE WHEN closed_at IS NULL THEN 'open' ELSE 'closed' END, closed_at,
       CASE WHEN closed_at IS NULL THEN '' ELSE '已回应，舆情平息' END, department_id, NULL, ''
FROM bench_plan
"""

# Action ids are 3n-2 (first statement), 3n-1 (press conference) and 3n (second statement) for incident
# n, so an obligation knows what met it without a join; only what was published by now exists.
ACTIONS = """
INSERT INTO incidents_action (id, kind, channel, published_at, evidence_url, evidence_file, summary,
    recorded_at, recorded_by_id, incident_id, text, text_sha256)
SELECT 3 * p.n - 3 + a.k, a.kind, a.channel, a.at, 'https://www.example.gov.cn/xwfb/' || p.n || '-' || a.k || '.html',
       '', '', least(a.at + interval '20 minutes', %(now)s), NULL, p.n, '', ''
FROM bench_plan p
CROSS JOIN LATERAL (VALUES (1, 'statement', 'weibo', p.s1_at), (2, 'press_conference', 'press', p.pc_at),
                           (3, 'statement', 'website', p.s2_at)) AS a(k, kind, channel, at)
WHERE a.at <= %(now)s
"""

# Every obligation of the national defaults: internal report (2 h) and verification report (2 working
# days) for all; first statement (5 h), press conference (24 h) and follow-ups (24 h after the latest
# public response) for grave incidents; a response (48 h) for the others. An obligation is met (late or
# not) when what meets it happened by now; otherwise a closed incident's is waived (a follow-up by the
# closing, a response by a leader), an open incident's pending or overdue.
OBLIGATIONS = """
INSERT INTO incidents_obligation (incident_id, kind, clock, clock_started_at, "offset", offset_working_days,
    due_at, provisional, state, met_at, met_by_id, waived_at, waived_reason, waiver_kind, waived_by_id, next_step_at,
    created_at, incident_discovered_at)
SELECT p.n, o.kind, o.clock, o.started, o.off, o.days, o.due, false, st.state,
       CASE WHEN st.state IN ('met', 'met_late') THEN o.met_at END,
       CASE WHEN st.state IN ('met', 'met_late') THEN o.met_by END,
       CASE WHEN st.state = 'waived' THEN p.closed_at END,
       CASE WHEN st.state <> 'waived' THEN ''
            WHEN o.kind = 'follow_up' AND p.closed_at <= o.due THEN 'closed'
            WHEN o.kind = 'follow_up' THEN '舆情已平息，经领导批准不再续报'
            ELSE '经核实情况不实，经领导批准不作公开回应' END,
       CASE WHEN st.state <> 'waived' THEN ''
            WHEN o.kind = 'follow_up' AND p.closed_at <= o.due THEN 'closed'
            ELSE 'approved' END,
       NULL,
       CASE WHEN st.state = 'pending' THEN o.due - interval '1 hour' END,
       o.created, p.discovered_at
FROM bench_plan p
CROSS JOIN LATERAL (VALUES
    ('internal_report', 'discovery', p.discovered_at, interval '2 hours', NULL::smallint,
     p.discovered_at + interval '2 hours', p.internal_at, NULL::bigint, p.logged_at, true),
    ('verification_report', 'discovery', p.discovered_at, NULL, 2, p.verification_due, p.verified_at, NULL,
     p.logged_at, true),
    ('first_statement', 'event', p.clock_start, interval '5 hours', NULL, p.clock_start + interval '5 hours',
     p.s1_at, 3 * p.n - 2, p.logged_at, p.grave),
    ('press_conference', 'event', p.clock_start, interval '24 hours', NULL, p.clock_start + interval '24 hours',
     p.pc_at, 3 * p.n - 1, p.logged_at, p.grave),
    ('response', 'event', p.clock_start, interval '48 hours', NULL, p.clock_start + interval '48 hours',
     p.s1_at, 3 * p.n - 2, p.logged_at, NOT p.grave),
    ('follow_up', 'latest_public_response', p.s1_at, interval '24 hours', NULL, p.s1_at + interval '24 hours',
     p.pc_at, 3 * p.n - 1, least(p.s1_at + interval '20 minutes', %(now)s), p.grave AND p.s1_at <= %(now)s),
    ('follow_up', 'latest_public_response', p.pc_at, interval '24 hours', NULL, p.pc_at + interval '24 hours',
     NULL, NULL, least(p.pc_at + interval '20 minutes', %(now)s), p.grave AND p.pc_at <= %(now)s)
) AS o(kind, clock, started, off, days, due, met_at, met_by, created, applies)
CROSS JOIN LATERAL (
    SELECT CASE WHEN o.met_at <= %(now)s THEN CASE WHEN o.met_at <= o.due THEN 'met' ELSE 'met_late' END
                WHEN p.closed_at IS NOT NULL THEN 'waived'
                WHEN o.due <= %(now)s THEN 'overdue'
                ELSE 'pending' END AS state
) AS st
WHERE o.applies
"""

# What record_action keeps on each incident: the earliest public response's publication time.
FIRST_RESPONSES = """
UPDATE incidents_incident i SET first_public_response_at = a.first
FROM (SELECT incident_id, min(published_at) AS first FROM incidents_action
      WHERE kind IN ('statement', 'press_conference', 'briefing', 'interview') GROUP BY incident_id) a
WHERE a.incident_id = i.id
"""

TIMELINE = """
INSERT INTO incidents_timelineevent (at, kind, detail, actor_id, incident_id, obligation_id)
SELECT logged_at, 'logged',
       jsonb_build_object('severity', severity, 'clock_started_at', clock_start,
                          'logging_delay_seconds', floor(extract(epoch FROM logged_at - discovered_at))::int),
       NULL, n, NULL
FROM bench_plan
"""

# Every reference the load skipped checking (triggers are off while it runs) must point at a row.
DANGLING = """
SELECT (SELECT count(*) FROM incidents_obligation o LEFT JOIN incidents_action a ON a.id = o.met_by_id
        WHERE o.met_by_id IS NOT NULL AND a.id IS NULL)
     + (SELECT count(*) FROM incidents_action a LEFT JOIN incidents_incident i ON i.id = a.incident_id
        WHERE i.id IS NULL)
     + (SELECT count(*) FROM incidents_incident i LEFT JOIN incidents_department d ON d.id = i.department_id
        WHERE d.id IS NULL)
"""


def generate(count) -> dict:
    """Seconds per step of loading ``count`` incidents with their actions, obligations and events.

    Foreign-key triggers are turned off for the load (``session_replication_role``): the deferred
    checks of several million rows would cost more than the load itself. The rows are consistent by
    construction, which ``DANGLING`` verifies afterwards; CHECK and unique constraints stay on.
    """
    made = organisation()
    now = timezone.now().replace(microsecond=0)
    params = {"now": now, "count": count, "departments": weighted_departments(made), "topics": TOPICS}
    seconds = {}
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        cursor.execute("SELECT setseed(0.2026)")
        for name, sql in [
            ("plan", PLAN),
            ("incidents", INCIDENTS),
            ("actions", ACTIONS),
            ("first responses", FIRST_RESPONSES),
            ("obligations", OBLIGATIONS),
            ("timeline", TIMELINE),
        ]:
            started = time.perf_counter()
            cursor.execute(sql, params)
            seconds[name] = time.perf_counter() - started
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("incidents_incident", "incidents_action", "incidents_obligation", "incidents_timelineevent"):
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        cursor.execute(DANGLING)
        assert cursor.fetchone()[0] == 0, "dangling references"
        cursor.execute("DROP TABLE bench_plan")
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE")
        seconds["vacuum analyze"] = time.perf_counter() - started
        cursor.execute("CREATE TABLE bench_api_dataset (incidents integer, generated_at timestamptz)")
        cursor.execute("INSERT INTO bench_api_dataset VALUES (%s, %s)", [count, now])
    return seconds


def prepare(count) -> bool:
    """The data set of ``count`` incidents, made when missing; True when it was made by this run."""
    if database_exists():
        if generated_size() == count:
            call_command("migrate", verbosity=0)
            forget_posted(count)
            return False
        connection.close()
        psql(f"DROP DATABASE {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    call_command("migrate", verbosity=0)
    return True


def forget_posted(count):
    """Incidents logged by earlier runs' POSTs are removed, and their dead rows vacuumed away (a run's list would
    otherwise read the last run's 700 too, left in the heap), so every run measures the same data set."""
    tables = ("incidents_timelineevent", "incidents_obligation", "incidents_incident")
    with connection.cursor() as cursor:
        for table, column in zip(tables, ("incident_id", "incident_id", "id"), strict=True):
            cursor.execute(f"DELETE FROM {table} WHERE {column} > %s", [count])
        for table in tables:
            cursor.execute(f"VACUUM ANALYZE {table}")  # Django's connections are in autocommit mode


def tables() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in ("incidents_incident", "incidents_action", "incidents_obligation", "incidents_timelineevent"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table.removeprefix("incidents_")] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        counts["size"] = cursor.fetchone()[0]
    return counts


def person(username, department, role) -> str:
    """A person with ``role`` in ``department``, and their API token."""
    someone, _ = Person.objects.get_or_create(username=username, defaults={"department": department})
    set_roles(someone, [role])
    return Token.objects.get_or_create(user=someone)[0].key


@contextmanager
def gunicorn(workers):
    """The tracker served by ``workers`` gunicorn processes on 127.0.0.1, as in production (DEBUG off)."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "gunicorn"), "opinion_tracker.wsgi", "-w", str(workers)]
    command += ["-b", f"127.0.0.1:{port}", "--timeout", "120", "--log-level", "warning"]
    command += ["--access-logfile", "/dev/null"]  # formatted as in production, but not printed among the figures
    # production runs collectstatic; the API serves no static files, so whitenoise's warning is noise here
    server = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore:No directory at"})
    base = f"http://127.0.0.1:{port}"
    try:
        # any answer will do: 503 only says no pass ran
        wait_until_up(lambda: requests.get(f"{base}/healthz", timeout=5), "gunicorn", server)
        yield base
    finally:
        server.terminate()
        server.wait()


class Client(threading.local):
    """One keep-alive session per client thread (a ``requests.Session`` is not shared between threads)."""

    def session(self, token) -> requests.Session:
        if not hasattr(self, "opened"):
            self.opened = requests.Session()
            self.opened.trust_env = False  # no proxy for 127.0.0.1
            self.opened.headers.update({"Authorization": f"Token {token}", "Accept-Language": "en"})
        return self.opened


def drive(base, token, calls, clients, expected) -> tuple[list[float], float]:
    """Send ``calls`` ((method, path, body), …) from ``clients`` threads at once: latencies in ms, wall s."""
    local = Client()

    def send(call):
        method, path, body = call
        started = time.perf_counter()
        response = local.session(token).request(method, base + path, json=body, timeout=120)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == expected, (response.status_code, response.text[:300])
        return elapsed

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        latencies = list(pool.map(send, calls))
    return latencies, time.perf_counter() - started


def nearest_rank(values, share):
    values = sorted(values)
    return values[max(0, -(-len(values) * share // 100) - 1)]


def measure(name, base, token, calls, clients, expected, warm_up=50):
    """Warm up, then time ``calls``; one line of figures."""
    drive(base, token, calls[:warm_up], clients, expected)
    latencies, wall = drive(base, token, calls[warm_up:], clients, expected)
    print(
        f"{name}: {len(latencies)} requests, {clients} clients: p50 {nearest_rank(latencies, 50):.0f} ms, "
        f"p95 {nearest_rank(latencies, 95):.0f} ms, max {max(latencies):.0f} ms, {len(latencies) / wall:.0f} req/s",
        flush=True,
    )


def load(base, duty_token, subtree, clients, requests_per_endpoint, rng):
    """The duty officer's three calls: the list of open incidents, an incident, logging one."""
    total = requests_per_endpoint + 50
    department = Department.objects.get(code=DUTY_DEPARTMENT).pk
    listing = f"/api/v1/incidents/?department={department}&include_children=true&state=open"
    ids = list(Incident.objects.filter(department__in=subtree).values_list("pk", flat=True))
    detail = [("GET", f"/api/v1/incidents/{pk}/", None) for pk in rng.choices(ids, k=total)]
    now = timezone.now()
    severities = [severity for severity, percent in SEVERITIES for _ in range(percent)]
    create = [
        (
            "POST",
            "/api/v1/incidents/",
            {
                "title": f"压测事件 {i}",
                "severity": rng.choice(severities),
                "discovered_at": (now - timedelta(minutes=rng.randint(10, 360))).astimezone(BEIJING).isoformat(),
                "department": rng.choice(sorted(subtree)),
            },
        )
        for i in range(total)
    ]
    measure("list (open, department subtree)", base, duty_token, [("GET", listing, None)] * total, clients, 200)
    measure("detail", base, duty_token, detail, clients, 200)
    measure("create", base, duty_token, create, clients, 201)


def breaches_in_report(scope, now):
    """The report's list of breaches, as the view reads it (the first 101, with their notifications)."""
    return list(breaches(scope.obligations(), now)[:101])


class Statements:
    """Times every SQL statement run in the block (``connection.execute_wrapper``), slowest first."""

    def __init__(self):
        self.timed = []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.timed.append(((time.perf_counter() - started) * 1000, sql, params))

    def slowest(self, n):
        return sorted(self.timed, key=lambda row: -row[0])[:n]


def timed(runs, work) -> list[float]:
    """Seconds of each of ``runs`` calls of ``work``, after one untimed."""
    times = []
    for run in range(runs + 1):
        started = time.perf_counter()
        work()
        if run:
            times.append(time.perf_counter() - started)
    return times


def spread(times) -> str:
    return f"median {statistics.median(times):.2f} s of {len(times)}, each: {', '.join(f'{t:.2f}' for t in times)}"


def auditor_session(token) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # no proxy for 127.0.0.1
    session.headers["Authorization"] = f"Token {token}"
    return session


def answer(session, url) -> requests.Response:
    """The answer to a GET the benchmark times, which must be a 200."""
    response = session.get(url, timeout=300)
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return response


def report(base, auditor_token, year, runs, explain):
    """The compliance report for ``year`` over HTTP, then in-process, ``runs`` times each after a warm-up."""
    query = f"/api/v1/reports/compliance/?start={year}-01-01&end={year}-12-31"
    session = auditor_session(auditor_token)
    answers = []
    times = timed(runs, lambda: answers.append(answer(session, base + query)))
    response = answers[-1]
    body = response.json()
    print(
        f"compliance report {year} over HTTP ({body['incidents']} incidents, {len(response.content)} bytes): "
        f"{spread(times)}"
    )
    scope = ReportScope(date(year, 1, 1), date(year, 12, 31))
    times = timed(runs, lambda: compliance_report(scope, timezone.now()))
    print(f"compliance_report in-process, the incidents' aggregate beside the rest: {spread(times)}")
    statements = Statements()
    with connection.execute_wrapper(statements):  # on this connection alone, so that every statement is seen
        compliance_report(scope, timezone.now(), at_once=False)
    print(f"its {len(statements.timed)} statements one after the other on one connection, slowest first:")
    for ms, sql, _params in statements.slowest(len(statements.timed)):
        print(f"  {ms:7.0f} ms  {sql[:160]}…")
    times = timed(runs, lambda: breaches_in_report(scope, timezone.now()))
    print(f"breaches list (first 101) in-process: median {statistics.median(times):.2f} s of {runs}")
    if explain:
        for _ms, sql, params in statements.slowest(2):
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                print("\n".join(row[0] for row in cursor.fetchall()), "\n")
    return body


def government_reports(base, auditor_token, year, runs):
    """For one city and for the province: the year's compliance report and the ranking of the government's own
    departments, over HTTP and in-process."""
    session = auditor_session(auditor_token)
    start, end = date(year, 1, 1), date(year, 12, 31)
    for code in ("c1", "gov"):
        government = Department.objects.get(code=code)
        period = f"start={start}&end={end}"
        for name, path in [
            ("compliance report", f"/api/v1/reports/compliance/?{period}&department={government.pk}"),
            ("ranking", f"/api/v1/reports/ranking/?{period}&government={government.pk}"),
        ]:
            times = timed(runs, lambda path=path: answer(session, base + path))
            print(f"{name} {year} of {government.name} over HTTP: {spread(times)}", flush=True)
        scope = ReportScope(start, end, department_ids=scope_ids(government.pk))
        incidents = scope.incidents().count()
        times = timed(runs, lambda scope=scope: compliance_report(scope, timezone.now()))
        print(f"compliance_report of {government.name} in-process ({incidents} incidents): {spread(times)}")
        times = timed(runs, lambda government=government: ranking(government, start, end, timezone.now()))
        ranked = len(ranking(government, start, end, timezone.now()).standings)
        print(f"ranking of {government.name} in-process ({ranked} departments): {spread(times)}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=5_000_000 if PROVINCE else 1_000_000)
    parser.add_argument("--clients", default="1,8", help="concurrent client threads, one load run for each")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--requests", type=int, default=500, help="measured requests per endpoint")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of the compliance report")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the report's two slowest queries")
    parser.add_argument("--smoke", action="store_true", help="a tiny data set and a few requests, untimed")
    parser.add_argument("--province", action="store_true", help="a province of 100 governments, not a city")
    args = parser.parse_args()
    if args.smoke:
        args.incidents, args.clients, args.workers, args.requests, args.runs = 2_000, "1,2", 2, 10, 1

    print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the start")
    started = time.perf_counter()
    if prepare(args.incidents):
        seconds = generate(args.incidents)
        steps = ", ".join(f"{name} {s:.0f} s" for name, s in seconds.items())
        print(f"data set made in {time.perf_counter() - started:.0f} s ({steps})")
    else:
        print("data set already there")
    print("rows:", json.dumps(tables()))

    police = Department.objects.get(code=DUTY_DEPARTMENT)
    subtree = set(Department.objects.filter(parent=police).values_list("pk", flat=True)) | {police.pk}
    print(
        f"duty officer's subtree: {len(subtree)} departments, "
        f"{Incident.objects.filter(department__in=subtree).count()} incidents, "
        f"{Incident.objects.filter(department__in=subtree, state='open').count()} open"
    )
    duty_token = person("bench-duty-officer", police, Role.DUTY_OFFICER)
    auditor_token = person("bench-auditor", Department.objects.get(code="gov"), Role.AUDITOR)
    connection.close()  # gunicorn's workers have their own connections

    rng = random.Random(2026)
    print(f"gunicorn: {args.workers} workers, CONN_MAX_AGE={settings.DATABASES['default']['CONN_MAX_AGE']}")
    with gunicorn(args.workers) as base:
        for clients in map(int, args.clients.split(",")):
            load(base, duty_token, subtree, clients, args.requests, rng)
        if PROVINCE:
            government_reports(base, auditor_token, timezone.localdate().year - 1, args.runs)
        else:
            report(base, auditor_token, timezone.localdate().year - 1, args.runs, args.explain)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
