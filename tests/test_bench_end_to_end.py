"""`make bench`'s end-to-end section runs the real `decline serve` and counts every message
at the sink: a short run proves the measurement itself (not a speed, which tests never
assert)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.end_to_end import cpu_seconds, run
from bench.sink import SinkProcess


def test_the_server_cpu_time_is_read_from_proc() -> None:
    spent = cpu_seconds(os.getpid())
    sum(i * i for i in range(300_000))
    assert cpu_seconds(os.getpid()) > spent


def test_a_short_end_to_end_run_delivers_every_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with SinkProcess() as sink:
        run(sink, tmp_path, declines=4, clients=2)
    printed = capsys.readouterr().out
    assert "12/12 at the sink" in printed
    assert "server CPU per decline of 3 contacts" in printed
