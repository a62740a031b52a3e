"""The tutor's index on disk, and loading it in the bot process (torch-free).

Two files in the index folder (`TUTOR_INDEX_DIR`, default `<data dir>/tutor-index`):
- the static MiniLM token table (`minilm-static.npy` + tokenizer), which depends only on the model:
  `tutor lessons index` distils it once (`bot.tutor.distill`, torch, in that command's process);
- `passages.json` + `passages.npy`: the course's passages and their embeddings, stamped with a hash
  of content/ and of the table. `TutorIndex.open` checks both stamps and rebuilds this part in place
  when the content changed (a deploy with new lessons): torch-free, under a second.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.tutor.embed import StaticEmbedder, table_fingerprint
from bot.tutor.passages import Passage, content_hash, load_passages
from bot.tutor.retrieve import Retriever

log = logging.getLogger(__name__)
PASSAGES_FILE = "passages.json"
VECTORS_FILE = "passages.npy"
FORMAT = 1


def shared_table_dir() -> Path:
    """Where `tutor lessons index` keeps the token table when no TUTOR_INDEX_DIR is given: it depends
    only on the model, so every data dir of this machine shares it."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "finetune-tutor"


@dataclass
class TutorIndex:
    passages: list[Passage]
    retriever: Retriever
    content_hash: str
    semantic: bool

    @classmethod
    def open(cls, content_dir: Path, index_dir: Path, table_dir: Path | None = None) -> "TutorIndex":
        """The index for this content: read from disk when its stamps match, else rebuilt and saved."""
        index_dir = Path(index_dir)
        table_dir = table_dir if table_dir is not None else _table_dir(index_dir)
        embedder = StaticEmbedder.load(table_dir) if table_dir else None
        digest = content_hash(content_dir)
        stamp = f"{digest}:{table_fingerprint(table_dir) if embedder else 'lexical'}"
        saved = _read(index_dir, stamp)
        if saved is not None:
            passages, vectors = saved
        else:
            passages = load_passages(content_dir)
            vectors = embedder.encode([f"{p.section}. {p.text}" for p in passages]) if embedder else None
            _write(index_dir, stamp, passages, vectors)
            log.info("tutor index rebuilt: %d passages, %s", len(passages), "hybrid" if embedder else "lexical only")
        if embedder is None:
            log.warning("no MiniLM token table in %s or %s: the tutor answers from BM25 only "
                        "(run `tutor lessons index` once)", index_dir, shared_table_dir())
        return cls(passages, Retriever(passages, embedder, vectors), digest, embedder is not None)


def _table_dir(index_dir: Path) -> Path | None:
    for directory in (index_dir, shared_table_dir()):
        if table_fingerprint(directory):
            return directory
    return None


def _read(index_dir: Path, stamp: str) -> tuple[list[Passage], np.ndarray | None] | None:
    path = index_dir / PASSAGES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("stamp") != stamp:
            return None
        passages = [Passage(**p) for p in data["passages"]]
        vectors = np.load(index_dir / VECTORS_FILE) if data.get("vectors") else None
        if vectors is not None and len(vectors) != len(passages):
            return None
        return passages, vectors
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(index_dir: Path, stamp: str, passages: list[Passage], vectors: np.ndarray | None) -> None:
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        if vectors is not None:
            tmp = index_dir / (VECTORS_FILE + ".tmp.npy")
            np.save(tmp, vectors.astype(np.float32))
            tmp.replace(index_dir / VECTORS_FILE)
        body = {"format": FORMAT, "stamp": stamp, "vectors": vectors is not None,
                "passages": [p.to_dict() for p in passages]}
        tmp = index_dir / (PASSAGES_FILE + ".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
        tmp.replace(index_dir / PASSAGES_FILE)
    except OSError:
        log.warning("could not save the tutor index in %s; it is rebuilt at the next start", index_dir, exc_info=True)
