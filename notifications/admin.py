from django.contrib import admin

from .models import EnforcementRun


@admin.register(EnforcementRun)
class EnforcementRunAdmin(admin.ModelAdmin):
    list_display = ["name", "last_started_at", "last_finished_at", "last_summary"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
