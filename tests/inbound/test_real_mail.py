"""The classifier on real mail written by real mail systems and clients (the labelled corpus in
`real_mail/`): recall per label, the confusions that cost a candidate a call, and the failed
recipient of bounces, never worse than the figures recorded here."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

from service.inbound.classify import parse

CORPUS = Path(__file__).parent / "real_mail"

# The figures reached; a change that makes any of them worse fails here.
MIN_RECALL = {"bounce": 0.998, "auto_reply": 0.71, "reply": 1.0}
MAX_HARMFUL = 14  # bounces and auto-replies taken for a person's reply
MIN_RECIPIENTS_RIGHT = 0.99  # of the bounces whose failed recipient is known


@dataclass
class Figures:
    total: int = 0
    by_label: dict[str, Counter[str]] = field(default_factory=dict)
    harmful: list[str] = field(default_factory=list)
    recipients_known: int = 0
    recipients_right: list[str] = field(default_factory=list)
    recipients_wrong: list[str] = field(default_factory=list)

    def recall(self, label: str) -> float:
        counts = self.by_label.get(label, Counter())
        return counts[label] / max(1, sum(counts.values()))


@cache
def figures() -> Figures:
    entries = json.loads((CORPUS / "labels.json").read_text())["messages"]
    result = Figures()
    for entry in entries:
        mail = parse((CORPUS / entry["path"]).read_bytes())
        label, got = entry["label"], mail.detected.value
        result.total += 1
        result.by_label.setdefault(label, Counter())[got] += 1
        if label in ("bounce", "auto_reply") and got == "reply":
            result.harmful.append(f"{entry['path']} ({entry.get('kind')})")
        if label == "bounce" and got == "bounce" and entry.get("recipients"):
            result.recipients_known += 1
            right = set(entry["recipients"]) <= set(mail.bounced_recipients)
            (result.recipients_right if right else result.recipients_wrong).append(entry["path"])
    return result


def test_the_whole_corpus_is_read() -> None:
    assert figures().total == 672


@pytest.mark.parametrize("label", sorted(MIN_RECALL))
def test_recall_per_label_holds(label: str) -> None:
    found = figures()
    counts = dict(found.by_label[label])
    print(f"{label}: recall {found.recall(label):.3f} over {sum(counts.values())} ({counts})")
    assert found.recall(label) >= MIN_RECALL[label], counts


def test_machines_are_not_taken_for_people() -> None:
    harmful = figures().harmful
    print(f"harmful confusions: {len(harmful)} of {figures().total}: {harmful}")
    assert len(harmful) <= MAX_HARMFUL, harmful


def test_a_bounce_names_the_recipient_it_failed_for() -> None:
    found = figures()
    share = len(found.recipients_right) / found.recipients_known
    print(f"failed recipient right in {share:.3f} of {found.recipients_known} bounces")
    assert share >= MIN_RECIPIENTS_RIGHT, found.recipients_wrong
