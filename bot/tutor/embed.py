"""Static sentence embeddings in the bot process: numpy and `tokenizers`, no torch.

`StaticEmbedder` reads the token table that `bot.tutor.distill` wrote (one MiniLM output per
vocabulary token) and embeds a text as the normalised mean of its tokens' rows, leaving out the
special tokens and a short list of function words, which carry little meaning and pull every
text towards the same average.
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path

import numpy as np

TABLE_FILE = "minilm-static.npy"
TOKENIZER_FILE = "minilm-tokenizer.json"
FINGERPRINT_FILE = "minilm-static.txt"
MAX_TOKENS = 256
SKIP_WORDS = frozenset(
    "a an the of to in on for and or is are was were be been it its this that these those i my me we our you "
    "your do does did can could should would will with as at by from so if what why how when which who whom "
    "there their them they he she his her have has had not no but about into than then".split())


class TokenTable:
    """The float16 token table, read row by row from its .npy file with `os.pread`: embedding a text reads
    its tokens' rows (from the OS's file cache after the first time) and keeps none of the file resident
    in this process. A memory map kept every page it touched, in folios of up to 2 MB, for the process's
    life: a rebuild's embedding of every passage made nearly all of its 23 MB resident, and a few dozen
    questions did the same (goal 5: the bot's RSS)."""

    def __init__(self, path: Path):
        with open(path, "rb") as file:
            version = np.lib.format.read_magic(file)
            read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                           (2, 0): np.lib.format.read_array_header_2_0}[version]
            shape, fortran_order, dtype = read_header(file)
            self.offset = file.tell()
        if len(shape) != 2 or fortran_order:
            raise ValueError(f"{path}: expected a C-ordered 2-D table, got shape {shape}")
        self.rows_count, self.dim = shape
        self.dtype = dtype
        self.row_bytes = self.dim * dtype.itemsize
        self.fd = os.open(path, os.O_RDONLY)
        # Closed when the table is collected, never by exit's hooks: the bot's start reads the table on a
        # daemon thread (TutorService.warm), and a process stopped within that second still reads it
        # while those hooks run. The OS closes the file when the process ends.
        weakref.finalize(self, os.close, self.fd).atexit = False

    def rows(self, ids: list[int]) -> np.ndarray:
        """The rows of `ids`, in order (repeats included), as stored (float16)."""
        unique, inverse = np.unique(np.asarray(ids, dtype=np.int64), return_inverse=True)
        out = np.empty((len(unique), self.dim), dtype=self.dtype)
        for k, token in enumerate(unique.tolist()):
            if not 0 <= token < self.rows_count:
                raise IndexError(f"token {token} is outside the table ({self.rows_count} rows)")
            out[k] = np.frombuffer(os.pread(self.fd, self.row_bytes, self.offset + token * self.row_bytes), self.dtype)
        return out[inverse.reshape(-1)]


class StaticEmbedder:
    def __init__(self, table: TokenTable, tokenizer_path: Path):
        from tokenizers import Tokenizer

        self.table = table
        self.dim = table.dim
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.no_truncation()
        # token_to_id, not get_vocab(): a 30k-entry dict for a few dozen look-ups costs ~3 MB of RSS for good
        ids = (self.tokenizer.token_to_id(t) for t in (*SKIP_WORDS, "[CLS]", "[SEP]", "[PAD]", "[UNK]"))
        self.skip = {i for i in ids if i is not None}

    @classmethod
    def load(cls, directory: Path) -> "StaticEmbedder | None":
        directory = Path(directory)
        table, tokenizer = directory / TABLE_FILE, directory / TOKENIZER_FILE
        if not (table.exists() and tokenizer.exists()):
            return None
        return cls(TokenTable(table), tokenizer)

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [i for i in self.tokenizer.encode(text[:4000], add_special_tokens=False).ids if i not in self.skip]
            if not ids:
                continue
            vector = self.table.rows(ids[:MAX_TOKENS]).astype(np.float32).mean(0)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                out[row] = vector / norm
        return out


def write_table(directory: Path, table: np.ndarray, tokenizer_json: Path, fingerprint: str) -> None:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / (TABLE_FILE + ".tmp.npy")
    np.save(tmp, table.astype(np.float16))
    tmp.replace(directory / TABLE_FILE)
    (directory / TOKENIZER_FILE).write_bytes(Path(tokenizer_json).read_bytes())
    (directory / FINGERPRINT_FILE).write_text(fingerprint)


def table_fingerprint(directory: Path) -> str | None:
    path = Path(directory) / FINGERPRINT_FILE
    return path.read_text().strip() if path.exists() and (Path(directory) / TABLE_FILE).exists() else None
