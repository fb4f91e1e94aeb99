"""A channel's code in words on the pages ("sms" → 短信), as the timeline says it."""

from django import template

from ..timeline_text import channel_label

register = template.Library()


@register.filter
def channel_name(code) -> str:
    return channel_label(code) if code else ""


@register.filter
def channel_names(codes) -> list[str]:
    return [channel_label(code) for code in codes or ()]
