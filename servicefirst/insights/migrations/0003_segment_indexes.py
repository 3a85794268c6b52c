"""Indexes that let segment previews count a million customers in well under a second.

They sit on the customer database's tables but serve only insight's queries, so they live
here: a narrow covering index over the columns segments filter on most (counted with an
index-only scan instead of reading the whole wide customer table), and the open consents by
kind (the semi-join of "has consented to ...")."""

from django.db import migrations

INDEXES = {
    "insights_customer_segment": (
        "customers_customer",
        "(lifecycle, value_tier, home_branch_id, gender, do_not_call, birth_date)",
        " INCLUDE (id)",
        "merged_into_id IS NULL",
    ),
    "insights_open_consent": (
        "customers_consent",
        "(kind, customer_id)",
        "",
        "withdrawn_at IS NULL",
    ),
}


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, (table, columns, include, where) in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} {columns}"
            f"{include if postgres else ''} WHERE {where}"
        )


def drop(apps, schema_editor):
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("insights", "0002_default_rules"), ("customers", "0002_postgres_search_indexes")]
    operations = [migrations.RunPython(create, drop)]
