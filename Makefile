# Two commands do all the set-up on a fresh machine (see README.md):
#   make demo   install into .venv, ingest seeds/, answer a question with citations, write the
#               seed day's briefing (offline)
#   make test   install the test extras into .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
QA := $(VENV)/bin/qa
QUESTION ?= What did Wang Yi say is the most urgent task?
# llama.cpp is compiled for this machine's CPU without its AMX kernels: on a CPU with AMX
# (Sapphire Rapids), llama-cpp-python 0.3.36 built with -march=native repacks the weights for AMX
# and dies with SIGSEGV in ggml_backend_amx_mul_mat on the first long prompt
# (ggml-org/llama.cpp#20824, seen here in session 13). GCC's explicit -mno-* flags win over
# -march=native whatever their order. Built for AVX2 alone (-DGGML_NATIVE=OFF) it read prompts at
# 62 tokens/s here, natively without AMX at 91 (bench/llama_speed.py). It is built on its own,
# with no wheel cache, so a wheel built with other flags is never reused; its version range is
# pyproject.toml's.
LLAMA_CFLAGS ?= -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?=

.PHONY: demo test clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

$(VENV)/.llama-installed: | $(VENV)/bin/python
	CFLAGS="$(LLAMA_CFLAGS)" CXXFLAGS="$(LLAMA_CFLAGS)" CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" \
		$(VENV)/bin/pip install --quiet --no-cache-dir \
		'llama-cpp-python[server]>=0.3.8'
	touch $@

$(VENV)/.local-installed: pyproject.toml $(VENV)/.llama-installed | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.llama-installed | $(VENV)/bin/python
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.local-installed
	$(QA) ingest seeds/
	$(QA) ask "$(QUESTION)"
	$(QA) brief 2023-12-06 --out briefing.md
	cat briefing.md

test: $(VENV)/.test-installed
	$(VENV)/bin/ruff check qa vectorstore tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest

clean:
	rm -rf $(VENV) build *.egg-info
