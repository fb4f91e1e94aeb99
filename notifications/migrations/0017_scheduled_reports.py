"""Scheduled reports: who receives each government's 日报, 周报 and 月报, and the record of each one sent, unique
per government, kind and period (docs/rules.md, "Assessment (考核) and audit trust")."""

import datetime

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0015_work_messages"),  # departments and people, which the reports name
        ("notifications", "0016_scoring_rule"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="ReportSubscription",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("daily", models.BooleanField(default=True, verbose_name="daily report (日报)")),
                ("weekly", models.BooleanField(default=True, verbose_name="weekly report (周报)")),
                ("monthly", models.BooleanField(default=True, verbose_name="monthly report (月报)")),
                (
                    "send_at",
                    models.TimeField(
                        default=datetime.time(8, 0),
                        help_text="The 日报 each morning, the 周报 on Mondays and the 月报 on the 1st, at this time.",
                        verbose_name="sent at (Beijing time)",
                    ),
                ),
                (
                    "addresses",
                    models.TextField(
                        blank=True,
                        help_text="One address per line, for mailboxes that are not people.",
                        verbose_name="other email addresses",
                    ),
                ),
                (
                    "robot_summary",
                    models.BooleanField(
                        default=True,
                        help_text="Its office (the supervising office) gets a short summary by its group robot.",
                        verbose_name="summary to the government office's group robot",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="created at"),
                ),
                (
                    "government",
                    models.OneToOneField(
                        limit_choices_to={"is_government": True},
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="report_subscription",
                        to="incidents.department",
                        verbose_name="government",
                    ),
                ),
                (
                    "people",
                    models.ManyToManyField(
                        blank=True,
                        related_name="report_subscriptions",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="people who receive it by email",
                    ),
                ),
            ],
            options={
                "verbose_name": "report subscription",
                "verbose_name_plural": "report subscriptions",
                "ordering": ["government__code"],
            },
        ),
        migrations.CreateModel(
            name="SentReport",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("daily", "Daily report (日报)"),
                            ("weekly", "Weekly report (周报)"),
                            ("monthly", "Monthly report (月报)"),
                        ],
                        max_length=10,
                        verbose_name="kind",
                    ),
                ),
                ("period_start", models.DateField(verbose_name="period from")),
                ("period_end", models.DateField(verbose_name="period to")),
                ("claimed_at", models.DateTimeField(verbose_name="claimed at")),
                (
                    "state",
                    models.CharField(
                        choices=[("sending", "Being sent"), ("finished", "Finished"), ("given_up", "Given up")],
                        default="sending",
                        max_length=10,
                        verbose_name="state",
                    ),
                ),
                ("available_at", models.DateTimeField(verbose_name="to be taken up again at")),
                ("attempts", models.PositiveSmallIntegerField(default=0, verbose_name="failed attempts")),
                ("finished_at", models.DateTimeField(blank=True, null=True, verbose_name="finished at")),
                (
                    "email_status",
                    models.CharField(
                        choices=[
                            ("pending", "Not sent yet"),
                            ("sending", "Being sent"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("skipped", "Skipped"),
                            ("unknown", "Outcome unknown"),
                            ("not_asked", "Not asked for"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="email",
                    ),
                ),
                ("email_to", models.JSONField(blank=True, default=list, verbose_name="sent by email to")),
                ("email_error", models.TextField(blank=True, verbose_name="email error")),
                (
                    "robot_status",
                    models.CharField(
                        choices=[
                            ("pending", "Not sent yet"),
                            ("sending", "Being sent"),
                            ("sent", "Sent"),
                            ("failed", "Failed"),
                            ("skipped", "Skipped"),
                            ("unknown", "Outcome unknown"),
                            ("not_asked", "Not asked for"),
                        ],
                        default="pending",
                        max_length=10,
                        verbose_name="group robot",
                    ),
                ),
                ("robot_error", models.TextField(blank=True, verbose_name="group robot error")),
                ("robot_answer", models.TextField(blank=True, verbose_name="group robot's answer")),
                (
                    "government",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="sent_reports",
                        to="incidents.department",
                        verbose_name="government",
                    ),
                ),
            ],
            options={
                "verbose_name": "sent report",
                "verbose_name_plural": "sent reports",
                "ordering": ["-period_start", "kind", "government"],
                "constraints": [
                    models.UniqueConstraint(fields=("government", "kind", "period_start"), name="one_report_per_period")
                ],
            },
        ),
    ]
