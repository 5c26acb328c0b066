"""The evaluation data loaders (on small files made here, not the real data) and the
evaluation's clean exit when the data folder is absent."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nlp import datasets, evaluate

REPO = Path(__file__).resolve().parents[2]


def _jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


@pytest.fixture
def data(tmp_path, monkeypatch) -> Path:
    root = tmp_path / "data"
    arg = datasets.ARGUMENTATION
    _jsonl(
        root / arg / "train.jsonl",
        [
            {
                "sentence_id": "a",
                "topic": "kärnkraft",
                "label": "pro",
                "sentence": "Kärnkraft är bra.",
            },
            {"sentence_id": "b", "topic": "abort", "label": "con", "sentence": "Abort är fel."},
        ],
    )
    _jsonl(
        root / arg / "dev.jsonl",
        [
            {"sentence_id": "c", "topic": "minimilön", "label": "non", "sentence": "Lönen höjdes."},
            {
                "sentence_id": "a",
                "topic": "kärnkraft",
                "label": "pro",
                "sentence": "Kärnkraft är bra.",
            },
        ],
    )
    _jsonl(
        root / datasets.SWEFAQ / "dev.jsonl",
        [
            {
                "category_id": 73,
                "question": "Får jag vaccin?",
                "label": 0,
                "candidate_answers": ["Ja, du får vaccin. Boka en tid hos vårdcentralen.", "Nej."],
            },
            {
                "category_id": 9,
                "question": "Hur deklarerar jag?",
                "label": 0,
                "candidate_answers": ["Nej."],
            },
        ],
    )
    sib = root / datasets.SIB200
    sib.mkdir(parents=True)
    (sib / "swe_train.tsv").write_text(
        "index_id\tcategory\ttext\n"
        "1\tsports\tLaget vann matchen med två mål.\n"
        '2\ttravel\t"""Resan var ""fantastisk"", sa hon."""\n',
        "utf-8",
    )
    (sib / "swe_dev.tsv").write_text("index_id\tcategory\ttext\n3\tgeography\tSjön är djup.\n")
    kp = root / datasets.ARGKP
    kp.mkdir(parents=True)
    (kp / "arguments_train.csv").write_text(
        "arg_id,argument,topic,stance\n"
        'arg_0_0,"Taxes hurt, badly",T1,1\n'
        "arg_0_1,Nobody labelled me,T1,1\n"
        "arg_0_2,Schools need money,T1,-1\n"
    )
    (kp / "key_points_train.csv").write_text(
        "key_point_id,key_point,topic,stance\nkp_0_0,Taxes are harmful,T1,1\n"
        "kp_0_1,Education needs funding,T1,-1\n"
    )
    (kp / "labels_train.csv").write_text(
        "arg_id,key_point_id,label\narg_0_0,kp_0_0,1\narg_0_0,kp_0_1,0\narg_0_2,kp_0_1,0\n"
    )
    tf = root / datasets.THEMEFINDER
    part = tf / "inputs" / "question_part_1"
    part.mkdir(parents=True)
    (part / "question.json").write_text(json.dumps({"question_text": "Ban the ads?"}))
    _jsonl(
        part / "responses.jsonl",
        [
            {"response_id": 1, "response": "Ban them all."},
            {"response_id": 2, "response": "Sport needs the money."},
        ],
    )
    mapping = tf / "outputs" / "mapping" / "2025-07-22" / "question_part_1"
    mapping.mkdir(parents=True)
    (mapping / "themes.json").write_text(
        json.dumps(
            [
                {"topic_id": "A", "topic_label": "Ban", "topic": "Ban: support a ban"},
                {"topic_id": "B", "topic_label": "Money", "topic": "Money: sport funding"},
            ]
        )
    )
    _jsonl(
        mapping / "mapping.jsonl",
        [
            {"response_id": 1, "labels": ["A"], "stances": ["POSITIVE"]},
            {"response_id": 2, "labels": ["B", "A"], "stances": ["NEGATIVE", "NEGATIVE"]},
        ],
    )
    monkeypatch.setenv(datasets.DATA_ENV, str(root))
    return root


def test_data_dir_follows_the_environment(data, monkeypatch):
    assert datasets.data_dir() == data
    assert datasets.available()
    monkeypatch.delenv(datasets.DATA_ENV)
    assert datasets.data_dir() == REPO.parent / "shared" / "data"
    assert not datasets.available(data / "nothing-here")


def test_argumentation_topics_and_stances(data):
    everything = datasets.argumentation("all")  # every row of both files
    assert everything.texts == [
        "Kärnkraft är bra.",
        "Abort är fel.",
        "Lönen höjdes.",
        "Kärnkraft är bra.",
    ]
    assert everything.labels == ["kärnkraft", "abort", "minimilön", "kärnkraft"]
    # dev leaves out the sentences that train has too (same sentence_id)
    assert datasets.argumentation("dev", label="stance").labels == ["neutral"]
    assert datasets.argumentation("train", label="stance").labels == ["support", "oppose"]
    with pytest.raises(ValueError):
        datasets.argumentation("test")


def test_argumentation_stance_keeps_near_copies_of_dev_out_of_train(data):
    root = data / datasets.ARGUMENTATION
    rows = [json.loads(line) for line in (root / "train.jsonl").read_text("utf-8").splitlines()]
    rows.append(  # the dev sentence "Lönen höjdes." again, under another id, a little edited
        {"sentence_id": "d", "topic": "minimilön", "label": "non", "sentence": "Lönen höjdes!"}
    )
    _jsonl(root / "train.jsonl", rows)
    train, dev = datasets.argumentation_stance()
    assert dev.texts == ["Lönen höjdes."] and dev.topics == ["minimilön"]
    assert train.texts == ["Kärnkraft är bra.", "Abort är fel."]
    assert train.labels == ["support", "oppose"] and train.topics == ["kärnkraft", "abort"]


def test_swefaq_questions_and_answers(data):
    faq = datasets.swefaq()
    assert faq.texts == ["Får jag vaccin?", "Hur deklarerar jag?"]
    assert faq.labels == ["73", "9"]
    answers = dict(datasets.swefaq_answers())
    assert answers["Nej."] == "73"  # the first question it answers


def test_sib200_undoes_the_double_quoting(data):
    train = datasets.sib200("swe", "train")
    assert train.texts == ["Laget vann matchen med två mål.", 'Resan var "fantastisk", sa hon.']
    assert train.labels == ["sports", "travel"]
    assert len(datasets.sib200("swe")) == 3
    with pytest.raises(FileNotFoundError):
        datasets.sib200("eng", "dev")


def test_argkp_keeps_arguments_with_labelled_pairs(data):
    (topic,) = datasets.argkp()
    assert topic.key_points == {"kp_0_0": "Taxes are harmful", "kp_0_1": "Education needs funding"}
    assert topic.argument_ids == ["arg_0_0", "arg_0_2"]
    assert topic.arguments[0] == "Taxes hurt, badly"
    assert topic.gold == [frozenset({"kp_0_0"}), frozenset()]


def test_themefinder_mapping(data):
    (part,) = datasets.themefinder()
    assert part.question == "Ban the ads?"
    assert part.texts == ["Ban them all.", "Sport needs the money."]
    assert part.label_sets == [frozenset("A"), frozenset("AB")]
    assert part.themes["B"] == "Money: sport funding"


def test_swedish_sentences_are_distinct_and_labelled_by_set(data):
    sentences, labels = datasets.swedish_sentences(min_words=1)
    assert len(sentences) == len(set(sentences)) == len(labels)
    assert dict(zip(sentences, labels, strict=True))["Kärnkraft är bra."] == "arg:kärnkraft"
    assert "Boka en tid hos vårdcentralen." in sentences  # answers are cut into sentences


def test_campaign_variants_are_deterministic_and_edited():
    template = ["Bygg järnvägen nu.", "Den behövs i {place}.", "Godset ska på spår.", "Tack."]
    one = [
        datasets.campaign_variant(template, np.random.default_rng(3), "Kiruna") for _ in range(2)
    ]
    assert one[0] == one[1]
    rng = np.random.default_rng(0)
    variants = {datasets.campaign_variant(template, rng, "Kiruna") for _ in range(50)}
    assert len(variants) > 10
    assert all("{place}" not in v for v in variants)
    plain = datasets.campaign_variant(template, rng, "Kiruna", edits=0)
    assert (
        plain == "Bygg järnvägen nu. Den behövs i Kiruna. Godset ska på spår. Tack.\n\n"
        "Med vänlig hälsning"
    )


def test_evaluation_metrics():
    gold = [frozenset("a"), frozenset("ab"), frozenset("b")]
    pred = [frozenset("a"), frozenset("a"), frozenset("c")]
    tp, fp, fn, labels = evaluate.confusion(gold, pred)
    assert labels == ["a", "b", "c"]
    assert evaluate.sample_f1(tp, fp, fn) == pytest.approx((1 + 2 / 3 + 0) / 3)
    assert evaluate.macro_f1(tp, fp, fn) == pytest.approx((1 + 0 + 0) / 3)
    scores = evaluate.f1_with_intervals(gold, pred)
    value, low, high = scores["sample-F1"]
    assert low <= value <= high
    groups = [[0, 1, 2], [3, 4]]
    truth = np.array([0, 0, -1, 1, 1, 1])
    precision, recall = evaluate.pairwise_scores(groups, truth)
    assert precision == pytest.approx(2 / 4)
    assert recall == pytest.approx(2 / 4)


def test_evaluate_skips_cleanly_without_data(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(datasets.DATA_ENV, str(tmp_path / "missing"))
    assert evaluate.main([]) == 0
    assert capsys.readouterr().out.startswith("skipped:")
    env = {**os.environ, datasets.DATA_ENV: str(tmp_path / "missing"), "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-m", "nlp.evaluate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith("skipped:")
    assert len(done.stdout.strip().splitlines()) == 1


def test_stance_evaluation_prints_each_variant_and_the_target(data, monkeypatch):
    from nlp.evaluate.stance import evaluate_stance

    monkeypatch.setenv("CONSULT_SEMANTIC", "off")  # the e5 variants are skipped, and say so
    targets, rows = evaluate_stance(folds=2)
    metrics = [row.metric for row in rows]
    assert "macro-F1, StanceModel" in metrics and "macro-F1, StanceModel + topics" in metrics
    assert any("semantic view not available" in row.note for row in rows)
    # Two training sentences cannot be cross-validated: the rows and the target say so.
    model_rows = [row for row in rows if row.metric.startswith("macro-F1, StanceModel")]
    assert all("2-fold CV in train n/a (too few examples)" in row.note for row in model_rows)
    assert len(targets) == 1 and "train too small to cross-validate" in targets[0].measured


def test_the_stance_target_is_judged_on_the_variant_best_in_train_not_on_dev(data, monkeypatch):
    from nlp.evaluate import stance as evaluation

    monkeypatch.setenv("CONSULT_SEMANTIC", "off")
    # Whichever variant cross-validation in train prefers, the target follows it.
    monkeypatch.setattr(
        evaluation,
        "cross_validated",
        lambda model, train, vectors, topical, folds: 0.4 + topical * 0.1,
    )
    targets, rows = evaluation.evaluate_stance(folds=2)
    assert "(StanceModel + topics, the best 2-fold cross-validated macro-F1 in train: 0.500)" in (
        targets[0].measured
    )
    monkeypatch.setattr(
        evaluation,
        "cross_validated",
        lambda model, train, vectors, topical, folds: 0.5 - topical * 0.1,
    )
    targets, rows = evaluation.evaluate_stance(folds=2)
    assert "(StanceModel, the best 2-fold cross-validated macro-F1 in train: 0.500)" in (
        targets[0].measured
    )
    assert any("2-fold CV in train 0.400" in row.note for row in rows)


def test_cross_validation_in_train_scores_each_fold_or_says_it_cannot():
    from nlp.evaluate.stance import cross_validated
    from nlp.stance import StanceModel

    words = {"support": "bra utmärkt", "oppose": "dåligt emot", "neutral": "fakta om"}
    texts, labels, topics = [], [], []
    for index in range(8):
        for label, cue in words.items():
            texts.append(f"{cue} förslag {index}")
            labels.append(label)
            topics.append("a" if index % 2 else "b")
    train = datasets.LabelledSet("toy", "sv", texts, labels, topics=topics)
    value = cross_validated(StanceModel, train, None, topical=True, folds=2)
    assert value is not None and 0.9 <= value <= 1.0  # the cue words give every class away
    assert cross_validated(StanceModel, train, None, topical=False, folds=9) is None
