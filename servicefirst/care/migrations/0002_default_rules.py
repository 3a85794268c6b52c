from django.db import migrations


def seed(apps, schema_editor):
    from servicefirst.care.defaults import ensure_rules

    ensure_rules(apps.get_model("care", "CarePromptRule"))


class Migration(migrations.Migration):
    dependencies = [("care", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
