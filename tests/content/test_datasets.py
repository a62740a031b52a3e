"""Quality checks for the course's sample data sets in content/datasets/.

The sets are meant to teach fine-tuning, so they must be clean (right header, known labels, no empty
or duplicate rows), balanced enough to train on (the product warns under 50 rows a class), honest
about themselves (data card counts match the CSV), and varied: a set made by pasting one sentence
template with nouns swapped must fail here, which `test_checks_catch_a_noun_swapped_template` proves.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from itertools import combinations
from pathlib import Path

import pytest

DATASETS_DIR = Path(__file__).resolve().parents[2] / "content" / "datasets"
MIN_ROWS_PER_CLASS = 50
NEAR_DUPLICATE_JACCARD = 0.8
MAX_NEAR_DUPLICATE_ROW_SHARE = 0.05
MAX_SHARED_FRAME_SHARE = 0.04
MIN_SHORT_AND_LONG_SHARE = 0.03
SHINGLE_SIZE = 5

SPECS = {
    "support_tickets": {
        "header": ["text", "category"],
        "labels": {"billing", "technical", "account", "shipping", "feedback"},
        "min_rows": 450,
    },
    "product_reviews": {
        "header": ["text", "label"],
        "labels": {"positive", "negative"},
        "min_rows": 240,
    },
}


def read_csv(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    """Header and (text, label) rows, read with the csv module exactly as a learner's tool would."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [tuple(row) for row in reader]
    return header, rows


def normalise(text: str) -> str:
    """Lower-case, collapse whitespace and map digits to 0, so order numbers cannot hide a copy."""
    return re.sub(r"\d", "0", " ".join(text.lower().split()))


def shingles(text: str, size: int = SHINGLE_SIZE) -> frozenset[str]:
    """Character n-grams of the normalised text; short texts yield themselves."""
    text = normalise(text)
    if len(text) <= size:
        return frozenset([text])
    return frozenset(text[i : i + size] for i in range(len(text) - size + 1))


def near_duplicate_pairs(texts: list[str], threshold: float = NEAR_DUPLICATE_JACCARD) -> list[tuple[int, int]]:
    """Index pairs whose 5-gram Jaccard similarity exceeds threshold.

    Jaccard can never exceed len(small)/len(large), so pairs whose set sizes differ too much are
    skipped without intersecting: this keeps all-pairs comparison of ~500 rows well under a second.
    """
    sets = [shingles(t) for t in texts]
    pairs = []
    for i, j in combinations(range(len(sets)), 2):
        a, b = sets[i], sets[j]
        small, large = sorted((len(a), len(b)))
        if small <= threshold * large:
            continue
        common = len(a & b)
        if common / (len(a) + len(b) - common) > threshold:
            pairs.append((i, j))
    return pairs


def near_duplicate_row_share(texts: list[str]) -> float:
    """Share of rows that have at least one near-duplicate partner."""
    involved = {index for pair in near_duplicate_pairs(texts) for index in pair}
    return len(involved) / len(texts)


def frame(text: str, words: int = 3) -> tuple[str, str]:
    """First and last few words without punctuation: the fixed frame that a template repeats."""
    tokens = re.findall(r"[a-z0-9']+", normalise(text))
    return " ".join(tokens[:words]), " ".join(tokens[-words:])


def most_common_frame_share(texts: list[str]) -> tuple[str, float]:
    """The most frequent opening or ending and the share of rows that use it.

    Swapping nouns inside one sentence keeps its opening or its ending, so either one repeated
    across many rows is the signature of a template, even where nouns keep Jaccard below 0.8.
    """
    frames = [frame(t) for t in texts]
    openings = Counter(first for first, _ in frames).most_common(1)[0]
    endings = Counter(last for _, last in frames).most_common(1)[0]
    top, count = max(openings, endings, key=lambda item: item[1])
    return top, count / len(texts)


def card_counts(card_path: Path) -> dict[str, int]:
    """Class counts from the data card's table rows of the form `| label | count |`."""
    counts = {}
    for line in card_path.read_text(encoding="utf-8").splitlines():
        match = re.fullmatch(r"\|\s*`?([a-z]+)`?\s*\|\s*(\d+)\s*\|.*", line.strip())
        if match:
            counts[match.group(1)] = int(match.group(2))
    return counts


@pytest.fixture(scope="module", params=sorted(SPECS))
def dataset(request):
    name = request.param
    header, rows = read_csv(DATASETS_DIR / f"{name}.csv")
    return name, SPECS[name], header, rows


def test_header_and_row_shape(dataset):
    name, spec, header, rows = dataset
    assert header == spec["header"]
    assert all(len(row) == 2 for row in rows), f"{name}: every row needs exactly text and label"
    assert len(rows) >= spec["min_rows"]


def test_no_empty_texts(dataset):
    _, _, _, rows = dataset
    assert [i for i, (text, _) in enumerate(rows) if not text.strip()] == []


def test_labels_are_in_the_allowed_set(dataset):
    _, spec, _, rows = dataset
    assert {label for _, label in rows} == spec["labels"]


