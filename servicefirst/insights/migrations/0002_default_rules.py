"""The bank's default classification rules (editable on the rules page)."""

from django.db import migrations


def seed(apps, schema_editor):
    from servicefirst.insights.defaults import seed as seed_rules

    seed_rules(apps.get_model("insights", "ClassificationRule"))


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
