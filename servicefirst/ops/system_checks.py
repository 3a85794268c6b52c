"""`servicefirst check --deploy`: the metrics directory, when one is set, must be usable."""

import os

from django.conf import settings
from django.core.checks import Warning, register


@register("ops", deploy=True)
def metrics_directory(app_configs, **kwargs):
    path = settings.PROMETHEUS_MULTIPROC_DIR
    if not path or (os.path.isdir(path) and os.access(path, os.W_OK)):
        return []
    return [
        Warning(
            "PROMETHEUS_MULTIPROC_DIR is not a writable directory.",
            hint="Create it empty before the web server starts (the systemd unit's "
            "RuntimeDirectory does), or unset it when the server runs one worker.",
            id="ops.W001",
        )
    ]
