"""Two baselines on the same split, so a learner sees what fine-tuning adds: always guessing
the most common class, and TF-IDF features with logistic regression."""

from __future__ import annotations

import time
from collections import Counter


def majority_baseline(train_labels: list[str], test_labels: list[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    majority = Counter(train_labels).most_common(1)[0][0]
    predicted = [majority] * len(test_labels)
    return {"name": "majority class", "predicts": majority,
            "accuracy": round(float(accuracy_score(test_labels, predicted)), 4),
            "macro_f1": round(float(f1_score(test_labels, predicted, average="macro",
                                             zero_division=0)), 4)}


def tfidf_baseline(train: tuple[list[str], list[str]], test: tuple[list[str], list[str]],
                   seed: int = 42) -> dict:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.pipeline import make_pipeline

    started = time.perf_counter()
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True),
                          LogisticRegression(max_iter=2000, C=10.0, random_state=seed))
    model.fit(train[0], train[1])
    predicted = model.predict(test[0])
    return {"name": "TF-IDF + logistic regression",
            "accuracy": round(float(accuracy_score(test[1], predicted)), 4),
            "macro_f1": round(float(f1_score(test[1], predicted, average="macro",
                                             zero_division=0)), 4),
            "seconds": round(time.perf_counter() - started, 2)}


def run_baselines(train: tuple[list[str], list[str]], test: tuple[list[str], list[str]],
                  seed: int = 42) -> dict:
    return {"majority": majority_baseline(train[1], test[1]),
            "tfidf_logreg": tfidf_baseline(train, test, seed)}
