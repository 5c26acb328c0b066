"""The load script's burst schedule and table (deploy/load.py); the figures themselves come
from running it (make bench-load), not from tests."""

from deploy.load import Row, _percentile, print_table, wave_times


def test_the_burst_sends_a_wave_as_the_round_closes_and_one_after_it():
    # 200 participants, 50 at once, over 60 s, the round closing at 50 s.
    times = wave_times(4, 60, 50)
    assert times[0] == 0
    assert times[-2] < 50 < times[-1] == 60
    assert times == sorted(times)


def test_a_single_wave_goes_at_the_start():
    assert wave_times(1, 60, 50) == [0]


def test_p95_of_twenty_answers_is_the_nineteenth():
    assert _percentile([float(n) for n in range(1, 21)], 95) == 19
    assert _percentile([5.0], 95) == 5


def test_the_table_says_pass_or_fail_per_check(capsys):
    print_table(
        [
            Row("draft page", "p95 40 ms", "p95 5 ms", "p95 <= 50 ms", True),
            Row("theme board", "p95 900 ms", "p95 5 ms", "p95 <= 300 ms", False),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(" | ")[-1].strip() == "PASS/FAIL"
    assert lines[2].startswith("draft page") and lines[2].rstrip().endswith("PASS")
    assert lines[3].startswith("theme board") and lines[3].rstrip().endswith("FAIL")
