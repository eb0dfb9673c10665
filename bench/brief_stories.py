"""Story clustering and near-duplicate detection of `qa brief`, measured on the shared story sets.

    python bench/brief_stories.py [--sweep] [--no-vectors] [--shared ../shared]
                                  [--cache /tmp/brief-cluster]
                                  [--out bench/results/brief_stories.json]

Clustering: ECB+ and BASIL (`../shared/eval/news-stories/`, gold label `story`), each set one
window, features as a briefing computes them (`qa.brief.cluster`: titles, texts, dates; IDF from
the window). Reported: adjusted Rand index, B-cubed precision/recall/F1, purity, seconds; also
BASIL with its dates removed (text only, as inside a one-day window) and both sets in one window.
Document vectors (only used by `--sweep`'s `vector_weight` rows, the default weight is 0) are
made the way ingest makes them: every 256-token chunk (64 overlap) embedded as
"title. chunk" by MiniLM, a document's vector the normalised mean of its chunks'; cached as .npy
under --cache, keyed by the texts' hash. `--sweep` varies one parameter at a time around the
defaults and adds the plain TF-IDF + average-linkage baseline.

Near-duplicates (`qa.brief.dedup`): positives are light rewrites of real BBC News Summary and
Reuters-21578 articles (fixed seed); negatives are different outlets' reports of one event
(BASIL same-story pairs, ECB+ same-story pairs) and every pair of stories of Reuters' busiest day.
Reported: shingle-Jaccard percentiles per kind, precision/recall by threshold, recall of
`near_duplicate_groups` itself, the real duplicate groups it finds in all of Reuters-21578, and
the seconds dedup + clustering take on the busiest day's stories.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from reuters import find_reuters, load_reuters

from qa.brief.cluster import DEFAULT, ClusterItem, ClusterParams, cluster_stories
from qa.brief.dedup import (
    DEFAULT_THRESHOLD,
    SHINGLE_WORDS,
    jaccard,
    near_duplicate_groups,
    shingles,
)
from qa.eval.metrics import adjusted_rand_index, bcubed_f1, percentile, purity
from qa.records import Document
from qa.text import split_sentences

ROOT = Path(__file__).resolve().parents[1]
SETS = ("ecbplus", "basil")
SEED = 9
POSITIVES_PER_CORPUS = 600
SWEEP: dict[str, Sequence[Any]] = {
    "distance_threshold": (0.7, 0.725, 0.75, 0.775, 0.8),
    "entity_weight": (1.0, 1.5, 2.0, 2.5, 3.0),
    "neighbour_decay": (3.0, 4.0, 5.0, 6.0, 8.0),
    "second_order_weight": (0.0, 0.25, 0.5, 0.75),
    "max_days_apart": (3, 7, 14, 30, 100_000),
    "title_weight": (1, 2, 3),
    "vector_weight": (0.0, 0.15, 0.3),
}
BASELINE = ClusterParams(distance_threshold=0.8, entity_weight=1.0, second_order_weight=0.0,
                         max_days_apart=100_000)
CORRECTION = ("Correction: an earlier version of this article gave a wrong figure in the "
              "third paragraph; it has been corrected.")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------ story sets

def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def doc_vectors(rows: Sequence[dict[str, Any]], cache: Path) -> np.ndarray:
    """Normalised mean chunk vector per row, chunked and embedded as ingest does; cached."""
    key = hashlib.sha256("\0".join(r["title"] + "\0" + r["text"] for r in rows).encode())
    path = cache / f"docvec-{key.hexdigest()[:16]}.npy"
    if path.exists():
        return np.load(path)
    from qa.ingest.chunker import chunk_document
    from qa.ingest.pipeline import embedding_text
    from qa.settings import Settings
    from vectorstore.minilm import MiniLMEmbedder

    settings = Settings(store=Path("unused"))
    texts: list[str] = []
    owner: list[int] = []
    for i, row in enumerate(rows):
        doc = Document(key=row["id"], text=row["text"], title=row["title"], source="",
                       published=None, sha256=hashlib.sha256(row["text"].encode()).hexdigest())
        for chunk in chunk_document(doc, size=settings.chunk_tokens,
                                    overlap=settings.chunk_overlap):
            texts.append(embedding_text(doc, chunk))
            owner.append(i)
    log(f"  embedding {len(texts)} chunks of {len(rows)} documents (cached in {path})")
    chunk_vectors = MiniLMEmbedder(batch_size=settings.embed_batch).embed(texts)
    sums = np.zeros((len(rows), chunk_vectors.shape[1]), dtype=np.float32)
    np.add.at(sums, np.array(owner), chunk_vectors)
    sums /= np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, sums)
    return sums


def items_of(rows: Sequence[dict[str, Any]], vectors: np.ndarray | None,
             dated: bool = True) -> list[ClusterItem]:
    return [ClusterItem(title=r["title"], text=r["text"],
                        vector=None if vectors is None else vectors[i],
                        published=date.fromisoformat(r["date"]) if dated and r["date"] else None)
            for i, r in enumerate(rows)]


def clustering_scores(gold: Sequence[str], items: Sequence[ClusterItem],
                      params: ClusterParams) -> dict[str, float]:
    start = time.perf_counter()
    pred = cluster_stories(items, params)
    seconds = time.perf_counter() - start
    p, r, f1 = bcubed_f1(gold, pred)
    return {"ari": round(adjusted_rand_index(gold, pred), 3), "bcubed_p": round(p, 3),
            "bcubed_r": round(r, 3), "bcubed_f1": round(f1, 3),
            "purity": round(purity(gold, pred), 3), "clusters": len(set(pred)),
            "gold_stories": len(set(gold)), "seconds": round(seconds, 2)}


def run_clustering(windows: dict[str, tuple[list[str], list[ClusterItem]]],
                   sweep: bool, have_vectors: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"params": dataclasses.asdict(DEFAULT), "default": {}}
    for name, (gold, items) in windows.items():
        out["default"][name] = clustering_scores(gold, items, DEFAULT)
        log(f"  {name:<16} {out['default'][name]}")
    if not sweep:
        return out
    rows: list[dict[str, Any]] = []
    settings: list[tuple[str, Any, ClusterParams]] = [("baseline", "tf-idf avg 0.8", BASELINE)]
    for field, values in SWEEP.items():
        if field == "vector_weight" and not have_vectors:
            continue
        settings += [(field, v, dataclasses.replace(DEFAULT, **{field: v})) for v in values]
    for field, value, params in settings:
        row: dict[str, Any] = {"parameter": field, "value": value}
        for name in ("ecbplus", "basil", "basil_undated"):
            gold, items = windows[name]
            score = clustering_scores(gold, items, params)
            row[name] = f"{score['ari']:.3f} / {score['bcubed_f1']:.3f}"
        rows.append(row)
        log(f"  sweep {row}")
    out["sweep"] = rows
    return out


# ------------------------------------------------------------------------------ near-duplicates

def rewrites(text: str, other: str, rng: random.Random) -> dict[str, str]:
    """Light rewrites of `text` (each one edit, plus one of two edits); `other` lends a sentence."""
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    donor = [other[s:e] for s, e in split_sentences(other)] or ["A new sentence was added."]
    k = rng.randrange(1, len(sentences)) if len(sentences) > 1 else 0
    # paragraphs: blank-line separated (BBC), or a line break before an indent (Reuters)
    paragraphs = [p for p in re.split(r"\n\s*\n|\n(?=[ \t])", text) if p.strip()]
    out = {
        "headline_changed": text,  # dedup sees the body; a new headline changes nothing there
        "sentence_dropped": "\n".join(sentences[:k] + sentences[k + 1:]),
        "sentence_replaced": "\n".join(sentences[:k] + [rng.choice(donor)] + sentences[k + 1:]),
        "correction_added": text + "\n" + CORRECTION,
        "last_paragraph_cut": "\n".join(paragraphs[:-1]) if len(paragraphs) > 1
        else "\n".join(sentences[:-1]),
        "rewrapped": " ".join(text.split()).replace(". ", ".\n\n", 3),
    }
    out["correction_and_cut"] = out["last_paragraph_cut"] + "\n" + CORRECTION
    return out


def positive_pairs(corpora: dict[str, list[str]], rng: random.Random
                   ) -> list[tuple[str, str, str]]:
    """(kind, original, rewrite) for POSITIVES_PER_CORPUS articles of each corpus."""
    pairs: list[tuple[str, str, str]] = []
    for texts in corpora.values():
        usable = [t for t in texts if len(t.split()) >= 40]
        for text in rng.sample(usable, min(POSITIVES_PER_CORPUS, len(usable))):
            for kind, rewritten in rewrites(text, rng.choice(usable), rng).items():
                pairs.append((kind, text, rewritten))
    return pairs


def story_pairs(rows: Sequence[dict[str, Any]]) -> list[tuple[str, str]]:
    by_story: dict[str, list[str]] = {}
    for row in rows:
        by_story.setdefault(row["story"], []).append(row["text"])
    return [(a[i], a[j]) for a in by_story.values() for i in range(len(a))
            for j in range(i + 1, len(a))]


def quantiles(values: Sequence[float]) -> dict[str, float]:
    return {f"p{int(q * 100)}": round(percentile(values, q), 3)
            for q in (0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0)}


def run_dedup(corpora: dict[str, list[str]], story_rows: dict[str, list[dict[str, Any]]],
              day_texts: list[str], all_reuters: list[Document]) -> dict[str, Any]:
    rng = random.Random(SEED)
    positives = positive_pairs(corpora, rng)
    pos_sims: dict[str, list[float]] = {}
    for kind, a, b in positives:
        pos_sims.setdefault(kind, []).append(jaccard(shingles(a), shingles(b)))
    neg_sims: dict[str, list[float]] = {
        name: [jaccard(shingles(a), shingles(b)) for a, b in story_pairs(rows)]
        for name, rows in story_rows.items()}
    day_sets = [shingles(t) for t in day_texts]
    neg_sims["reuters_same_day"] = [jaccard(day_sets[i], day_sets[j])
                                    for i in range(len(day_sets))
                                    for j in range(i + 1, len(day_sets))]
    all_pos = [s for v in pos_sims.values() for s in v]
    all_neg = [s for v in neg_sims.values() for s in v]
    by_threshold = []
    for threshold in (0.2, 0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8):
        tp = sum(s >= threshold for s in all_pos)
        fp = sum(s >= threshold for s in all_neg)
        by_threshold.append({"threshold": threshold, "recall": round(tp / len(all_pos), 4),
                             "precision": round(tp / (tp + fp), 4) if tp + fp else 1.0,
                             "false_positives": fp,
                             "false_positives_by_kind": {k: sum(s >= threshold for s in v)
                                                         for k, v in neg_sims.items()}})
    # the function itself (LSH candidates + exact check): per kind, originals and rewrites in
    # one list; a positive is found when the two land in one group
    found = 0
    for kind in pos_sims:
        pairs = [(a, b) for k, a, b in positives if k == kind]
        n = len(pairs)
        label = {i: g[0] for g in near_duplicate_groups([a for a, _ in pairs] +
                                                         [b for _, b in pairs]) for i in g}
        found += sum(i in label and label.get(i + n) == label[i] for i in range(n))
    return {
        "shingle_words": SHINGLE_WORDS, "threshold": DEFAULT_THRESHOLD,
        "positives": {k: {"pairs": len(v), **quantiles(v)} for k, v in pos_sims.items()},
        "negatives": {k: {"pairs": len(v), **quantiles(v)} for k, v in neg_sims.items()},
        "by_threshold": by_threshold,
        "function_recall_on_positives": round(found / len(positives), 4),
        "reuters_duplicates": reuters_duplicates(all_reuters),
    }


def reuters_duplicates(docs: list[Document]) -> dict[str, Any]:
    start = time.perf_counter()
    groups = near_duplicate_groups([d.text for d in docs])
    seconds = time.perf_counter() - start
    exact = sum(len({docs[i].sha256 for i in g}) == 1 for g in groups)
    same_day = sum(len({docs[i].published for i in g}) == 1 for g in groups)
    # NEWIDs and dates only: the texts' licence keeps them out of the repository
    examples = [[f"{docs[i].external_id} {docs[i].published}" for i in g]
                for g in groups if len({docs[i].sha256 for i in g}) > 1][:8]
    return {"stories": len(docs), "groups": len(groups),
            "stories_in_groups": sum(len(g) for g in groups),
            "groups_all_identical_text": exact, "groups_near_not_identical": len(groups) - exact,
            "groups_within_one_day": same_day, "seconds": round(seconds, 1),
            "near_examples": examples}


def timed(fn: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return round(best, 3)


# ------------------------------------------------------------------------------ main

def report(results: dict[str, Any]) -> str:
    """The figures as Markdown tables (what docs/benchmarks.md quotes)."""
    c, d, b = results["clustering"], results["dedup"], results["busiest_day"]
    lines = ["| window | ARI | B-cubed P / R / F1 | purity | clusters / gold | s |",
             "|---|---|---|---|---|---|"]
    for name, m in c["default"].items():
        lines.append(f"| {name} | {m['ari']:.3f} | {m['bcubed_p']:.3f} / {m['bcubed_r']:.3f} / "
                     f"{m['bcubed_f1']:.3f} | {m['purity']:.3f} | {m['clusters']} / "
                     f"{m['gold_stories']} | {m['seconds']} |")
    if "sweep" in c:
        lines += ["", "| parameter | value | ECB+ ARI / B3 F1 | BASIL | BASIL undated |",
                  "|---|---|---|---|---|"]
        lines += [f"| {r['parameter']} | {r['value']} | {r['ecbplus']} | {r['basil']} | "
                  f"{r['basil_undated']} |" for r in c["sweep"]]
    lines += ["", "| pairs | n | min | p1 | p5 | median | p95 | p99 | max |",
              "|---|---|---|---|---|---|---|---|---|"]
    for side in ("positives", "negatives"):
        for kind, q in d[side].items():
            lines.append(f"| {side[:3]}: {kind} | {q['pairs']} | " + " | ".join(
                f"{q[k]:.3f}" for k in ("p0", "p1", "p5", "p50", "p95", "p99", "p100")) + " |")
    lines += ["", "| threshold | recall | precision | negatives at or above (by kind) |",
              "|---|---|---|---|"]
    lines += [f"| {t['threshold']} | {t['recall']:.4f} | {t['precision']:.4f} | "
              f"{t['false_positives']} {t['false_positives_by_kind']} |"
              for t in d["by_threshold"]]
    r = d["reuters_duplicates"]
    lines += ["", f"near_duplicate_groups recall on the positives: "
              f"{d['function_recall_on_positives']:.4f} (threshold {d['threshold']})",
              f"Reuters-21578: {r['groups']} groups holding {r['stories_in_groups']} of "
              f"{r['stories']} stories ({r['groups_all_identical_text']} of identical texts, "
              f"{r['groups_near_not_identical']} near; {r['groups_within_one_day']} within one "
              f"day), {r['seconds']} s",
              f"busiest day {b['date']}: {b['stories']} stories, dedup {b['dedup_s']} s, "
              f"clustering {b['cluster_s']} s, {b['stories_found']} stories, "
              f"{b['near_duplicate_groups']} near-duplicate groups"]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/brief-cluster"))
    parser.add_argument("--sweep", action="store_true", help="print the sensitivity table")
    parser.add_argument("--no-vectors", action="store_true", help="do not embed (sweep skips "
                        "the vector_weight rows)")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "bench" / "results" / "brief_stories.json")
    args = parser.parse_args(argv)
    stories = args.shared / "eval" / "news-stories"
    bbc = args.shared / "eval" / "bbc-news-summary" / "bbc_news_summary.jsonl"
    reuters_folder = find_reuters(args.shared)
    if not all((stories / f"{s}.jsonl").exists() for s in SETS) or reuters_folder is None \
            or not bbc.exists():
        print(f"skipped: the story sets, BBC News Summary or Reuters-21578 are not under "
              f"{args.shared / 'eval'}")
        return 0

    rows = {name: read_jsonl(stories / f"{name}.jsonl") for name in SETS}
    vectors = {name: None if args.no_vectors else doc_vectors(r, args.cache)
               for name, r in rows.items()}
    gold = {name: [r["story"] for r in rs] for name, rs in rows.items()}
    windows = {name: (gold[name], items_of(rows[name], vectors[name])) for name in SETS}
    windows["basil_undated"] = (gold["basil"], items_of(rows["basil"], vectors["basil"], False))
    windows["both_one_window"] = (gold["ecbplus"] + gold["basil"],
                                  windows["ecbplus"][1] + windows["basil"][1])
    log("clustering")
    results: dict[str, Any] = {"benchmark": "brief stories and near-duplicates",
                               "command": "python " + " ".join([Path(sys.argv[0]).as_posix(),
                                                                *sys.argv[1:]]),
                               "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    results["clustering"] = run_clustering(windows, args.sweep, not args.no_vectors)

    log("near-duplicates")
    reuters = load_reuters(reuters_folder)
    busiest, count = Counter(d.published for d in reuters).most_common(1)[0]
    day = [d for d in reuters if d.published == busiest]
    bbc_texts = [r["article"] for r in read_jsonl(bbc)]
    results["dedup"] = run_dedup({"bbc": bbc_texts, "reuters": [d.text for d in reuters]},
                                 rows, [d.text for d in day], reuters)
    day_items = [ClusterItem(d.title, d.text, None, d.published) for d in day]
    results["busiest_day"] = {
        "date": str(busiest), "stories": count,
        "dedup_s": timed(lambda: near_duplicate_groups([d.text for d in day])),
        "cluster_s": timed(lambda: cluster_stories(day_items)),
        "stories_found": len(set(cluster_stories(day_items))),
        "near_duplicate_groups": len(near_duplicate_groups([d.text for d in day]))}
    log(f"  busiest day {results['busiest_day']}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(report(results))
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
