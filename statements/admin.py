"""The admin of statements: each government's review gates, holding templates and flagged phrases are
configured here; drafts, their versions, gate decisions, publications and reports to leaders are the
record, shown and never edited (they change only through the services, with their timeline events)."""

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from opinion_tracker.lib.admin import ReadOnlyAdmin, ReadOnlyInline, TrackerAdmin

from .models import (
    Bulletin,
    BulletinCopy,
    Draft,
    DraftVersion,
    FlaggedPhrase,
    GateDecision,
    HoldingTemplate,
    Publication,
    ReviewPolicy,
)

GOVERNMENT_FILTER = ("government", admin.EmptyFieldListFilter)


class ReviewPolicyForm(forms.ModelForm):
    """The gates as codes in order, separated by commas; the model's ``clean`` judges them."""

    gates = forms.CharField(
        label=_("review gates"),
        required=False,
        help_text=_("Gate codes in order, separated by commas: policy, wording, secrecy, legal."),
    )

    class Meta:
        model = ReviewPolicy
        fields = ["government", "gates", "authors_may_review"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.initial.get("gates"), list):
            self.initial["gates"] = ", ".join(self.initial["gates"])

    def clean_gates(self):
        return [code.strip() for code in self.cleaned_data["gates"].replace("，", ",").split(",") if code.strip()]


@admin.register(ReviewPolicy)
class ReviewPolicyAdmin(TrackerAdmin):
    """A policy edited during a review leaves running drafts alone: each draft keeps the gates it began with."""

    form = ReviewPolicyForm
    list_display = ["__str__", "gates", "authors_may_review"]
    list_filter = [GOVERNMENT_FILTER]
    autocomplete_fields = ["government"]


@admin.register(HoldingTemplate)
class HoldingTemplateAdmin(TrackerAdmin):
    list_display = ["name", "government", "enabled"]
    list_filter = ["enabled", GOVERNMENT_FILTER]
    search_fields = ["name", "text"]
    autocomplete_fields = ["government"]


@admin.register(FlaggedPhrase)
class FlaggedPhraseAdmin(TrackerAdmin):
    list_display = ["phrase", "reason", "government", "enabled"]
    list_filter = ["enabled", GOVERNMENT_FILTER]
    search_fields = ["phrase", "reason"]
    autocomplete_fields = ["government"]


@admin.display(description=_("flagged phrases"))
def flag_lines(version):
    return format_html_join(mark_safe("<br>"), "{}：{}", ((f["phrase"], f["reason"]) for f in version.flags)) or "-"


class VersionInline(ReadOnlyInline):
    model = DraftVersion
    fields = ["number", "sha256", "created_by", "created_at", "signed_off_by", "signed_off_at", "gates_skipped"]
    readonly_fields = fields


class DecisionInline(ReadOnlyInline):
    model = GateDecision
    fields = ["gate", "decision", "comment", "decided_by", "decided_at"]
    readonly_fields = fields
    show_change_link = False


class PublicationInline(ReadOnlyInline):
    model = Publication
    fields = ["version", "action"]
    readonly_fields = fields
    fk_name = "draft"


@admin.register(Draft)
class DraftAdmin(ReadOnlyAdmin):
    list_display = ["incident", "kind", "state", "created_by", "created_at", "first_signed_off_at", "skipped_gates"]
    list_filter = ["state", "kind", "skipped_gates"]
    list_select_related = ["incident", "created_by"]
    search_fields = ["incident__title"]
    date_hierarchy = "created_at"
    inlines = [VersionInline, PublicationInline]


@admin.register(DraftVersion)
class DraftVersionAdmin(ReadOnlyAdmin):
    list_display = ["draft", "number", "created_by", "created_at", "signed_off_by", "signed_off_at"]
    list_select_related = ["draft__incident", "created_by", "signed_off_by"]
    search_fields = ["draft__incident__title", "text", "sha256"]
    fields = [
        "draft",
        "number",
        "text",
        "sha256",
        flag_lines,
        "created_by",
        "created_at",
        "signed_off_by",
        "signed_off_at",
        "flags_acknowledged",
        "gates_skipped",
    ]
    readonly_fields = fields
    inlines = [DecisionInline]


@admin.register(GateDecision)
class GateDecisionAdmin(ReadOnlyAdmin):
    list_display = ["version", "gate", "decision", "decided_by", "decided_at"]
    list_filter = ["gate", "decision"]
    list_select_related = ["version__draft__incident", "decided_by"]
    search_fields = ["version__draft__incident__title", "comment"]


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["draft", "version", "action"]
    list_select_related = ["draft__incident", "version__draft__incident", "action"]


@admin.display(description=_("documents"))
def document_links(bulletin):
    """Served by the tracker to those who may read the incident; never from /media/."""
    return format_html_join(
        " ",
        '<a href="{}">{}</a>',
        ((reverse("web:bulletin_document", args=[bulletin.pk, kind]), kind.upper()) for kind in ("docx", "pdf")),
    )


class CopyInline(ReadOnlyInline):
    model = BulletinCopy
    fields = ["recipient", "email", "email_error", "read_at"]
    readonly_fields = fields
    show_change_link = False


@admin.register(Bulletin)
class BulletinAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "incident", "follow_up", "sent_by", "sent_at"]
    list_filter = ["follow_up", "year"]
    list_select_related = ["government", "incident", "sent_by"]
    search_fields = ["incident__title"]
    fields = ["government", "year", "number", "incident", "follow_up", "action", document_links, "sent_by", "sent_at"]
    readonly_fields = fields
    inlines = [CopyInline]


@admin.register(BulletinCopy)
class BulletinCopyAdmin(ReadOnlyAdmin):
    list_display = ["bulletin", "recipient", "email", "read_at"]
    list_filter = ["email"]
    list_select_related = ["bulletin__government", "recipient"]
