from __future__ import annotations

from load_tests.speech_audio import corpus_wer, wer
from speech.recogniser import trim_repeat


def test_wer_counts_substitutions_insertions_and_deletions() -> None:
    assert wer("the quick brown fox", "The quick, brown fox!") == 0
    assert wer("the quick brown fox", "the quick fox") == 0.25
    assert wer("the quick brown fox", "a quick brown red fox") == 0.5
    assert wer("one two", "") == 1
    assert wer("come back in ten minutes", "Come back in 10 minutes.") == 0


def test_corpus_wer_weighs_by_words() -> None:
    assert corpus_wer([("a b c d", "a b c d"), ("e f", "e x")]) == 1 / 6


def test_a_hypothesis_that_starts_over_keeps_its_first_pass() -> None:
    once = "Captions help everyone follow the conversation in a noisy room."
    assert trim_repeat(once + " Captions help everyone follow the") == once
    assert trim_repeat(once) == once
    assert trim_repeat("no no no no") == "no no no no"
