"""The answer's shape on the seed, through the real packaged 0.5B model (and the extractive
backend, no model): a direct answer first, then its cited evidence; open questions answered by
their evidence; a summary of the call; `--json` with answer, evidence, hops and why withheld.
A second hop on a two-document corpus whose answer needs both (scripted chooser: the hop is
the pipeline's, not the model's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT
from scripted import Scripted
from typer.testing import CliRunner

from qa.answer.ask import AnswerOptions, ask
from qa.answer.direct import evidence_quotes
from qa.cli import app
from qa.generators.base import Generator
from qa.generators.extractive import ExtractiveGenerator
from qa.ingest.pipeline import ingest_paths
from qa.records import Answer
from qa.settings import Settings
from qa.store import open_index
from vectorstore.index import Index

TAIWAN = "He reiterated Beijing’s firm position on the Taiwan question"


@pytest.fixture(scope="module")
def seeded_index(seeded_store: Path) -> Iterator[Index]:
    index = open_index(Settings(store=seeded_store))
    yield index
    index.close()


def cited_quotes(answer: Answer) -> list[str]:
    """Every cited span, checked to be the passage's own text."""
    quotes = evidence_quotes(answer)
    for sentence in answer.sentences:
        assert sentence.supported and sentence.citations, sentence
    return quotes


@pytest.mark.model
def test_what_was_said_about_taiwan_is_the_taiwan_sentences(
        seeded_index: Index, small_local_generator: Generator) -> None:
    answer = ask(seeded_index, small_local_generator, "What did Wang say about Taiwan?",
                 AnswerOptions(k=4))
    assert not answer.refused, answer.withheld
    assert answer.kind == "open" and 1 <= len(answer.sentences) <= 4
    assert any(TAIWAN in q for q in cited_quotes(answer))
    assert all("Taiwan" in s.text for s in answer.sentences)  # nothing off the topic asked


@pytest.mark.model
@pytest.mark.parametrize("backend", ["local", "extractive"])
def test_summarise_the_phone_call_is_a_cited_summary(
        seeded_index: Index, small_local_generator: Generator, backend: str) -> None:
    generator = small_local_generator if backend == "local" else ExtractiveGenerator()
    answer = ask(seeded_index, generator, "Summarise the phone call.", AnswerOptions(k=4))
    assert not answer.refused, answer.withheld
    assert answer.kind == "summary" and 2 <= len(answer.sentences) <= 4
    quotes = cited_quotes(answer)
    assert any("telephone conversation" in q or "phone talks" in q for q in quotes)
    assert answer.direct == " ".join(s.text for s in answer.sentences)


@pytest.mark.model
@pytest.mark.parametrize(("question", "short", "evidence"), [
    ("Who died on Nov 29?", "Kissinger", "who died on Nov 29"),
    ("When did Wang Yi and Blinken talk?", "Dec 6", "telephone conversation on Dec 6"),
    ("What did Wang Yi say is the most urgent task?", "cease-fire",
     "the most urgent task is to achieve an immediate cease-fire"),
])
def test_seed_questions_answer_short_and_cite_the_right_sentence(
        seeded_index: Index, small_local_generator: Generator, question: str, short: str,
        evidence: str) -> None:
    answer = ask(seeded_index, small_local_generator, question, AnswerOptions(k=4))
    if answer.refused:  # the 0.5B may doubt; then it says so, and nothing is shown as known
        assert answer.withheld and not answer.direct
        return
    assert short in answer.direct and len(answer.direct.split()) <= 12
    assert any(evidence in q for q in cited_quotes(answer))
    assert answer.direct in " ".join(evidence_quotes(answer))  # a span of the evidence


@pytest.fixture
def env(qa_env: dict[str, str]) -> dict[str, str]:
    return qa_env


def test_json_gives_answer_evidence_spans_hops_and_why_withheld(env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(ROOT / "seeds")]).exit_code == 0
    result = runner.invoke(app, ["ask", "Who died on Nov 29?", "--json"])
    data = json.loads(result.stdout)
    assert data["answer"] == "Henry Kissinger" and data["kind"] == "short"
    assert data["hops"] == [] and data["withheld"] is None
    [evidence] = data["evidence"]
    [citation] = evidence["citations"]
    passage = data["passages"][citation["number"] - 1]["text"]
    start, end = citation["span"]
    assert passage[start:end] == citation["quote"] and "Kissinger" in citation["quote"]
    plain = runner.invoke(app, ["ask", "Who died on Nov 29?"]).stdout.splitlines()
    assert plain[1] == "Henry Kissinger" and "[1]" in plain[2]  # answer line, then evidence
    refused = json.loads(runner.invoke(app, ["ask", "What is the capital of Peru?",
                                             "--json"]).stdout)
    assert refused["refused"] and refused["answer"] is None and refused["withheld"]


