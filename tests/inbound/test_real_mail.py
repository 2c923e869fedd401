"""The classifier on real mail written by real mail systems and clients (the labelled corpus in
`real_mail/`): recall per label, the confusions that cost a candidate a call, and the failed
recipient of bounces, never worse than the figures recorded here (`make bench` prints them
beside the goals)."""

from __future__ import annotations

from functools import cache

import pytest

from bench.real_mail import Quality, measure

# The figures reached; a change that makes any of them worse fails here.
MIN_RECALL = {"bounce": 0.998, "auto_reply": 1.0, "reply": 1.0}
MAX_HARMFUL = 0  # bounces and auto-replies taken for a person's reply
MIN_RECIPIENTS_RIGHT = 0.99  # of the bounces whose failed recipient is known


@cache
def quality() -> Quality:
    return measure()


def test_the_whole_corpus_is_read() -> None:
    assert quality().total == 672


@pytest.mark.parametrize("label", sorted(MIN_RECALL))
def test_recall_per_label_holds(label: str) -> None:
    counts = dict(quality().by_label[label])
    print(f"{label}: recall {quality().recall(label):.3f} over {sum(counts.values())} ({counts})")
    assert quality().recall(label) >= MIN_RECALL[label], counts


def test_machines_are_not_taken_for_people() -> None:
    harmful = quality().harmful
    print(f"harmful confusions: {len(harmful)} of {quality().total}: {harmful}")
    assert len(harmful) <= MAX_HARMFUL, harmful


def test_a_bounce_names_the_recipient_it_failed_for() -> None:
    share = quality().recipient_share
    print(f"failed recipient right in {share:.3f} of the bounces whose recipient is known")
    assert share >= MIN_RECIPIENTS_RIGHT, quality().recipients_wrong
