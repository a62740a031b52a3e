"""The runs list and the comparison: settings read from requests, deltas, and every summary rule, each
shown to fire on the numbers it names and to stay silent when they do not support it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot import runs_views
from bot.runs import (RULES, compare, rule_accuracy_vs_f1, rule_baseline, rule_different_data,
                      rule_learning_rate, rule_overfit, rule_winner, run_from_job, summary)
from bot.services.runs import CompareRefused, parse_ids


def job(job_id, *, lr=None, method="full", data="support_tickets", acc=0.9, f1=0.8, tfidf_f1=0.7,
        val=((1, 0.6), (2, 0.5), (3, 0.45)), per_class=None, state="succeeded", epochs=3, data_kind="sample"):
    result = {"metrics": {"accuracy": acc, "macro_f1": f1, "test_examples": 100},
              "per_class": per_class or [{"label": "billing", "f1": 0.9, "precision": 1, "recall": 1, "support": 5},
                                         {"label": "account", "f1": 0.7, "precision": 1, "recall": 1, "support": 5}],
              "baselines": {"majority": {"accuracy": 0.5, "macro_f1": 0.3},
                            "tfidf_logreg": {"accuracy": 0.85, "macro_f1": tfidf_f1}},
              "timings": {"total_seconds": 65.0},
              "training": {"loss_curve": {"train": [], "validation": [list(p) for p in val]}}}
    request = {"data_kind": data_kind, "data": data, "model": "minilm", "method": method, "epochs": epochs,
               "lr": lr, "batch_size": 16, "per_class": None}
    return SimpleNamespace(id=job_id, state=state, request=request, result=result if state == "succeeded" else None,
                           started_at=None, finished_at=None)


def runs(*jobs):
    return [run_from_job(j) for j in jobs]


def test_a_run_reads_its_scores_gap_and_changed_settings():
    run = run_from_job(job(12, lr=3e-4, epochs=5, f1=0.71, tfidf_f1=0.68))
    assert run.macro_f1 == 0.71 and run.gap == pytest.approx(0.03) and run.seconds == 65.0
    assert run.changed_settings() == {"epochs": 5, "lr": 3e-4}
    assert run.lr == 3e-4 and run_from_job(job(1)).lr == 5e-5  # the method's default when none was asked
    line = runs_views.run_line(run)
    assert "#12" in line and "epochs 5" in line and "lr 0.0003" in line and "+0.030 vs TF-IDF" in line
    assert run_from_job(job(2)).changed_settings() == {}


def test_an_uploaded_runs_name_is_escaped_and_a_failed_run_has_no_scores():
    run = run_from_job(job(3, data="<!channel>", state="failed"))
    assert run.macro_f1 is None and "&lt;!channel&gt;" in runs_views.run_line(run)


def test_comparison_orders_by_id_and_lists_changed_settings_and_per_class_deltas():
    cmp = compare(runs(job(15, lr=3e-4, per_class=[{"label": "billing", "f1": 0.95}, {"label": "account", "f1": 0.5}]),
                       job(12)))
    assert [r.id for r in cmp.runs] == [12, 15]
    assert cmp.changed == {"lr": [5e-5, 3e-4]}
    assert cmp.per_class[0] == ("account", [0.7, 0.5])  # the biggest change first
    text = str(runs_views.compare_message(cmp))
    assert "-0.200" in text and "+0.050" in text and "#12 5e-05 → #15 0.0003" in text


def test_the_learning_rate_rule_names_the_faster_run_and_its_overfitting():
    fast = job(15, lr=3e-4, val=((1, 0.40), (2, 0.48), (3, 0.60)))
    slow = job(12, lr=5e-5, val=((1, 0.70), (2, 0.58), (3, 0.52)))
    rs = runs(slow, fast)
    sentence = rule_learning_rate(rs, compare(rs).changed)
    assert sentence == ("The higher learning rate (#15, 0.0003) reached a lower validation loss sooner (0.400 at "
                        "epoch 1 vs 0.520 at epoch 3 for #12, 5e-05), then overfit (validation loss back up to "
                        "0.600 by epoch 3).")


def test_the_learning_rate_rule_when_the_lower_rate_wins_and_when_rates_are_equal():
    rs = runs(job(12, lr=5e-5, val=((1, 0.5), (2, 0.3))), job(15, lr=1e-3, val=((1, 0.9), (2, 0.8))))
    assert rule_learning_rate(rs, compare(rs).changed).startswith("The lower learning rate (#12, 5e-05) reached")
    same = runs(job(12), job(15, epochs=5))
    assert rule_learning_rate(same, compare(same).changed) is None


def test_the_winner_rule_and_its_tie():
    rs = runs(job(12, f1=0.80), job(15, f1=0.843))
    assert rule_winner(rs, {}) == "#15 has the best macro-F1, 0.843, +4.3 points above #12 (0.800)."
    tie = runs(job(12, f1=0.800), job(15, f1=0.803))
    assert "within half a point" in rule_winner(tie, {})


def test_the_accuracy_versus_f1_rule():
    rs = runs(job(12, acc=0.93, f1=0.60), job(15, acc=0.90, f1=0.71))
    assert rule_accuracy_vs_f1(rs, {}) == ("#12 has the higher accuracy (0.930 vs 0.900) but #15 the higher "
                                           "macro-F1 (0.710 vs 0.600): #15 does better on the smaller classes.")
    assert rule_accuracy_vs_f1(runs(job(12, acc=0.9, f1=0.6), job(15, acc=0.95, f1=0.7)), {}) is None


def test_the_overfit_rule_needs_a_real_rise_after_the_best_epoch():
    assert rule_overfit(runs(job(12, val=((1, 0.5), (2, 0.52)))), {}) is None  # 4%: noise
    assert rule_overfit(runs(job(12, val=((1, 0.5), (2, 0.6)))), {}) == (
        "#12 overfit: its validation loss rose from 0.500 (epoch 1) to 0.600 (epoch 2); fewer epochs would have done.")


def test_the_baseline_rule_fires_only_when_no_run_beats_tfidf():
    rs = runs(job(12, f1=0.6, tfidf_f1=0.7), job(15, f1=0.65, tfidf_f1=0.7))
    assert rule_baseline(rs, {}) == "None of these runs beat the TF-IDF baseline's macro-F1 (the closest, #15, is -5.0 points from it)."
    assert rule_baseline(runs(job(12, f1=0.8, tfidf_f1=0.7), job(15, f1=0.6, tfidf_f1=0.7)), {}) is None


def test_different_data_comes_first_and_at_most_two_sentences():
    rs = runs(job(12, f1=0.6), job(15, data="news_topics", f1=0.9))
    cmp = compare(rs)
    assert rule_different_data(rs, cmp.changed).startswith("These runs used different data (#12 support_tickets, #15 news_topics)")
    assert len(cmp.sentences) == 2 and cmp.sentences[0].startswith("These runs used different data")
    assert len(RULES) > 2 and summary(rs, cmp.changed) == cmp.sentences


def test_every_number_in_the_summary_comes_from_the_runs():
    """No invented numbers: each number in the sentences is a score, loss, epoch, lr or id of a run,
    or a difference of two of them."""
    import re

    rs = runs(job(12, lr=5e-5, acc=0.93, f1=0.61, val=((1, 0.7), (2, 0.58), (3, 0.52))),
              job(15, lr=3e-4, acc=0.91, f1=0.74, val=((1, 0.4), (2, 0.48), (3, 0.6))))
    cmp = compare(rs)
    known = {12, 15, 5e-5, 3e-4, 0.93, 0.91, 0.61, 0.74, 0.7, 0.58, 0.52, 0.4, 0.48, 0.6, 1, 2, 3}
    known |= {round(abs(a - b) * 100, 1) for a in (0.61, 0.74) for b in (0.61, 0.74)}
    for sentence in cmp.sentences:
        for number in re.findall(r"\d+(?:\.\d+)?(?:e-\d+)?", sentence):
            assert any(abs(float(number) - k) < 1e-9 for k in known), (number, sentence)


@pytest.mark.parametrize("text, ids", [("12 15", [12, 15]), ("#12, #15 #12", [12, 15])])
def test_run_numbers_are_parsed(text, ids):
    assert parse_ids(text) == ids


def test_a_bad_run_number_is_refused_and_escaped():
    with pytest.raises(CompareRefused, match="&lt;b&gt;"):
        parse_ids("12 <b>")
