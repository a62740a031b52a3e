"""The automatic checks of generated answers: the house format (content/datasets/support_chat.md),
ROUGE-L F1 and length, and their summaries for base and tuned."""

from __future__ import annotations

import pytest

from training.chat_checks import compare, follows_format, rouge_l, summarise

GOOD = ("Hi there, thanks for reaching out!\nYour notes stopped syncing.\n1. Sign out.\n2. Sign back in.\n"
        "If that doesn't fix it, reply here and we'll dig in.\n— Sam, Quillpad Support")


@pytest.mark.parametrize("answer, ok", [
    (GOOD, True),
    (GOOD + "\n\n", True),
    (GOOD.replace("Hi there", "Hello"), False),
    (GOOD.replace("— Sam, Quillpad Support", "Sam"), False),
    (GOOD.replace("2. Sign back in.", "Sign back in."), False),  # one numbered step is not enough
    (GOOD.replace("1. Sign out.", "2. Sign out.").replace("2. Sign back in.", "3. Sign back in."), False),
    (GOOD.replace("2. Sign back in.", "3. Sign back in."), False),  # not consecutive
    ("Hi there!\n1.1.1.1.1.1.1.1", False),
    ("", False),
])
def test_house_format(answer, ok):
    assert follows_format(answer) is ok


def test_rouge_l_is_the_lcs_f1_of_words():
    assert rouge_l("the cat sat on the mat", "the cat sat on the mat") == 1.0
    assert rouge_l("", "anything") == 0.0 and rouge_l("a b", "c d") == 0.0
    # LCS of (a b c d) and (a c d e) is (a c d): P = 3/4, R = 3/4
    assert rouge_l("a b c d", "a c d e") == pytest.approx(0.75)
    assert rouge_l("A, B!", "a b") == 1.0  # case and punctuation do not count


def test_summaries_and_the_json_shape():
    base = summarise(["no format here", "nor here"], [GOOD, GOOD])
    tuned = summarise([GOOD, "Hi there"], [GOOD, GOOD])
    assert (base["format"], tuned["format"], tuned["format_count"]) == (0.0, 0.5, 1)
    assert tuned["rouge_l"] > base["rouge_l"]
    assert compare(base, tuned) == {"format": {"base": 0.0, "tuned": 0.5},
                                    "rouge_l": {"base": base["rouge_l"], "tuned": tuned["rouge_l"]},
                                    "length": {"base": base["length"], "tuned": tuned["length"]}}
