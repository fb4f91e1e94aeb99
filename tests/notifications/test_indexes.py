"""The tables enforcement passes and delivery write by the thousand keep no index that only repeats the start of
another: each index is one more entry written for every row (and, for obligations, for every update of a next
step), and one on a foreign key alone serves no lookup that a unique constraint or index beginning with that key
does not. Their migrations drop such indexes without dropping the keys' constraints, and can be undone."""

import pytest
from django.core.management import call_command
from django.db import connection, models

from incidents.models import IncidentReader, Obligation, TimelineEvent
from notifications.models import DeliveryAttempt, EscalationEntry, Notification

BUSY = [Notification, EscalationEntry, DeliveryAttempt, IncidentReader, Obligation, TimelineEvent]
# The keys whose own indexes migrations 0019 dropped (the timeline's incident lost its own in 0016).
DROPPED = [
    (Notification, "obligation"),
    (Notification, "recipient"),
    (EscalationEntry, "obligation"),
    (EscalationEntry, "recipient"),
    (DeliveryAttempt, "notification"),
    (IncidentReader, "person"),
    (Obligation, "instruction"),
]


def leading_columns(model) -> set[str]:
    """The first column of every unique constraint and index of ``model`` with more than one column that holds
    every row (a partial one serves only its own rows)."""
    declared = [*model._meta.constraints, *model._meta.indexes]
    whole = [item for item in declared if getattr(item, "condition", None) is None and len(item.fields) > 1]
    return {model._meta.get_field(item.fields[0].lstrip("-")).column for item in whole}


def indexed_alone(model) -> set[str]:
    """The columns of ``model`` that an index of one column, besides the primary key's, holds in the database."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {
        item["columns"][0]
        for item in found.values()
        if item["index"] and not item["primary_key"] and not item["unique"] and len(item["columns"]) == 1
    }


@pytest.mark.parametrize("model", BUSY, ids=lambda model: model.__name__)
def test_no_key_of_a_busy_table_is_indexed_alone_where_a_longer_index_begins_with_it(db, model):
    keys = {field.column for field in model._meta.fields if isinstance(field, models.ForeignKey) and field.db_index}
    assert not keys & leading_columns(model)
    assert not indexed_alone(model) & leading_columns(model)


@pytest.mark.django_db(transaction=True)
def test_the_migrations_drop_only_the_keys_indexes_and_can_be_undone():
    def keys_indexed_alone():
        return {(model, name) for model, name in DROPPED if model._meta.get_field(name).column in indexed_alone(model)}

    def schema():
        """Every index of the busy tables by table and name, and every foreign key with its column and target."""
        with connection.cursor() as cursor:
            found = {model: connection.introspection.get_constraints(cursor, model._meta.db_table) for model in BUSY}
        named = [(model._meta.db_table, name, item) for model, table in found.items() for name, item in table.items()]
        indexes = {(table, name) for table, name, item in named if item["index"]}
        keys = {
            (table, name, *item["columns"], item["foreign_key"]) for table, name, item in named if item["foreign_key"]
        }
        return indexes, keys

    indexes, keys = schema()
    assert keys_indexed_alone() == set()
    call_command("migrate", "incidents", "0018", verbosity=0)
    try:
        assert keys_indexed_alone() == set(DROPPED)
        undone_indexes, undone_keys = schema()
        assert undone_keys == keys
        assert len(undone_indexes - indexes) == len(DROPPED)
        assert indexes <= undone_indexes
    finally:
        call_command("migrate", verbosity=0)
    assert keys_indexed_alone() == set()
    assert schema() == (indexes, keys)
