"""Build FactCC-style claim sets (document, claim, label, transform) from ../shared/eval.

Positives (label 1): a sentence of the document, verbatim (`verbatim`), a light rule-based
paraphrase of one (`paraphrase`: reported speech turned round, a leading connective dropped,
common words swapped for synonyms, numbers and contractions re-spelled), and a sentence cut to its
first clause (`compression`). Negatives (label 0),
each made from a document sentence by one change, as FactCC (Kryscinski et al. 2020) made them:
`entity_swap` (a name replaced by another name of the same document), `number_swap` (a number
replaced by another of the document, or changed), `date_swap` (a month, weekday or year
changed), `pronoun_swap` (he <-> she, his <-> her), `negation` (a "not" added to or taken from an
auxiliary verb), `other_article` (a sentence of another article of the same corpus), and beyond
FactCC `antonym` (a word replaced by its opposite: rose -> fell, won -> lost, supports ->
opposes), which keeps every name and number and so needs reading, not word matching.

Documents are split into dev and test by a hash of their id, so tuning on dev never sees a test
document. The data's licences are research-only: write outside the repository.

    python bench/claims_build.py --out /tmp/claims            # dev.jsonl and test.jsonl
    python bench/claims_build.py --out /tmp/claims --docs 40  # documents per corpus and split
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from reuters import load_reuters  # noqa: E402

from qa.text import split_sentences  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval"
MONTHS = ("January February March April May June July August September October November "
          "December").split()
WEEKDAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
_NAME = re.compile(r"(?<![\w.])(?:[A-Z][a-z]+|[A-Z]{2,5})(?:\s+(?:[A-Z][a-z]+|[A-Z]{2,5}))*")
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_YEAR = re.compile(r"\b(19[5-9]\d|20[0-2]\d)\b")
_AUX = re.compile(r"\b(is|was|are|were|will|would|can|could|has|have|had|did|does|do|should|"
                  r"must|may|might)\b(?!\s+not\b|n't)")
_NEGATED = re.compile(r"\b(is|was|are|were|will|would|could|has|have|had|did|does|do|should|"
                      r"must|may|might)(?:\s+not\b|n't\b)|\bcan(?:not\b|'t\b)|\bwon't\b")
_PRONOUNS = {"he": "she", "she": "he", "his": "her", "him": "her", "himself": "herself",
             "herself": "himself"}
_SYNONYMS = {"said": "stated", "big": "large", "large": "big", "rise": "increase",
             "rose": "increased", "fell": "dropped", "bought": "purchased", "buy": "purchase",
             "start": "begin", "started": "began", "began": "started", "help": "assist",
             "firm": "company", "company": "firm", "shows": "indicates", "showed": "indicated",
             "about": "around", "also": "as well", "near": "close to", "many": "numerous",
             "main": "principal", "total": "overall", "wants": "wishes", "chief": "head",
             "expected": "anticipated", "because": "since", "plans": "intends",
             "major": "leading", "biggest": "largest", "quickly": "rapidly", "often": "frequently"}
_CONNECTIVES = re.compile(r"^(?:However|Meanwhile|But|And|Also|In addition|Still|Yet|Now|So|"
                          r"Separately|Instead),\s+")
_REPORTED = re.compile(r"^(?P<body>.+?),\s+(?P<who>(?:he|she|they|[A-Z][\w.' -]{1,40}?))\s+"
                       r"(?P<verb>said|says|added|told reporters)\.$")
_NOT_NAMES = frozenset(MONTHS + WEEKDAYS) | frozenset(
    "The A An In On At It He She They We I But And This That These Those If When While As For "
    "Mr Mrs Ms Dr His Her Its Their Our There After Before Since".split())
Transform = Callable[[str, "Doc", random.Random], str | None]


class Doc:
    def __init__(self, corpus: str, doc_id: str, text: str) -> None:
        self.corpus, self.id, self.text = corpus, doc_id, text
        self.sentences = [text[a:b] for a, b in split_sentences(text)]
        self.names = sorted({n for s in self.sentences for n in _names_in(s)})
        self.numbers = sorted(set(_NUMBER.findall(text)))


def _names_in(sentence: str) -> list[str]:
    # names not first in the sentence (a capital there may be any word)
    return [m.group() for m in _NAME.finditer(sentence)
            if m.start() > 0 and m.group() not in _NOT_NAMES
            and m.group().split()[0] not in _NOT_NAMES]


def entity_swap(s: str, doc: Doc, rng: random.Random) -> str | None:
    names = _names_in(s)
    if not names:
        return None
    old = rng.choice(names)
    others = [n for n in doc.names if n not in s and n.lower() not in old.lower()
              and old.lower() not in n.lower() and (len(n.split()) > 1) == (len(old.split()) > 1)]
    if not others:
        return None
    return s.replace(old, rng.choice(others), 1)


def number_swap(s: str, doc: Doc, rng: random.Random) -> str | None:
    numbers = [m for m in _NUMBER.finditer(s) if not _YEAR.fullmatch(m.group())]
    if not numbers:
        return None
    m = rng.choice(numbers)
    others = [n for n in doc.numbers if n not in s and not _YEAR.fullmatch(n)]
    if others and rng.random() < 0.6:
        new = rng.choice(others)
    else:
        digits = m.group().replace(",", "")
        value = float(digits)
        factor = rng.choice([10, 2, 3])
        new_value = value * factor if rng.random() < 0.5 or value < 10 else value / factor
        new = (f"{new_value:.1f}" if "." in digits else f"{int(round(new_value))}")
        if new == m.group():
            new = str(int(value) + rng.randint(1, 9))
    return s[:m.start()] + new + s[m.end():]


def date_swap(s: str, doc: Doc, rng: random.Random) -> str | None:
    for pool in (MONTHS, WEEKDAYS):
        found = [w for w in pool if re.search(rf"\b{w}\b", s)]
        if found:
            old = rng.choice(found)
            new = rng.choice([w for w in pool if w != old and w not in s])
            return re.sub(rf"\b{old}\b", new, s, count=1)
    year = _YEAR.search(s)
    if year:
        new = str(int(year.group()) + rng.choice([-3, -2, -1, 1, 2, 3]))
        return s[:year.start()] + new + s[year.end():]
    return None


def pronoun_swap(s: str, doc: Doc, rng: random.Random) -> str | None:
    found = list(re.finditer(r"\b(he|she|his|him|himself|herself)\b", s, re.I))
    if not found:
        return None
    m = rng.choice(found)
    new = _PRONOUNS[m.group().lower()]
    new = new.capitalize() if m.group()[0].isupper() else new
    return s[:m.start()] + new + s[m.end():]


def negation(s: str, doc: Doc, rng: random.Random) -> str | None:
    negated = _NEGATED.search(s)
    if negated:  # take the "not" away
        word = negated.group()
        plain = {"cannot": "can", "can't": "can", "won't": "will"}.get(word.lower())
        plain = plain or re.sub(r"(\s+not|n't)$", "", word)
        return s[:negated.start()] + plain + s[negated.end():]
    aux = _AUX.search(s)
    if not aux:
        return None
    return s[:aux.end()] + " not" + s[aux.end():]


def paraphrase(s: str, doc: Doc, rng: random.Random) -> str | None:
    out = s
    reported = _REPORTED.match(out)
    if reported and reported.group("body")[0] != '"':
        body = reported.group("body")
        who = reported.group("who")
        body = body[0].lower() + body[1:] if body[:2] not in ("I ",) and \
            not _NAME.match(body.split()[0] if body.split() else "x") else body
        out = f"{who[0].upper() + who[1:]} {reported.group('verb')} that {body}."
    out = _CONNECTIVES.sub("", out)
    out = out[0].upper() + out[1:] if out else out
    words = out.split(" ")
    swaps = [i for i, w in enumerate(words) if w.lower() in _SYNONYMS]
    for i in rng.sample(swaps, min(2, len(swaps))):
        w = words[i]
        new = _SYNONYMS[w.lower()]
        words[i] = new.capitalize() if w[0].isupper() else new
    out = " ".join(words)
    out = re.sub(r"(\d)%", r"\1 percent", out)
    out = re.sub(r"\bdidn't\b", "did not", out)
    out = re.sub(r"\bisn't\b", "is not", out)
    out = re.sub(r"\bwasn't\b", "was not", out)
    return out if out != s else None


_ANTONYMS = dict(pair for a, b in (
    ("rose", "fell"), ("rise", "fall"), ("rises", "falls"), ("increased", "decreased"),
    ("increase", "decrease"), ("higher", "lower"), ("won", "lost"), ("win", "lose"),
    ("gained", "lost"), ("largest", "smallest"), ("biggest", "smallest"), ("strong", "weak"),
    ("stronger", "weaker"), ("profit", "loss"), ("profits", "losses"), ("best", "worst"),
    ("early", "late"), ("earlier", "later"), ("approved", "rejected"), ("accepted", "rejected"),
    ("supports", "opposes"), ("support", "oppose"), ("bought", "sold"), ("buy", "sell"),
    ("positive", "negative"), ("above", "below"), ("maximum", "minimum"), ("north", "south"),
    ("east", "west"), ("majority", "minority"), ("first", "last"), ("large", "small"),
    ("more", "fewer"), ("new", "old"), ("rising", "falling"), ("good", "bad"),
    ("success", "failure"), ("successful", "unsuccessful"), ("agreed", "refused"),
    ("allowed", "banned"), ("open", "closed"), ("opened", "closed"), ("joined", "left"),
    ("increasing", "decreasing"), ("major", "minor"), ("long", "short"), ("high", "low"))
    for pair in ((a, b), (b, a)))
_CLAUSE_END = re.compile(r",\s+(?:which|while|but|and|although|though|after|as|because|who)\s|"
                         r";\s|\s+-\s")


def antonym(s: str, doc: Doc, rng: random.Random) -> str | None:
    found = [m for m in re.finditer(r"\b[a-z]+\b", s) if m.group() in _ANTONYMS]
    if not found:
        return None
    m = rng.choice(found)
    return s[:m.start()] + _ANTONYMS[m.group()] + s[m.end():]


def compression(s: str, doc: Doc, rng: random.Random) -> str | None:
    cut = _CLAUSE_END.search(s)
    if not cut or s.count('"') or len(s[:cut.start()].split()) < 7:
        return None
    return s[:cut.start()].rstrip(",;: ") + "."


TRANSFORMS: dict[str, Transform] = {
    "entity_swap": entity_swap, "number_swap": number_swap, "date_swap": date_swap,
    "pronoun_swap": pronoun_swap, "negation": negation, "antonym": antonym,
}


def usable(sentence: str) -> bool:
    n = len(sentence.split())
    return 8 <= n <= 45 and sentence[-1:] in '.!?"' and "\n" not in sentence


def claims_for(doc: Doc, others: list[Doc], rng: random.Random) -> Iterator[dict[str, object]]:
    pool = [s for s in doc.sentences if usable(s)]
    if len(pool) < 2:
        return
    rng.shuffle(pool)

    def row(claim: str, label: int, transform: str) -> dict[str, object]:
        return {"id": f"{doc.id}#{transform}", "corpus": doc.corpus, "document": doc.text,
                "claim": claim, "label": label, "transform": transform}

    yield row(pool[0], 1, "verbatim")
    for s in pool[1:]:
        if (p := paraphrase(s, doc, rng)) is not None:
            yield row(p, 1, "paraphrase")
            break
    for s in pool[2:]:
        if (c := compression(s, doc, rng)) is not None:
            yield row(c, 1, "compression")
            break
    for name, transform in TRANSFORMS.items():
        for s in pool:
            if (claim := transform(s, doc, rng)) is not None and claim != s:
                yield row(claim, 0, name)
                break
    other = rng.choice([d for d in others if d is not doc])
    moved = [s for s in other.sentences if usable(s) and s not in doc.text]
    if moved:
        yield row(rng.choice(moved), 0, "other_article")


def _bbc() -> list[Doc]:
    path = SHARED / "bbc-news-summary" / "bbc_news_summary.jsonl"
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        docs.append(Doc("bbc", f"bbc/{r['id']}", r["article"].strip()))
    return docs


def _reuters() -> list[Doc]:
    docs = []
    for d in load_reuters(SHARED / "reuters21578", limit=3000):
        # the wire wraps lines at ~70 characters: rejoin paragraphs (a line break ends a sentence)
        paras = [" ".join(p.split()) for p in re.split(r"\n\s*\n|\n(?=\s{2,})", d.text)]
        text = "\n\n".join(p for p in paras if p)
        letters = [c for c in text if c.isalpha()]
        if len(text) > 600 and letters and sum(c.isupper() for c in letters) < 0.3 * len(letters):
            docs.append(Doc("reuters", f"reuters/{d.external_id or d.key}", text))
    return docs


def _squad() -> list[Doc]:
    path = SHARED / "squad2-dev-5articles" / "squad2_dev_first5articles.json"
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [Doc("squad", f"squad/{a['title']}/{i}", p["context"].strip())
            for a in data for i, p in enumerate(a["paragraphs"])]


def split_of(doc_id: str) -> str:
    return "dev" if hashlib.sha256(doc_id.encode()).digest()[0] % 2 == 0 else "test"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for dev/test .jsonl")
    parser.add_argument("--docs", type=int, default=40, help="documents per corpus and split")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if ROOT in args.out.resolve().parents or args.out.resolve() == ROOT:
        parser.error("write the claims outside the repository (research-only licences)")
    args.out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    counts: dict[str, dict[str, int]] = {}
    with (args.out / "dev.jsonl").open("w", encoding="utf-8") as dev, \
            (args.out / "test.jsonl").open("w", encoding="utf-8") as test:
        for corpus in (_bbc(), _reuters(), _squad()):
            for split, sink in (("dev", dev), ("test", test)):
                docs = [d for d in corpus if split_of(d.id) == split]
                rng.shuffle(docs)
                for doc in docs[:args.docs]:
                    for r in claims_for(doc, docs, rng):
                        sink.write(json.dumps(r, ensure_ascii=False) + "\n")
                        per = counts.setdefault(split, {})
                        per[str(r["transform"])] = per.get(str(r["transform"]), 0) + 1
    print(json.dumps(counts, indent=1))


if __name__ == "__main__":
    main()
