from django.db import migrations


def seed(apps, schema_editor):
    from servicefirst.floor.defaults import ensure_services

    ensure_services(apps.get_model("floor", "Service"))


class Migration(migrations.Migration):
    dependencies = [("floor", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