def test_every_class_has_enough_rows(dataset):
    _, _, _, rows = dataset
    counts = Counter(label for _, label in rows)
    assert min(counts.values()) >= MIN_ROWS_PER_CLASS, counts


def test_classes_are_roughly_balanced(dataset):
    _, _, _, rows = dataset
    counts = Counter(label for _, label in rows).values()
    assert max(counts) <= 1.5 * min(counts)


def test_no_exact_duplicates_after_normalising(dataset):
    _, _, _, rows = dataset
    seen = Counter(" ".join(text.lower().split()) for text, _ in rows)
    assert [text for text, n in seen.items() if n > 1] == []


def test_few_near_duplicates(dataset):
    name, _, _, rows = dataset
    share = near_duplicate_row_share([text for text, _ in rows])
    assert share < MAX_NEAR_DUPLICATE_ROW_SHARE, f"{name}: {share:.1%} of rows have a near-duplicate"


def test_openings_and_endings_are_varied(dataset):
    name, _, _, rows = dataset
    top, share = most_common_frame_share([text for text, _ in rows])
    assert share <= MAX_SHARED_FRAME_SHARE, f"{name}: {share:.1%} of rows open or end with {top!r}"


def test_lengths_vary(dataset):
    name, _, _, rows = dataset
    words = [len(text.split()) for text, _ in rows]
    assert max(words) <= 100
    assert sum(w <= 8 for w in words) >= MIN_SHORT_AND_LONG_SHARE * len(words), f"{name}: too few short texts"
    assert sum(w >= 30 for w in words) >= MIN_SHORT_AND_LONG_SHARE * len(words), f"{name}: too few long texts"


def test_data_card_counts_match(dataset):
    name, _, _, rows = dataset
    assert card_counts(DATASETS_DIR / f"{name}.md") == dict(Counter(label for _, label in rows))


def test_support_tickets_include_multiline_texts():
    _, rows = read_csv(DATASETS_DIR / "support_tickets.csv")
    assert sum("\n" in text for text, _ in rows) >= 5


def test_checks_catch_a_noun_swapped_template():
    """A noun-swapped template trips both variety checks; pasted into real data, the frame check.

    Thirty pasted rows stay under the near-duplicate limit (nouns push many pairs below Jaccard
    0.8), which is exactly why the opening/ending check exists beside it.
    """
    products = ["card reader", "receipt printer", "barcode scanner", "cash drawer", "kitchen display",
                "iPad stand", "label printer", "customer display", "scale", "router"]
    problems = ["update", "power cut", "reinstall", "move", "restart", "firmware change"]
    template = [
        f"My {product} stopped working after the {problem} and I need help with order BB-{100000 + n}."
        for n, (product, problem) in enumerate((p, q) for p in products for q in problems)
    ]
    assert near_duplicate_row_share(template) > 0.5
    assert most_common_frame_share(template)[1] > 0.5

    _, rows = read_csv(DATASETS_DIR / "support_tickets.csv")
    pasted = [text for text, _ in rows] + template[:30]
    assert most_common_frame_share(pasted)[1] > MAX_SHARED_FRAME_SHARE


# --- support_chat.jsonl: the chat sample set for `/finetune task=chat` (module 6) -------------------

CHAT_PATH = DATASETS_DIR / "support_chat.jsonl"
CHAT_CARD = DATASETS_DIR / "support_chat.md"
CHAT_MIN_RECORDS = 320
CHAT_SYSTEM = "You are the support assistant for Quillpad, a note-taking app for teams."
CHAT_GREETING = "Hi there, thanks for reaching out!"
CHAT_CLOSING = "If that doesn't fix it, reply here and we'll dig in."
CHAT_SIGN_OFF = "— Sam, Quillpad Support"
CHAT_REPLY_WORDS = (50, 110)
# Customers really do open with "how do i" (8% here) and restatements with "you'd like to"; a block
# of 35 pasted template records would push either past 10%.
CHAT_MAX_SHARED_FRAME_SHARE = 0.10


