"""Quality checks for the course's sample data sets in content/datasets/.

The sets are meant to teach fine-tuning, so they must be clean (right header, known labels, no empty
or duplicate rows), balanced enough to train on (the product warns under 50 rows a class), honest
about themselves (data card counts match the CSV), and varied: a set made by pasting one sentence
template with nouns swapped must fail here, which `test_checks_catch_a_noun_swapped_template` proves.
"""

from __future__ import annotations

import csv
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
