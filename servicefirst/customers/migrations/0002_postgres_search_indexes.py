"""PostgreSQL-only indexes for customer search: pattern_ops btrees answer `LIKE 'prefix%'`,
pg_trgm GIN indexes answer substring matches. SQLite uses the plain btrees (prefix as a range)."""

from django.db import migrations

INDEXES = [
    "CREATE INDEX IF NOT EXISTS cust_name_zh_like ON customers_customer (name_zh varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS cust_pinyin_like ON customers_customer (pinyin_full varchar_pattern_ops)",
    "CREATE INDEX IF NOT EXISTS cust_initials_like ON customers_customer (pinyin_initials varchar_pattern_ops, pinyin_full)",
    "CREATE INDEX IF NOT EXISTS cust_name_zh_trgm ON customers_customer USING gin (name_zh gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS cust_name_latin_trgm ON customers_customer USING gin (UPPER(name_latin) gin_trgm_ops)",
]
DROP = ["cust_name_zh_like", "cust_pinyin_like", "cust_initials_like", "cust_name_zh_trgm", "cust_name_latin_trgm"]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for sql in INDEXES:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in DROP:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