def read_chat(path: Path = CHAT_PATH) -> list[dict]:
    """Every non-empty line as a JSON object; a line that does not parse fails the test that calls it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def house_format_problems(reply: str) -> list[str]:
    """What is wrong with one assistant turn against the exact house format (empty list: nothing).

    Greeting line, one restatement sentence, 2-4 steps numbered 1.. consecutively, the closing line
    and the sign-off, separated by single newlines, with no markdown other than the numbers.
    """
    lines = reply.split("\n")
    problems = []
    if len(lines) < 6:
        return [f"{len(lines)} lines, the house format has 6 to 8"]
    if lines[0] != CHAT_GREETING:
        problems.append(f"line 1 is {lines[0]!r}")
    restatement = lines[1]
    if re.match(r"\d+\. ", restatement) or not restatement.strip() or len(re.findall(r"[.!?](\s|$)", restatement)) != 1:
        problems.append(f"line 2 is not one restating sentence: {restatement!r}")
    if lines[-2:] != [CHAT_CLOSING, CHAT_SIGN_OFF]:
        problems.append(f"ends with {lines[-2:]!r}")
    steps = lines[2:-2]
    if not 2 <= len(steps) <= 4:
        problems.append(f"{len(steps)} steps")
    for number, step in enumerate(steps, 1):
        if not re.fullmatch(rf"{number}\. \S.*\S", step):
            problems.append(f"step {number} is {step!r}")
    if re.search(r"\*\*|__|^#|^\s*[-*] |`", reply, flags=re.MULTILINE):
        problems.append("markdown other than the step numbers")
    return problems


def trainer_format_check(reply: str) -> bool:
    """The looser check the trainer reports as `format` (house.md): greeting, 2+ steps from 1, sign-off."""
    lines = [line for line in reply.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("Hi there") or lines[-1].strip() != CHAT_SIGN_OFF:
        return False
    numbers = [int(m.group(1)) for line in lines if (m := re.match(r"(\d+)\. ", line.strip()))]
    return len(numbers) >= 2 and numbers[:2] == [1, 2]


def turns(records: list[dict], role: str) -> list[str]:
    return [next(m["content"] for m in record["messages"] if m["role"] == role) for record in records]


@pytest.fixture(scope="module")
def chat_records():
    return read_chat()


def test_chat_records_parse_and_have_the_three_roles(chat_records):
    assert len(chat_records) >= CHAT_MIN_RECORDS
    for index, record in enumerate(chat_records):
        assert list(record) == ["messages"], index
        assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"], index
        assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in record["messages"]), index


def test_chat_system_message_is_the_same_everywhere(chat_records):
    assert set(turns(chat_records, "system")) == {CHAT_SYSTEM}


def test_chat_every_reply_follows_the_house_format(chat_records):
    broken = {i: p for i, reply in enumerate(turns(chat_records, "assistant")) if (p := house_format_problems(reply))}
    assert broken == {}


def test_chat_every_reply_passes_the_trainers_format_check(chat_records):
    assert [i for i, reply in enumerate(turns(chat_records, "assistant")) if not trainer_format_check(reply)] == []


def test_chat_reply_lengths(chat_records):
    low, high = CHAT_REPLY_WORDS
    words = [len(reply.split()) for reply in turns(chat_records, "assistant")]
    assert min(words) >= low and max(words) <= high, (min(words), max(words))


def test_chat_questions_are_short_non_empty_and_not_duplicated(chat_records):
    questions = turns(chat_records, "user")
    assert all(1 <= len(q.split()) <= 60 for q in questions)
    seen = Counter(" ".join(q.lower().split()) for q in questions)
    assert [q for q, n in seen.items() if n > 1] == []
    assert near_duplicate_row_share(questions) < MAX_NEAR_DUPLICATE_ROW_SHARE


def test_chat_questions_and_restatements_are_varied(chat_records):
    questions = turns(chat_records, "user")
    restatements = [reply.split("\n")[1] for reply in turns(chat_records, "assistant")]
    for name, texts in (("questions", questions), ("restatements", restatements)):
        top, share = most_common_frame_share(texts)
        assert share <= CHAT_MAX_SHARED_FRAME_SHARE, (name, top, share)
    assert len(set(restatements)) == len(restatements)
    step_counts = Counter(len(reply.split("\n")) - 4 for reply in turns(chat_records, "assistant"))
    assert set(step_counts) == {2, 3, 4} and min(step_counts.values()) >= 30, step_counts


def test_chat_data_card_counts_match(chat_records):
    card = CHAT_CARD.read_text(encoding="utf-8")
    assert f"{len(chat_records)} records" in card
    steps = Counter(len(reply.split("\n")) - 4 for reply in turns(chat_records, "assistant"))
    assert f"{steps[2]} replies have 2 steps, {steps[3]} have\n   3, {steps[4]} have 4" in card
    topics = [int(n) for n in re.findall(r"^\|[^|]+\|\s*(\d+)\s*\|$", card, flags=re.MULTILINE)]
    assert sum(topics) == len(chat_records)


def test_chat_checks_catch_broken_replies():
    """Each way a reply can leave the house format is caught (the checks above can fail)."""
    good = "\n".join([CHAT_GREETING, "Your notes don't sync.", "1. Open Settings.", "2. Click Sync now.", CHAT_CLOSING, CHAT_SIGN_OFF])
    assert house_format_problems(good) == [] and trainer_format_check(good)
    broken = {
        "no greeting": good.replace(CHAT_GREETING, "Hello!"),
        "steps from 2": good.replace("1. Open", "2. Open").replace("2. Click", "3. Click"),
        "one step": good.replace("\n2. Click Sync now.", ""),
        "no sign-off": good.replace("\n" + CHAT_SIGN_OFF, ""),
        "markdown": good.replace("Open Settings", "Open **Settings**"),
        "two sentences": good.replace("don't sync.", "don't sync. That is bad."),
        "blank line": good.replace("\n1.", "\n\n1."),
    }
    for name, reply in broken.items():
        assert house_format_problems(reply), name
    assert not trainer_format_check(broken["no greeting"]) and not trainer_format_check(broken["steps from 2"])
    assert not trainer_format_check(broken["one step"]) and not trainer_format_check(broken["no sign-off"])
    assert house_format_problems(good + "\n")  # a trailing empty line leaves the house format too