FILM = "Night Train is a 2017 crime film starring Ines Okafor, directed by Mara Quell."
ACTOR = ("Ines Okafor is a Nigerian-British actress born in 1984 in Lagos. "
         "She trained at the Bristol Old Vic Theatre School.")


@pytest.fixture
def two_hop_index(tmp_path: Path) -> Iterator[Index]:
    for name, text in (("film", FILM), ("actor", ACTOR)):
        (tmp_path / f"{name}.txt").write_text(text + "\n")
    index = open_index(Settings(store=tmp_path / "store"))
    ingest_paths(index, [tmp_path / "film.txt", tmp_path / "actor.txt"])
    yield index
    index.close()


def test_a_second_hop_retrieves_for_the_bridge_entity(two_hop_index: Index) -> None:
    """The film's passage names its star; where she was born is in another document, which
    the question's words alone do not rank first."""
    chooser = Scripted(probabilities=[0.05, 0.95], answer_style="pick")
    answer = ask(two_hop_index, chooser, "Where was the star of Night Train born?",
                 AnswerOptions(k=1))
    [query] = answer.hops  # one more hop, named
    assert "Ines Okafor" in query  # the entity the first evidence named, not the question
    titles = {answer.passages[c.number - 1].text.split()[0]
              for s in answer.sentences for c in s.citations}
    assert len(answer.passages) == 2 and {"Night", "Ines"} <= titles, answer.sentences


@pytest.mark.model
def test_a_server_gives_its_short_answer_as_json_held_to_the_evidence(llama_server: str) -> None:
    """The 0.5B behind a real llama.cpp server: no grammar crosses the wire, so the short answer
    comes as a JSON reply, and the grounding check is what holds it to the evidence."""
    from qa.answer.direct import grounding_problem, short_answer_messages, span_grammar
    from qa.generators.openai_backend import OpenAIGenerator

    evidence = ["Blinken expressed his gratitude to Wang for his visit to the US embassy in "
                "China on Dec 5 to mourn the passing of former US secretary of state Henry "
                "Kissinger, who died on Nov 29 at the age of 100."]
    question = "Who died on Nov 29?"
    generator = OpenAIGenerator(Settings(base_url=llama_server, model="local",
                                         context_window=2048))
    try:
        reply = generator.constrained_reply(
            short_answer_messages(question, "short", evidence, []),
            span_grammar("short", evidence, []), [], 24)
    finally:
        generator.close()
    assert "Kissinger" in reply and len(reply.split()) <= 12
    assert grounding_problem(reply, "short", evidence, []) == ""
    assert grounding_problem("Richard Nixon", "short", evidence, []) != ""


def test_chat_shows_the_direct_answer_first_and_the_hops_dimmed(two_hop_index: Index) -> None:
    """Chat renders what `qa ask` does: the answer line, its evidence, and each hop's query in
    dim text (the reader sees what else was searched, out of the way)."""
    import io

    from rich.console import Console

    from qa.render import print_chat_answer

    chooser = Scripted(probabilities=[0.05, 0.95], answer_style="pick")
    answer = ask(two_hop_index, chooser, "Where was the star of Night Train born?",
                 AnswerOptions(k=1))
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="standard", width=200)
    print_chat_answer(console, answer)
    shown = buffer.getvalue()
    hop = f"also searched: {answer.hops[0]}"
    assert hop in shown and "\x1b[2m" + hop in shown  # dim
    plain = [line for line in shown.splitlines() if line.strip()]
    # the answer, then its evidence: the hop's sentence (where she was born) first
    assert answer.direct == "Lagos" and answer.direct in plain[1] and "[2]" in plain[2]


