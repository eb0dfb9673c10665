"""Prompt templates live in prompts/*.md and are rendered with named fields.

`settings.prompts_dir` may hold the user's own copies; a file missing there falls back to the
packaged one (so a user can override just one template), but a `prompts_dir` that does not exist
is an error, never silently ignored. A template that names an unknown field is an error.
"""

from __future__ import annotations

import string
from importlib import resources
from pathlib import Path

from qa.errors import ConfigError
from qa.refusal import NOT_IN_DOCUMENTS


def load_template(name: str, prompts_dir: Path | None = None) -> str:
    filename = f"{name}.md"
    if prompts_dir is not None:
        if not prompts_dir.is_dir():
            raise ConfigError(f"{prompts_dir}: prompts folder not found",
                              fix="fix QA_PROMPTS_DIR or create the folder")
        custom = prompts_dir / filename
        if custom.is_file():
            return custom.read_text(encoding="utf-8")
    try:
        return resources.files("prompts").joinpath(filename).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"prompt template {filename} not found",
                          fix="reinstall qa-desk or add it to your prompts folder") from exc


def render(template: str, **fields: str) -> str:
    fields.setdefault("not_in_documents", NOT_IN_DOCUMENTS)
    names = {f for _, f, _, _ in string.Formatter().parse(template) if f}
    missing = names - set(fields)
    if missing:
        raise ConfigError(f"prompt template uses unknown field(s): {', '.join(sorted(missing))}",
                          fix=f"use only {{{'}, {'.join(sorted(fields))}}}")
    return template.format(**fields)
