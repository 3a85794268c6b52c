"""deploy/ runs what exists: every command in the Procfile and the systemd units is a real
management command (or the real ASGI application), and the environment example lists every
variable the settings read."""

import configparser
import importlib
import re
import shlex
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands

DEPLOY = Path(settings.BASE_DIR) / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))


def procfile_commands() -> dict[str, list[str]]:
    out = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _sep, command = line.partition(":")
            out[f"Procfile {name.strip()}"] = shlex.split(command)
    return out


def unit_commands() -> dict[str, list[str]]:
    out = {}
    for path in UNITS:
        unit = configparser.ConfigParser(strict=False, interpolation=None)
        unit.optionxform = str  # systemd keys are case-sensitive
        unit.read(path)
        for key in ("ExecStartPre", "ExecStart", "ExecStartPost", "ExecStop"):
            if unit.has_option("Service", key):
                out[f"{path.name} {key}"] = shlex.split(unit.get("Service", key))
    return out


ALL_COMMANDS = {**procfile_commands(), **unit_commands()}


def test_deploy_runs_every_process():
    subcommands = {
        argv[1]
        for argv in ALL_COMMANDS.values()
        if Path(argv[0]).name == "servicefirst" and len(argv) > 1
    }
    assert {"migrate", "db_worker", "scheduler", "dialer", "commitments_engine"} <= subcommands
    assert {path.name for path in UNITS} >= {
        "servicefirst-web.service",
        "servicefirst-worker@.service",
        "servicefirst-scheduler.service",
        "servicefirst-dialer.service",
        "servicefirst-commitments.service",
    }


@pytest.mark.parametrize("where", sorted(ALL_COMMANDS))
def test_each_command_exists(where):
    argv = ALL_COMMANDS[where]
    program = Path(argv[0]).name
    if program == "servicefirst":
        assert argv[1] in get_commands(), f"{where}: no management command {argv[1]!r}"
    elif program == "uvicorn":
        module, _sep, attribute = argv[1].partition(":")
        assert getattr(importlib.import_module(module), attribute), f"{where}: {argv[1]}"
    else:
        pytest.fail(f"{where}: runs {program}, neither servicefirst nor uvicorn")


def test_units_read_the_environment_file_and_restart():
    for path in UNITS:
        text = path.read_text()
        assert "EnvironmentFile=/etc/servicefirst/servicefirst.env" in text, path.name
        assert "User=servicefirst" in text, path.name
        if "Type=oneshot" not in text:
            assert "Restart=always" in text, path.name


def test_environment_example_lists_every_variable_the_settings_read():
    source = (Path(settings.BASE_DIR) / "config" / "settings.py").read_text()
    read = set(
        re.findall(
            r"""(?:os\.environ\.get|os\.environ\[|env_bool|env_list|env_int)\(?\s*["']([A-Z][A-Z0-9_]*)["']""",
            source,
        )
    )
    example = (DEPLOY / "servicefirst.env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert read, "the settings read no variable?"
    assert read - listed == set(), "add these to deploy/servicefirst.env.example"
