"""Extractive story summaries on small hand-made stories: what is never picked, what is picked
once, and that the fact several outlets share wins over one outlet's aside."""

from __future__ import annotations

import time

import pytest

from qa.brief.extract import (
    DEFAULT,
    ExtractParams,
    Pick,
    document_frequencies,
    is_summary_sentence,
    select_sentences,
)
from qa.eval.rouge import first_k, rouge_scores, truncate_words

FLOOD = ("Floods forced thousands of residents from their homes in the river valley on Monday. "
         "Rescue teams used boats to reach families stranded on rooftops overnight. "
         "The regional governor declared a state of emergency across the valley.")


def picked(texts: list[str], picks: list[Pick]) -> list[str]:
    return [texts[p.article][p.start:p.end] for p in picks]


def test_picks_are_verbatim_spans_of_the_articles() -> None:
    texts = [FLOOD, "Officials said the river rose by three metres in a single night, a record.\n\n"
                    "Schools in the valley will stay closed until the water falls, they added."]
    picks = select_sentences(texts)
    assert picks
    for p in picks:
        sentence = texts[p.article][p.start:p.end]
        assert sentence == sentence.strip() and sentence[-1] in ".!"
        assert sentence in texts[p.article]


def test_max_sentences_is_respected() -> None:
    assert len(select_sentences([FLOOD], max_sentences=3)) == 3
    assert len(select_sentences([FLOOD], max_sentences=2)) == 2
    assert len(select_sentences([FLOOD], max_sentences=1)) == 1
    assert select_sentences([FLOOD], max_sentences=0) == []


def test_max_words_skips_a_sentence_that_would_go_over_the_budget() -> None:
    picks = select_sentences([FLOOD], max_words=25)
    assert sum(len(s.split()) for s in picked([FLOOD], picks)) <= 25
    assert len(picks) == 2  # the 13- and 12-word sentences fit; the third would not


@pytest.mark.parametrize("line", [
    "Residents wade through flood water in the valley town on Monday (PHOTO / AFP).",
    "Rescue workers carry a child to safety in the flooded valley. Photo: Reuters.",
    "A rescue worker carries a child through the flooded valley town (Getty Images).",
    "A rescue worker carries a child through the flooded valley town (John Doe/AFP).",
    "Residents survey the damage in the valley town on Tuesday. AFP/Getty Images.",
    "Click here to sign up for our daily newsletter on the valley floods.",
    "By Jane Doe and John Roe, valley correspondents.",
    "This article first appeared in the Harbor Times, a sister paper in the valley.",
    "Reporting by Jane Doe in the valley; Editing by John Roe in London.",
    "Will the valley's flood defences ever be rebuilt in time for winter?",
    "\"We have lost everything we owned in the flood.\"",
    "“Needless to say, the flood was not “an act of God.”",  # unbalanced marks
    "\"The river rose faster than anyone in the valley expected.",  # a quote that runs on
    "Reid said the flood barrier should be built somewhere else entirely.\"",  # ... and ends
    "Floods.",
    "floods forced thousands of residents from their homes in the valley on Monday.",
])
def test_non_sentences_are_not_summary_material(line: str) -> None:
    assert not is_summary_sentence(line)


@pytest.mark.parametrize("line", [
    "\"We have lost everything,\" said one farmer in the valley town.",
    "\"We have lost everything,\" he said, \"and nobody has come to help us.\"",
    "The mayor called it “the worst flood in living memory” on Monday.",
    "LONDON (Reuters) - Floods forced thousands from their homes in the valley on Monday.",
    "Sony (which makes image sensors for phones) said profits rose by a tenth.",
    "A Reuters/Ipsos poll found most voters in the valley back the new flood plan.",
])
def test_an_attributed_quote_is_summary_material(line: str) -> None:
    assert is_summary_sentence(line)


def test_a_caption_line_is_never_picked_even_when_it_is_the_most_central() -> None:
    caption = ("Floods forced thousands of residents from their homes in the river valley "
               "(PHOTO / AFP).")
    texts = [caption + "\n" + FLOOD, caption + "\nThe floods were the worst in the valley "
                                               "for fifty years, residents said."]
    chosen = picked(texts, select_sentences(texts, max_sentences=3))
    assert chosen and all("PHOTO" not in s for s in chosen)