def test_eval_answer_multihop_scores_the_direct_answer_and_supporting_passages(
        env: dict[str, str], tmp_path: Path) -> None:
    """`qa eval answer --multihop DIR`: EM and token F1 of the direct answer, citations against
    the gold supporting passages (by title), hops counted."""
    folder = tmp_path / "mh"
    folder.mkdir()
    docs = [{"id": "Night Train", "title": "Night Train", "text": FILM},
            {"id": "Ines Okafor", "title": "Ines Okafor", "text": ACTOR},
            {"id": "Tern River", "title": "Tern River",
             "text": "The Tern River bridge opened on March 1 after four years of work."}]
    questions = [{"id": "q1", "question": "When did the Tern River bridge open?",
                  "answers": ["March 1"], "supporting": ["Tern River"], "type": "bridge"},
                 {"id": "q2", "question": "In which year was Ines Okafor born?",
                  "answers": ["1984"], "supporting": ["Ines Okafor"], "type": "bridge"}]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(d) + "\n" for d in docs))
    (folder / "questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    details = tmp_path / "details.jsonl"
    result = CliRunner().invoke(app, ["eval", "answer", "--multihop", str(folder), "-k", "1",
                                      "-g", "extractive", "--json", "--details", str(details)])
    assert result.exit_code == 0, result.stdout
    summary = json.loads(result.stdout)
    assert summary["exact_match_pct"] == 100.0 and summary["token_f1_pct"] == 100.0
    assert summary["supporting_precision_pct"] == 100.0
    assert summary["supporting_recall_pct"] == 100.0
    assert summary["short_answers_pct"] == 100.0 and summary["hops_mean"] is not None
    records = {r["id"]: r for r in map(json.loads, details.read_text().splitlines())}
    assert records["q2"]["direct"] == "1984" and records["q2"]["supporting_cited"] == 1


def test_a_hop_after_a_confident_pick_adds_no_evidence_unless_the_question_names_a_relation(
        two_hop_index: Index) -> None:
    """SQuAD 2.0: a hop after a first pick the model stood by appended a sentence of an
    unrelated passage to evidence that already held the answer. Only a question that turns on
    a relation ("the star of X") takes what the hop found; it is then read first."""
    chooser = Scripted(probabilities=[0.05, 0.95], answer_style="pick")
    plain = ask(two_hop_index, chooser, "Where was the Night Train lead born?",
                AnswerOptions(k=1))
    assert len(plain.hops) == 1 and len(plain.passages) == 2  # the hop was taken
    assert {c.number for s in plain.sentences for c in s.citations} == {1}
    related = ask(two_hop_index, chooser, "Where was the star of Night Train born?",
                  AnswerOptions(k=1))
    cited = [c.number for s in related.sentences for c in s.citations]
    assert cited[0] == 2 and 1 in cited  # where she was born first, then the bridge


@pytest.mark.parametrize(("question", "relation"), [
    ("Where was the director of film Léonor born?", True),
    ("Where did Carl Von Fersen's wife die?", True),
    ("What is the date of birth of George Ernest's father?", True),
    ("Who is the spouse of the director of film Up, Down, Fragile?", True),  # the director
    ("Do director of film A and director of film B have the same nationality?", True),
    ("Do both directors of films A and B share the same nationality?", True),
    ("Who is the director of film Up?", False),
    ("Who is Philip Of Sicily's father?", False),  # the father is the answer
    ("Who was the father of Genghis Khan?", False),
    ("When did Wang Yi and Blinken talk?", False),
    ("What is the name of the river that flows through Warsaw?", False),
])
def test_names_a_relation(question: str, relation: bool) -> None:
    from qa.answer.evidence import names_a_relation

    assert names_a_relation(question) is relation


def test_a_hop_counts_only_when_it_reaches_the_entity(two_hop_index: Index) -> None:
    """What a second hop finds may rescue a doubted first hop only from a passage about the
    entity the first evidence named."""
    from qa.answer.evidence import Hop, reached
    from qa.retrieve import retrieve

    [actor] = retrieve(two_hop_index, "Bristol Old Vic Theatre School", k=1)
    assert reached(Hop("Ines Okafor born", ("Ines Okafor",)), actor)
    assert not reached(Hop("Mara Quell born", ("Mara Quell",)), actor)


@pytest.mark.parametrize(("sentence", "names"), [
    ("Rajneesh Duggal is an Indian film actor and a former model.", []),
    ("It is an extended play by American singer John Mayer.", ["John Mayer"]),
    ("She is a Democratic member of the Texas House.", ["Texas House"]),
    ("The song by Logan was a hit in Jordan and in the Italian charts.", ["Logan", "Jordan"]),
    ("Aubrey Scotto was born on 15 March 1952 in Boston.", ["Boston"]),
])
def test_a_hop_is_taken_to_names_not_to_nationalities_or_months(sentence: str,
                                                                  names: list[str]) -> None:
    from qa.answer.evidence import new_names

    assert list(new_names(sentence, frozenset())) == names
