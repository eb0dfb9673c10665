"""OpenAIGenerator against a REAL llama.cpp server (`python -m llama_cpp.server`) on the 0.5B model.

llama.cpp's server serves its one model under any requested name (it falls back to the default
alias), so an unknown model cannot be provoked here: that path is tested against the stub in
test_generator_faults.py. Here we check that the fallback really happens, so a change in that
behaviour is noticed.
"""

from __future__ import annotations

import pytest
from llm_servers import closed_after_test

from qa.generators.base import GenerationRequest, generate
from qa.generators.local_backend import LocalGenerator
from qa.generators.openai_backend import OpenAIGenerator
from qa.generators.registry import choose_backend, make_generator
from qa.settings import Settings

pytestmark = [pytest.mark.server, pytest.mark.model]

ZORBIA = [
    {"role": "system", "content": "Answer the question from the passage, in one sentence."},
    {"role": "user", "content": "Passage: The capital of Zorbia is Quillon. Zorbia exports "
                                "tin and wool.\n\nQuestion: What is the capital of Zorbia?"},
]


def make(url: str, model: str = "local") -> OpenAIGenerator:
    return closed_after_test(OpenAIGenerator(Settings(base_url=url, model=model, timeout=60,
                                                      max_retries=0)))


def test_answers_through_the_real_server(llama_server: str) -> None:
    gen = make(llama_server)
    assert gen.name == "openai:local"
    text = generate(gen, GenerationRequest(task="answer", messages=ZORBIA, max_tokens=40))
    assert "Quillon" in text
    assert gen.last_finish_reason in {"stop", "length"}
    gen.close()


def test_streams_in_several_pieces(llama_server: str) -> None:
    gen = make(llama_server)
    pieces = list(gen.stream(GenerationRequest(task="answer", messages=ZORBIA, max_tokens=40)))
    assert len(pieces) > 1
    assert "Quillon" in "".join(pieces)


def test_json_mode_through_the_server(llama_server: str) -> None:
    import json

    messages = [*ZORBIA[:1], {"role": "user", "content": ZORBIA[1]["content"]
                              + '\nReply as JSON: {"answer": "..."}'}]
    text = generate(make(llama_server), GenerationRequest(task="answer", messages=messages,
                                                          max_tokens=40, json_mode=True))
    assert isinstance(json.loads(text), dict)


def test_llama_cpp_server_accepts_any_model_name(llama_server: str) -> None:
    text = generate(make(llama_server, model="no-such-model"),
                    GenerationRequest(task="answer", messages=ZORBIA, max_tokens=24))
    assert text.strip()


def test_auto_picks_openai_for_an_endpoint(llama_server: str) -> None:
    settings = Settings(base_url=llama_server, model="local")
    assert choose_backend(settings)[0] == "openai"
    gen = make_generator(settings)
    assert gen.name == "openai:local"
    gen.close()


def test_choice_probabilities_through_the_server(llama_server: str,
                                                small_local_generator: LocalGenerator) -> None:
    """The pick check (qa/answer/pick.py) reads the server's top_logprobs: they must give the same
    distribution as the same model's logits read in process."""
    gen = make(llama_server)
    messages = [{"role": "system", "content": "You pick the sentence that answers a question."},
                {"role": "user", "content": "Sentences:\n1. Zorbia exports tin.\n2. The capital "
                 "of Zorbia is Quillon.\n\nQuestion: What is the capital of Zorbia?\n\nWhich "
                 "sentence states the answer? If none, reply 0. Reply with the number only."}]
    served = gen.choice_probabilities(messages, ["0", "1", "2"])
    local = small_local_generator.choice_probabilities(messages, ["0", "1", "2"])
    assert served is not None and len(served) == 3
    assert abs(sum(served) - 1) < 1e-6
    assert max(abs(a - b) for a, b in zip(served, local, strict=True)) < 0.05
    gen.close()
