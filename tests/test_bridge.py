"""The bridge article and the opening sentence (qa/answer/bridge.py): a short answer's evidence
reaches the article of the entity its first pick names, retrieved by that name when the question
did not bring it, and a document's opening sentence joins the evidence of the passage it opens."""

from __future__ import annotations

from pathlib import Path

from articles import articles_fixture, articles_index
from scripted import Scripted

from qa.answer.ask import AnswerOptions, ask
from qa.answer.bridge import LINK_SCORE, bridge, linked_articles, opening, with_openings
from qa.answer.evidence import Retriever, lists_articles, titled_with
from qa.records import Passage
from qa.retrieve import retrieve
from vectorstore.index import Index

ARTICLES = {
    "Glass Tide": '"Glass Tide" is a song recorded by the singer Nora Vale in 2011. It was the '
                  'first single of her second studio album. The song reached number four in '
                  'Norway.',
    "Nora Vale": "Nora Vale (born 4 May 1980 in the city of Bergen) is a Norwegian singer who "
                 "recorded five albums. She has released five albums. Her mother taught music.",
    "Harbour Lights": "Harbour Lights is a song recorded by the band Tern in 1999. It was "
                      "written in Oslo.",
    "Bergen": "Bergen is a city on the west coast of Norway. It is known for its harbour.",
}
VALE = ("Nora Vale (born 4 May 1980 in the city of Bergen) is a Norwegian singer who recorded "
        "five albums.")
QUESTION = "Glass Tide is a song recorded by a singer born in which city?"

index = articles_fixture(ARTICLES)


def _retriever(index: Index, k: int = 1) -> tuple[list[str], Retriever]:
    queries: list[str] = []

    def more(query: str) -> list[Passage]:
        queries.append(query)
        return retrieve(index, query, k=k)
    return queries, more


def test_the_article_of_a_name_the_first_pick_holds_is_retrieved_by_that_name(
        index: Index) -> None:
    passages = retrieve(index, QUESTION, k=1)
    assert passages[0].doc.title == "Glass Tide"  # the question alone reaches the song only
    queries, more = _retriever(index)
    first = passages[0].text.split(". ")[0] + "."
    link = bridge(QUESTION, [(first, 1)], passages, more, index.embedder)
    assert link is not None
    assert link.query == "Nora Vale" and link.passage.doc.title == "Nora Vale"
    assert "Nora Vale" in queries
    # its best sentence for the question, which is also its opening one, once
    assert link.sentences == (VALE,)


def test_no_bridge_without_a_store_article_for_a_name_or_a_retriever(index: Index) -> None:
    passages = retrieve(index, "Harbour Lights song band", k=1)
    assert passages[0].doc.title == "Harbour Lights"
    evidence = [("Harbour Lights is a song recorded by the band Tern in 1999.", 1)]
    # "Tern" and "Oslo" have no article of their own
    assert bridge("Which band recorded Harbour Lights?", evidence, passages,
                  _retriever(index)[1], index.embedder) is None
    # without a retriever, only what was retrieved already can be the article
    first = [("Glass Tide is a song recorded by the singer Nora Vale in 2011.", 1)]
    glass = retrieve(index, QUESTION, k=1)
    assert bridge(QUESTION, first, glass, None, index.embedder) is None


def test_an_article_that_holds_little_of_what_the_first_passage_lacks_is_not_read(
        index: Index) -> None:
    """LINK_SCORE holds back a linked article that holds too little of what the question asks
    beyond the first passage: "Bergen" is named, but of the record label it says nothing; and
    when the first passage holds every term of the question, no article is read at all."""
    passages = retrieve(index, "Nora Vale albums", k=1)
    assert passages[0].doc.title == "Nora Vale"
    evidence = [("She has released five albums.", 1), (VALE, 1)]
    question = "How many albums has Nora Vale released on her record label?"
    link = bridge(question, evidence, passages, _retriever(index)[1], index.embedder)
    assert link is None, (link, LINK_SCORE)
    link = bridge(question, evidence, passages, _retriever(index)[1], index.embedder,
                  least_score=0.0)  # else it would be read
    assert link is not None and link.query == "Bergen" and link.score == 0.0
    held = "How many albums has Nora Vale released?"
    assert bridge(held, evidence, passages, _retriever(index)[1], index.embedder,
                  least_score=0.0) is None


