"""A second opinion where the matcher is unsure: a linear model trained on the studied
labelled chat messages in tests/data and the knowledge base's phrasings (`make
chat-model`), which names the entry a whole message is about from its words and letter
groups, however much is said around it.

The matcher decides when it is asked (`Matcher.match`): where it would fall back or offer
"did you mean", a message the model places with probability `SURE` or more is answered
with that entry; a weak single answer to a longer message gives way to a surer model. It
answers only with entries of the knowledge base (measured on sets the model never saw:
README, "Measured here"). The model lives beside the knowledge base it was trained for
(`chat_model.npz` in the knowledge directory); a knowledge base without one is matched by
the matcher alone, and `irlf-bot check-faq` fails a model that is damaged or names an
entry the knowledge base lacks.

The features are computed here, by the same functions the training script hands to
scikit-learn, so training and answering read a message the same way: word unigrams and
bigrams, and groups of 3 to 5 letters inside each word, each weighted 1 + log(count)
times its inverse document frequency, each part scaled to length 1.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from itertools import chain, pairwise
from pathlib import Path

import numpy as np

from faq.normalize import fold

MODEL_FILE = "chat_model.npz"
NONE = "_fallback"  # the model's label for a message nothing in the knowledge base answers
SURE = 0.6
_WORD = re.compile(r"(?u)\b\w\w+\b")
_CHARS = range(3, 6)
_REMEMBERED = 50_000  # words whose letter groups are kept looked up


def _text(message: str) -> str:
    return fold(message.lower())


def word_features(message: str) -> list[str]:
    """Words of two letters or more, and each pair of neighbours ("gdzie jest")."""
    return _words_and_pairs(_text(message))


def _words_and_pairs(text: str) -> list[str]:
    found = _WORD.findall(text)
    return found + [f"{a} {b}" for a, b in pairwise(found)]


def letter_features(message: str) -> list[str]:
    """Groups of 3 to 5 letters inside each word, its edges marked (" kiel", "ce ")."""
    return [gram for word in _text(message).split() for gram in _letter_groups(word)]


def _letter_groups(word: str) -> list[str]:
    padded = f" {word} "
    groups: list[str] = []
    for size in _CHARS:
        if len(padded) <= size:
            groups.append(padded)
            break
        groups.extend(padded[i:i + size] for i in range(len(padded) - size + 1))
    return groups


FEATURES = (word_features, letter_features)


class ModelError(ValueError):
    """The model file cannot be used (damaged, or not written by `make chat-model`)."""


class ChatClassifier:
    """Names the entry a message is about, with its probability."""

    def __init__(self, classes: list[str], vocabularies: list[dict[str, int]],
                 idfs: list[np.ndarray], weights: np.ndarray, bias: np.ndarray) -> None:
        self.classes = classes
        self._vocabularies = vocabularies  # per feature kind: feature -> column
        self._idfs = idfs
        self._by_feature = np.ascontiguousarray(weights.T)  # a row per feature, every kind in order
        self._bias = bias
        self._offsets = np.cumsum([0, *(len(v) for v in vocabularies)])[:-1].tolist()
        self._letters: dict[str, list[int]] = {}  # a word -> its letter groups' columns

    @classmethod
    def read(cls, directory: Path) -> ChatClassifier | None:
        """The model in a knowledge directory, or None when it has none."""
        path = directory / MODEL_FILE
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                vocabularies = [{str(f): i for i, f in enumerate(data[f"vocabulary{k}"])}
                                for k in range(len(FEATURES))]
                model = cls([str(c) for c in data["classes"]], vocabularies,
                            [data[f"idf{k}"].astype(np.float64) for k in range(len(FEATURES))],
                            data["weights"].astype(np.float32), data["bias"].astype(np.float64))
        except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path}: not a chat model ({exc}); rebuild it: make chat-model") from exc
        shape = (len(model.classes), sum(len(v) for v in vocabularies))
        if model._by_feature.T.shape != shape or model._bias.shape != shape[:1]:
            raise ModelError(f"{path}: weights {model._by_feature.T.shape} do not fit {shape}; "
                             "rebuild it: make chat-model")
        return model

    def _letters_of(self, word: str) -> list[int]:
        """The columns of a (folded) word's letter groups the model knows; remembered."""
        found = self._letters.get(word)
        if found is None:
            if len(self._letters) >= _REMEMBERED:
                self._letters.clear()
            letters = self._vocabularies[1]
            found = self._letters[word] = [
                i for g in _letter_groups(word) if (i := letters.get(g)) is not None]
        return found

    def knows(self, word: str) -> bool:
        """Whether a word (folded) was in enough of the messages the model learnt from."""
        return word in self._vocabularies[0]

    def guess(self, message: str) -> tuple[str | None, float]:
        """The entry the message is most likely about (None: nothing we answer), and how
        likely."""
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        words_of = self._vocabularies[0]
        # what features() would give, the letter groups looked up once per word ever seen
        text = _text(message)
        counted = (Counter(i for f in _words_and_pairs(text) if (i := words_of.get(f)) is not None),
                   Counter(chain.from_iterable(map(self._letters_of, text.split()))))
        for counts, idf, offset in zip(counted, self._idfs, self._offsets, strict=True):
            if not counts:
                continue
            index = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
            part = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))))
            part *= idf[index]
            columns.append(index + offset)
            values.append(part / np.linalg.norm(part))
        scores = self._bias.copy()
        if columns:
            scores += np.concatenate(values) @ self._by_feature[np.concatenate(columns)]
        scores = np.exp(scores - scores.max())
        best = int(scores.argmax())
        label = self.classes[best]
        return (None if label == NONE else label), float(scores[best] / scores.sum())