def test_two_outlets_stating_the_same_fact_yield_one_pick() -> None:
    same = "Floods forced thousands of residents from their homes in the river valley on Monday."
    texts = [FLOOD, same.replace("Monday", "Monday morning") + " Officials counted the cost."]
    chosen = picked(texts, select_sentences(texts, max_sentences=3))
    assert sum("Floods forced thousands" in s for s in chosen) == 1


# Each outlet leads with its own aside; only the middle fact is common to all three.
BANK = [
    "A gallery in the old town reopened its sculpture garden after a long restoration. "
    "The central bank raised its main interest rate to five percent on Thursday. "
    "Shops near the harbour reported quiet trade over the holiday weekend.",
    "Local football fans queued overnight for tickets to the cup final at the stadium. "
    "On Thursday the central bank raised its main interest rate to five percent. "
    "A new ferry timetable starts next month for island commuters.",
    "Snow closed the mountain pass to lorries for a second day running this week. "
    "The central bank's main interest rate rose to five percent, it said on Thursday. "
    "A popular bakery chain opened three branches in the northern suburbs.",
]


def test_the_fact_shared_by_several_articles_wins_over_an_aside() -> None:
    first = picked(BANK, select_sentences(BANK, max_sentences=1))
    assert len(first) == 1 and "interest rate" in first[0]


def test_support_from_other_articles_raises_the_shared_fact_only() -> None:
    def scores(support: float) -> dict[str, float]:
        picks = select_sentences(BANK, max_sentences=3,
                                 params=ExtractParams(support_weight=support, redundancy=0.0))
        return {s[:20]: p.score for s, p in zip(picked(BANK, picks), picks, strict=True)}

    without, with_support = scores(0.0), scores(1.0)
    shared = "The central bank rai"
    assert with_support[shared] - without[shared] > 0.3
    asides = [k for k in with_support if k != shared and k in without]
    assert asides and all(with_support[k] - without[k] < 0.2 for k in asides)


def test_without_support_a_lead_wins_the_same_story() -> None:
    """The previous test passes because of the cross-article evidence, not by accident."""
    texts = ["A gallery in the old town reopened its sculpture garden after a long restoration. "
             "The central bank raised its main interest rate to five percent on Thursday."]
    params = ExtractParams(lead_weight=1.0)
    first = picked(texts, select_sentences(texts, max_sentences=1, params=params))
    assert "gallery" in first[0]


def test_background_frequencies_change_what_is_central() -> None:
    """Budget words and sewer words are each in two of the story's sentences: by the story's
    own idf the budget sentence is central; a background where every document talks budgets
    makes the sewer sentence central. (Two sentences sharing no word would tie whatever the
    idf: each is as close to their centroid.)"""
    texts = ["The council approved the new budget for the coming year on Tuesday evening. "
             "The budget for the coming year adds money for libraries and parks. "
             "The ageing sewer network gets repairs from the council. "
             "Residents have long complained about the sewer network."]
    df = document_frequencies(["the new budget for the coming year"] * 50 + ["sewer network"])
    params = ExtractParams(lead_weight=0.0)
    own = select_sentences(texts, max_sentences=1, params=params)
    assert "budget" in picked(texts, own)[0]
    picks = select_sentences(texts, max_sentences=1, background_df=df, background_docs=51,
                             params=params)
    assert "sewer" in picked(texts, picks)[0]


def test_nothing_to_pick_gives_no_picks() -> None:
    assert select_sentences([]) == []
    assert select_sentences(["", "(PHOTO / AFP)", "Click here."]) == []


def test_twenty_articles_take_well_under_half_a_second() -> None:
    article = " ".join(f"Sentence {i} of the report says the flood reached district {i} by "
                       f"noon and closed road {i * 7} for the day." for i in range(40))
    texts = [article.replace("flood", f"flood{k}") for k in range(20)]
    select_sentences(texts[:2])  # the first call imports scipy
    start = time.perf_counter()
    picks = select_sentences(texts, params=DEFAULT)
    assert time.perf_counter() - start < 0.5 and len(picks) == 3


def test_rouge_and_the_first_k_baseline() -> None:
    assert first_k(FLOOD, 2) == FLOOD.rsplit(" The regional", 1)[0]
    assert truncate_words("one two  three four", 3) == "one two three"
    scores = rouge_scores(FLOOD, FLOOD)
    assert scores == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    assert rouge_scores("boats rescued families", FLOOD)["rouge2"] == 0.0
