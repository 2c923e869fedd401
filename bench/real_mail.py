"""Section 7: the classifier on labelled real mail (`tests/inbound/real_mail`), beside the
figures it reached before its recognizers were rebuilt and the goals it is held to.

`measure` is also what `tests/inbound/test_real_mail.py` asserts on, so the test and the
benchmark can never disagree about what a figure means."""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.report import Row, median, percentile, table
from service.inbound.classify import parse

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "inbound" / "real_mail"
HARMFUL = ("bounce", "auto_reply")  # a machine's message taken for a person's reply

# The same corpus under the classifier as it stood before (one module, keyword lists).
BEFORE = {
    "bounce recall": 0.972,
    "auto_reply recall": 0.673,
    "reply recall": 1.0,
    "harmful confusions": 26 / 672,
    "failed recipient right": 0.956,
}
GOAL = {
    "bounce recall": ">= 99%",
    "auto_reply recall": ">= 97%",
    "reply recall": ">= 99%",
    "harmful confusions": "<= 0.3%",
    "failed recipient right": ">= 97%",
}


@dataclass
class Quality:
    total: int = 0
    by_label: dict[str, Counter[str]] = field(default_factory=dict)
    harmful: list[str] = field(default_factory=list)  # paths, with their kind
    recipients_right: list[str] = field(default_factory=list)
    recipients_wrong: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # classification time per message

    def recall(self, label: str) -> float:
        counts = self.by_label.get(label, Counter())
        return counts[label] / max(1, sum(counts.values()))

    @property
    def recipient_share(self) -> float:
        known = len(self.recipients_right) + len(self.recipients_wrong)
        return len(self.recipients_right) / max(1, known)

    def figures(self) -> dict[str, float]:
        return {
            "bounce recall": self.recall("bounce"),
            "auto_reply recall": self.recall("auto_reply"),
            "reply recall": self.recall("reply"),
            "harmful confusions": len(self.harmful) / max(1, self.total),
            "failed recipient right": self.recipient_share,
        }


def measure(corpus: Path = CORPUS) -> Quality:
    """Classify every labelled message; a bounce's recipient counts as right when every
    labelled failed recipient is among those it names."""
    entries = json.loads((corpus / "labels.json").read_text())["messages"]
    quality = Quality()
    for entry in entries:
        raw = (corpus / entry["path"]).read_bytes()
        started = time.perf_counter()
        mail = parse(raw)
        quality.seconds.append(time.perf_counter() - started)
        label, got = entry["label"], mail.detected.value
        quality.total += 1
        quality.by_label.setdefault(label, Counter())[got] += 1
        if label in HARMFUL and got == "reply":
            quality.harmful.append(f"{entry['path']} ({entry.get('kind')})")
        if label == "bounce" and got == "bounce" and entry.get("recipients"):
            right = set(entry["recipients"]) <= set(mail.bounced_recipients)
            (quality.recipients_right if right else quality.recipients_wrong).append(entry["path"])
    return quality


def run(corpus: Path = CORPUS) -> None:
    quality = measure(corpus)
    rows: list[Row] = []
    for name, figure in quality.figures().items():
        rows.append(
            Row(name, figure * 100, "%", f"{BEFORE[name] * 100:.1f}%", f"goal {GOAL[name]}")
        )
    ms = [s * 1000 for s in quality.seconds]
    rows.append(Row("classification time, p50", median(ms), "ms"))
    rows.append(Row("classification time, p99", percentile(ms, 99), "ms", note="goal <= 20 ms"))
    rows.append(Row("classification time, slowest", max(ms), "ms", note="goal <= 200 ms"))
    rows.append(Row(f"{quality.total} labelled real messages", None, ""))
    table("7. The classifier on labelled real mail", rows, ratio_header="before")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.real_mail", description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS, help="a folder with labels.json")
    run(parser.parse_args().corpus)
