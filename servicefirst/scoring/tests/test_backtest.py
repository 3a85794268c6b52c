import json
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from servicefirst.scoring import metrics

UCI = Path(settings.DATASETS_DIR) / "bank-marketing" / "bank-additional-train.csv"
DATA = Path(__file__).parent / "data" / "bank-additional-first3000.csv"


def run(*args) -> str:
    out = StringIO()
    call_command("insights", "backtest", *args, stdout=out)
    return out.getvalue()


def check_shape(result: dict, blocks: int, rows: int) -> None:
    assert set(result) == {"overall", "blocks"}
    assert len(result["blocks"]) == blocks
    assert sum(b["rows"] for b in result["blocks"]) == rows
    for part in [result["overall"], *result["blocks"]]:
        for name in ("model", "baseline"):
            assert set(part[name]) == {"auc", "alift", "capture_at_half"}
            assert 0.3 < part[name]["auc"] < 1
            assert 0.3 < part[name]["alift"] < 1
            assert 0 <= part[name]["capture_at_half"] <= 1


def test_backtest_json_on_a_small_split_file():
    result = json.loads(run("--history", str(DATA), "--split-at", "2000", "--json"))
    check_shape(result, blocks=1, rows=1000)  # the first 3,000 rows are all May 2008
    for b in result["blocks"]:
        assert set(b) == {"rows", "model", "baseline"}


def test_backtest_with_two_files_and_month_blocks(tmp_path):
    lines = DATA.read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    history, replay = tmp_path / "history.csv", tmp_path / "replay.csv"
    history.write_text(header + "".join(rows[:2000]), encoding="utf-8")
    june = [r.replace('"may"', '"jun"') for r in rows[2500:]]
    replay.write_text(header + "".join(rows[2000:2500] + june), encoding="utf-8")
    result = json.loads(run("--history", str(history), "--replay", str(replay), "--json"))
    check_shape(result, blocks=2, rows=1000)
    assert [b["rows"] for b in result["blocks"]] == [500, 500]
    text = run("--history", str(history), "--replay", str(replay))
    assert "overall" in text
    assert "may" in text
    assert "jun" in text


def test_backtest_errors_name_the_problem(tmp_path):
    with pytest.raises(CommandError, match="--replay"):
        run("--history", str(DATA))
    with pytest.raises(CommandError, match="split-at"):
        run("--history", str(DATA), "--split-at", "999999")
    with pytest.raises(CommandError):
        run("--history", str(tmp_path / "missing.csv"), "--split-at", "10")


def test_metrics_by_hand():
    y = [1, 0, 1, 0]
    perfect = [0.9, 0.1, 0.8, 0.2]
    assert metrics.auc(y, perfect) == 1.0
    assert metrics.capture_at_half(y, perfect) == 1.0
    # Gains curve 0, .5, 1, 1, 1 over x = 0, .25, .5, .75, 1 → area 0.75 = 1 − p/2.
    assert metrics.alift(y, perfect) == pytest.approx(0.75)
    assert metrics.alift(y, [0.1, 0.9, 0.2, 0.8]) == pytest.approx(0.25)
    assert metrics.auc([0, 0], [0.1, 0.2]) is None


@pytest.mark.skipif(not UCI.exists(), reason="the shared data set is not here")
def test_fixture_is_the_start_of_the_uci_file():
    with UCI.open(encoding="utf-8", newline="") as f:
        first = [next(f) for _ in range(3001)]
    assert DATA.read_text(encoding="utf-8").splitlines() == [x.rstrip("\r\n") for x in first]
