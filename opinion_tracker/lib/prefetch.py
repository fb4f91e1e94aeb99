"""Related objects read in advance into plain lists, for pages that show many rows with theirs."""

from django.db.models import Prefetch


def read_ahead(relation: str, queryset=None) -> Prefetch:
    """``relation`` read in advance into the list ``read_<relation>`` (see ``read``).

    A plain prefetch builds a related manager and a queryset for every row it fills, about 70 µs each: for a page of
    50 incidents with their 170 obligations that was most of the page's time. Into a list it builds none.
    ``queryset`` may narrow the columns or add joins, not change the rows or their order: ``read`` falls back on
    the relation as it is.
    """
    return Prefetch(relation, queryset=queryset, to_attr=f"read_{relation}")


def read(instance, relation: str) -> list:
    """The objects of ``relation`` as ``read_ahead`` left them on ``instance``, else read now.

    Unlike Django's own prefetch cache, the list is not emptied by a write through the relation (``add``, ``set``):
    an instance changed since it was read is read again before it is shown, as the API's views do.
    """
    found = getattr(instance, f"read_{relation}", None)
    return found if found is not None else list(getattr(instance, relation).all())
