"""Shared dataset helpers: stratified validation carve, source fingerprints, cache keys."""

from __future__ import annotations

import os

import numpy as np
import pytest

from ferbench.data import Problems, SampleList, load_cached, source_fingerprint
from ferbench.data.problems import reason_of
from ferbench.data.splits import stratified_holdout


def test_stratified_holdout_is_per_class_seeded_and_keeps_every_class():
    labels = np.array([0] * 20 + [1] * 10 + [2] * 1)
    kept, held = stratified_holdout(labels, 0.1, seed=7)
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(31))
    assert np.bincount(labels[held], minlength=3).tolist() == [2, 1, 0]
    assert np.array_equal(held, stratified_holdout(labels, 0.1, seed=7)[1])
    assert not np.array_equal(held, stratified_holdout(labels, 0.1, seed=8)[1])
    with pytest.raises(ValueError, match=r"validation fraction must be in \(0, 1\), got 1.5"):
        stratified_holdout(labels, 1.5, seed=0)


def test_source_fingerprint_follows_path_size_and_mtime(tmp_path):
    folder = tmp_path / "images" / "nested"
    folder.mkdir(parents=True)
    image = folder / "a.png"
    image.write_bytes(b"12345")
    first = source_fingerprint([tmp_path / "images"])
    os.utime(image, ns=(10, 10))
    touched = source_fingerprint([tmp_path / "images"])
    image.write_bytes(b"123456")
    os.utime(image, ns=(10, 10))
    resized = source_fingerprint([tmp_path / "images"])
    image.rename(folder / "b.png")
    renamed = source_fingerprint([tmp_path / "images"])
    assert len({first, touched, resized, renamed}) == 4
    assert source_fingerprint([tmp_path / "missing"]) != source_fingerprint([tmp_path / "gone"])


def tiny_samples(label: int = 0):
    samples = SampleList("toy", (2, 2))
    samples.add(np.full((2, 2), 7, np.uint8), label, "S1", "id0", "train")
    samples.problems.add("toy.csv line 3", "broken")
    return samples.build({"detector": "none"})


def test_cache_entries_are_keyed_by_parameters_and_keep_problems_and_facts(tmp_path):
    source = tmp_path / "source.txt"
    source.write_text("x")
    calls = []

    def decode(label):
        calls.append(label)
        return tiny_samples(label)

    for label in (1, 2, 1):
        samples = load_cached(tmp_path / "cache", "toy", "v", [source], {"label": label},
                              lambda label=label: decode(label))
        assert samples.labels.tolist() == [label]
    assert calls == [1, 2]
    assert samples.problems.listed == ["toy.csv line 3: broken"] and samples.problems.count == 1
    assert samples.facts == {"detector": "none"} and samples.subjects.tolist() == ["S1"]
    assert len(list((tmp_path / "cache" / "datasets").glob("toy-v-*.npz"))) == 2


def test_an_unwritable_cache_warns_and_still_returns_the_samples(tmp_path):
    blocker = tmp_path / "cache"
    blocker.write_text("a file where the cache folder should be")
    with pytest.warns(UserWarning, match="could not write the decoding cache"):
        samples = load_cached(blocker, "toy", "v", [], {}, tiny_samples)
    assert len(samples) == 1


def test_problems_without_skip_bad_raise_and_with_it_become_provenance():
    problems = Problems("toy")
    assert problems.enforce(skip_bad=False) == {"skipped": 0}
    problems.add("a.png", "unreadable or truncated image")
    problems.add("b", "empty class folder", samples=0)
    assert problems.enforce(skip_bad=True) == {
        "skipped": 1, "skipped_reasons": ["a.png: unreadable or truncated image",
                                          "b: empty class folder"],
        "skipped_by_reason": {"unreadable or truncated image": 1},
        "skipped_examples": {"unreadable or truncated image": ["a.png"]}}
    assert problems.breakdown() == "unreadable or truncated image 1"


@pytest.mark.parametrize(("message", "reason"), [
    ("unknown label 'bored'", "unknown label …"),
    ("unknown label code 9; known codes: 0 anger", "unknown label code …"),
    ("/data/x.png not found (moved?)", "… not found"),
    ("no face found by dlib's frontal detector (crop = \"detect\")",
     "no face found by dlib's frontal detector"),
])
def test_problems_are_counted_by_reason_whatever_their_details(message, reason):
    assert reason_of(message) == reason
