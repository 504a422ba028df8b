"""Derive fingerprints of the source text, so the no-copy test runs without the text.

The cards paraphrase "Networking ist Beziehungsarbeit", kept beside the repository in
`../shared/seed/*.txt`; `tests/test_cards.py` proves that no card copies it. To run from
a fresh clone, the test compares SHA-256 hashes instead of text: one per sentence of four
or more words, and one per run of six consecutive words inside a sentence, so a long
copied fragment is caught too. Before hashing, text is normalised to its words, case
folded, joined by single spaces; card texts are hashed the same way (`copied_passages`).
The hashes are unsalted so that they can be compared; they do not spell the text out.

After the source text changes, run from the repository root:

    python tools/derive_seed_fingerprints.py ../shared/seed \\
        --output tests/support/seed_fingerprints.json

The same input always gives the same bytes; `tests/test_derived_facts.py` checks that the
committed file is what this script makes of the source, whenever the source is there.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_OUTPUT",
    "DEFAULT_SOURCE",
    "SHINGLE_WORDS",
    "SeedFingerprints",
    "derive_fingerprints",
    "fingerprint",
    "render_fingerprints",
    "source_sentences",
    "words",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = REPO_ROOT.parent / "shared" / "seed"
DEFAULT_OUTPUT = REPO_ROOT / "tests" / "support" / "seed_fingerprints.json"

# Six words: long enough that a paraphrase sharing a common phrase with the source is not
# flagged (none of the nine cards is), short enough that half a copied sentence is caught.
SHINGLE_WORDS = 6
# Headings and fragments like "Das A & O" are not sentences anyone could be said to copy.
_SENTENCE_MIN_WORDS = 4
_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+|\n+")
_WORD = re.compile(r"\w+")


def words(text: str) -> list[str]:
    """The words of text, case folded, without punctuation or Markdown."""
    return _WORD.findall(text.casefold())


def fingerprint(sentence_words: Sequence[str]) -> str:
    """SHA-256 (hex) of the words joined by single spaces."""
    return hashlib.sha256(" ".join(sentence_words).encode("utf-8")).hexdigest()


def source_sentences(text: str) -> list[list[str]]:
    """The sentences of the source text with four or more real words, as word lists."""
    sentences = []
    # Without the bold markers "**Vertrauen.** Vertrauen ist ..." ends a sentence at "."
    for part in _SENTENCE_END.split(text.replace("**", "")):
        sentence = words(part)
        if sum(1 for word in sentence if len(word) >= 2) >= _SENTENCE_MIN_WORDS:
            sentences.append(sentence)
    return sentences


def _runs(sequence: Sequence[str], length: int) -> Iterator[Sequence[str]]:
    for start in range(len(sequence) - length + 1):
        yield sequence[start : start + length]


@dataclass(frozen=True, slots=True)
class SeedFingerprints:
    """Hashes of the source's sentences and six-word runs, able to spot a copy."""

    sentences: frozenset[str]
    shingles: frozenset[str]
    shingle_words: int = SHINGLE_WORDS

    @classmethod
    def load(cls, path: Path = DEFAULT_OUTPUT) -> SeedFingerprints:
        """Read a fingerprint file written by this script."""
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(frozenset(data["sentences"]), frozenset(data["shingles"]), data["shingle_words"])

    def copied_passages(self, text: str) -> list[str]:
        """The runs of text's words that repeat a source sentence or six-word run."""
        text_words = words(text)
        copied = []
        for length in range(1, len(text_words) + 1):
            for run in _runs(text_words, length):
                hashed = fingerprint(run)
                if hashed in self.sentences or (
                    length == self.shingle_words and hashed in self.shingles
                ):
                    copied.append(" ".join(run))
        return copied


def derive_fingerprints(sources: Mapping[str, str]) -> dict[str, Any]:
    """The fingerprint file's content from source texts by file name."""
    sentences = [sentence for text in sources.values() for sentence in source_sentences(text)]
    return {
        "generated_by": "tools/derive_seed_fingerprints.py",
        "sentences": sorted({fingerprint(sentence) for sentence in sentences}),
        "shingle_words": SHINGLE_WORDS,
        "shingles": sorted(
            {fingerprint(run) for sentence in sentences for run in _runs(sentence, SHINGLE_WORDS)}
        ),
        "sources": sorted(sources),
    }


def render_fingerprints(fingerprints: Mapping[str, Any]) -> str:
    """JSON with sorted keys, one hash per line."""
    return json.dumps(fingerprints, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Read the source texts (*.txt), write the fingerprint file, say what was written."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "source",
        nargs="?",
        type=Path,
        default=DEFAULT_SOURCE,
        help="the folder holding the source text(s), *.txt",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="the fingerprint file to (over)write"
    )
    arguments = parser.parse_args(argv)
    source: Path = arguments.source
    output: Path = arguments.output
    texts = {path.name: path.read_text(encoding="utf-8") for path in source.glob("*.txt")}
    if not texts:
        parser.error(f"no *.txt in {source} (the source text, see this script's docstring)")
    fingerprints = derive_fingerprints(texts)
    output.write_text(render_fingerprints(fingerprints), encoding="utf-8")
    print(
        f"{output}: {len(fingerprints['sentences'])} sentences, "
        f"{len(fingerprints['shingles'])} runs of {SHINGLE_WORDS} words, from {len(texts)} file(s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