def test_a_retrieved_article_whose_title_the_first_passage_holds_is_linked(
        index: Index) -> None:
    """The evidence sentence names no one ("She was born there"), but its passage's text names
    Bergen, whose article was retrieved and holds what the question asks beyond it."""
    passages = [*retrieve(index, "Nora Vale", k=1), *retrieve(index, "Bergen harbour", k=1)]
    assert [p.doc.title for p in passages] == ["Nora Vale", "Bergen"]
    assert linked_articles(passages, passages[:1]) == passages[1:]
    assert linked_articles(passages, passages[1:]) == []  # Bergen's text names no Nora Vale
    # a retrieved article the question names word for word is linked too
    songs = [*retrieve(index, "Nora Vale", k=1), *retrieve(index, "Glass Tide single", k=1)]
    assert [p.doc.title for p in songs] == ["Nora Vale", "Glass Tide"]
    assert linked_articles(songs, songs[:1]) == []
    assert linked_articles(songs, songs[:1], "In which country did Glass Tide chart?") == \
        songs[1:]
    assert linked_articles(songs, songs[:1], "In which country did Glass Tides chart?") == []
    # as a name: "glass tide" in lower case is no title
    assert linked_articles(songs, songs[:1], "In which country did the glass tide rise?") == []
    question = "On which coast is the city where Nora Vale was born?"
    link = bridge(question, [("Her mother taught music.", 1)], passages, None, index.embedder)
    assert link is not None and link.passage.doc.title == "Bergen"
    assert link.sentences == ("Bergen is a city on the west coast of Norway.",)


def test_the_opening_sentence_joins_the_evidence_of_the_passage_it_opens(
        index: Index) -> None:
    passages = retrieve(index, "Nora Vale mother music", k=1)
    evidence = [("Her mother taught music.", 1)]
    assert with_openings(evidence, passages) == [
        ("Her mother taught music.", 1),
        (VALE, 1)]
    # an opening already in the evidence is not repeated
    assert with_openings(with_openings(evidence, passages), passages) == \
        with_openings(evidence, passages)


def test_a_later_chunk_has_no_opening_sentence(index: Index) -> None:
    [passage] = retrieve(index, "Nora Vale", k=1)
    assert opening(passage).startswith("Nora Vale (born 4 May 1980 in")
    later = Passage(chunk=type(passage.chunk)(doc_id=passage.chunk.doc_id, ordinal=1,
                                              text="Her mother taught music.", start=120,
                                              end=144),
                    doc=passage.doc, score=passage.score)
    assert opening(later) == ""
    assert with_openings([("Her mother taught music.", 1)], [later]) == [
        ("Her mother taught music.", 1)]


def test_a_confident_pick_of_the_bridge_sentence_is_answered_from_the_article(
        index: Index) -> None:
    """The pick names the singer; the city is in her article, which the question did not
    retrieve: the answer reads it (the hop shown), and cites both passages."""
    chooser = Scripted(probabilities=[0.02, 0.9, 0.05, 0.03], answer_style="pick")
    answer = ask(index, chooser, QUESTION, AnswerOptions(k=1, answer_style="pick"))
    assert not answer.refused, answer.withheld
    assert answer.hops == ["Nora Vale"]
    cited = {answer.passages[c.number - 1].doc.title for s in answer.sentences
             for c in s.citations}
    assert cited == {"Glass Tide", "Nora Vale"}
    assert "Bergen" in " ".join(s.text for s in answer.sentences)


def test_a_disambiguation_page_is_no_article_of_the_name(tmp_path: Path) -> None:
    pages = {"Nora Vale": "Nora Vale (born 4 May 1980) is a Norwegian singer.",
             "Tern": "Tern may refer to: Tern (band), a Norwegian band; Tern (bird).",
             "Glass Tide (disambiguation)": "Glass Tide is a song by Tern; a novel.",
             "Brussels Griffon": "The Brussels Griffon is a breed of toy dog. The name may "
                                 "refer to three breeds."}
    index = articles_index(tmp_path, pages)
    try:
        passages = [next(p for p in retrieve(index, text, k=3) if p.doc.title == title)
                    for title, text in pages.items()]
    finally:
        index.close()
    assert [lists_articles(p) for p in passages] == [False, True, True, False]
    assert not titled_with("Tern", passages[1])
    # the singer's text names neither page's title, the question names both
    assert linked_articles(passages, passages[:1], "Did Tern record Glass Tide?") == []
