"""Speed and peak memory of the MiniLM int8 ONNX session under different onnxruntime options.

    python bench/minilm_session_options.py [--start 1000] [--stop 3000] [--shared ../shared]
                                           [--out bench/results/minilm_session_options.json]

Embeds the chunks of Reuters-21578 stories start..stop (default settings' chunking and
`embedding_text`) the way `MiniLMEmbedder.embed` does (sorted by length, batches of 32 padded to
their longest item), once per variant, each in a fresh subprocess so that ru_maxrss is that
variant's own peak:
- `committed`: arena off, memory patterns off (vectorstore/minilm.py since 065b92e);
- `arena_only`: arena on, memory patterns off;
- `ort_defaults`: arena on, memory patterns on;
- `fixed_256_defaults`: ORT defaults, every text padded to 256 (what Chroma's ONNXMiniLM_L6_V2
  does).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from reuters import find_reuters, load_reuters

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = {  # name: (enable_cpu_mem_arena, enable_mem_pattern, fixed length or None)
    "committed": (False, False, None),
    "arena_only": (True, False, None),
    "ort_defaults": (True, True, None),
    "fixed_256_defaults": (True, True, 256),
}
BATCH = 32


def run_variant(name: str, folder: Path, start: int, stop: int) -> dict[str, Any]:
    import numpy as np
    import onnxruntime as ort

    from qa.ingest.chunker import chunk_document
    from qa.ingest.pipeline import embedding_text
    from qa.settings import Settings
    from vectorstore.minilm import load_tokenizer, model_file

    arena, pattern, fixed = VARIANTS[name]
    settings = Settings(store=Path("unused"))
    docs = load_reuters(folder, stop)[start:]
    texts = [embedding_text(d, c) for d in docs
             for c in chunk_document(d, size=settings.chunk_tokens, overlap=settings.chunk_overlap)]
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.enable_cpu_mem_arena = arena
    options.enable_mem_pattern = pattern
    session = ort.InferenceSession(str(model_file()), sess_options=options,
                                   providers=["CPUExecutionProvider"])
    tokenizer = load_tokenizer()
    if fixed:
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]", length=fixed)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    load_before = [round(x, 2) for x in os.getloadavg()]
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(0, len(order), BATCH):
        encodings = tokenizer.encode_batch([texts[j] for j in order[i:i + BATCH]])
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        session.run(["last_hidden_state"], {"input_ids": ids, "attention_mask": mask,
                                            "token_type_ids": np.zeros_like(ids)})
    return {"variant": name, "enable_cpu_mem_arena": arena, "enable_mem_pattern": pattern,
            "padding": f"fixed {fixed}" if fixed else "longest in batch", "texts": len(texts),
            "wall_s": round(time.perf_counter() - wall, 1),
            "cpu_s": round(time.process_time() - cpu, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_before": load_before}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--start", type=int, default=1000)
    parser.add_argument("--stop", type=int, default=3000)
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path,
                        default=ROOT / "bench" / "results" / "minilm_session_options.json")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    folder = find_reuters(args.shared)
    if folder is None:
        print(f"skipped: Reuters-21578 not found ({args.shared / 'eval' / 'reuters21578'})")
        return 0
    if args.variant:  # the child process: one variant, result as JSON on stdout
        print(json.dumps(run_variant(args.variant, folder, args.start, args.stop)))
        return 0
    rows = []
    for name in VARIANTS:
        out = subprocess.run([sys.executable, __file__, "--variant", name, "--start",
                              str(args.start), "--stop", str(args.stop), "--shared",
                              str(args.shared)], check=True, capture_output=True, text=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{name:<20} {row['texts']} texts  {row['wall_s']:6.1f} s wall  "
              f"{row['cpu_s']:6.1f} s CPU  peak RSS {row['peak_rss_mb']:5d} MB  "
              f"load {row['load_before']}", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"stories": [args.start, args.stop], "batch": BATCH,
                                    "nproc": os.cpu_count(), "variants": rows}, indent=2) + "\n")
    print(f"results: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
