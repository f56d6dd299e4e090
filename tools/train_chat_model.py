"""Train the chat model (faq/classifier.py) on the studied labelled sets and write it
beside the knowledge base: `make chat-model` (needs the `model` extra: scikit-learn).

The knowledge base's own phrasings are learnt too. Of the labelled sets only the studied
ones are used (tests/labelled.py, STUDIED), so every measured set stays a measure of
messages the model has never seen. A message's label is its first acceptable entry; a
message that should fall back is labelled faq.classifier.NONE.

    .venv/bin/python tools/train_chat_model.py [--out faq/data/chat_model.npz]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faq.classifier import FEATURES, MODEL_FILE, NONE  # noqa: E402
from faq.knowledge import DATA_DIR, LANGS, OFF_TOPIC, KnowledgeBase  # noqa: E402
from tests.labelled import studied  # noqa: E402

MIN_MESSAGES = 3  # a feature seen in fewer messages is noise
STRENGTH = 10.0  # scikit-learn's C: little regularisation, the sets are consistent


def main() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_union

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DATA_DIR / MODEL_FILE)
    args = parser.parse_args()
    cases = studied()
    texts = [q["text"] for q in cases]
    labels = [NONE if q["kind"] == "fallback" else q["entry"][0] for q in cases]
    # every phrasing of the knowledge base too: an entry seldom asked in the sets is known
    for entry in KnowledgeBase.load():
        for lang in LANGS:
            texts += entry.questions[lang]
            labels += [NONE if entry.category == OFF_TOPIC else entry.id] * len(entry.questions[lang])
    parts = [TfidfVectorizer(analyzer=f, sublinear_tf=True, min_df=MIN_MESSAGES) for f in FEATURES]
    features = make_union(*parts).fit_transform(texts)
    model = LogisticRegression(C=STRENGTH, max_iter=5000).fit(features, labels)
    arrays: dict[str, np.ndarray] = {
        "classes": np.array(model.classes_, dtype=str),
        "weights": model.coef_.astype(np.float16),
        "bias": model.intercept_.astype(np.float32),
    }
    for k, part in enumerate(parts):
        vocabulary = sorted(part.vocabulary_, key=part.vocabulary_.__getitem__)
        arrays[f"vocabulary{k}"] = np.array(vocabulary, dtype=str)
        arrays[f"idf{k}"] = part.idf_.astype(np.float32)
    np.savez_compressed(args.out, **arrays)
    print(f"{args.out}: {len(cases)} messages and {len(texts) - len(cases)} phrasings, "
          f"{len(model.classes_)} labels, {features.shape[1]} features, "
          f"{args.out.stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
