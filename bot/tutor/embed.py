"""Static sentence embeddings in the bot process: numpy and `tokenizers`, no torch.

`StaticEmbedder` reads the token table that `bot.tutor.distill` wrote (one MiniLM output per
vocabulary token) and embeds a text as the normalised mean of its tokens' rows, leaving out the
special tokens and a short list of function words, which carry little meaning and pull every
text towards the same average.
"""

from __future__ import annotations

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


class StaticEmbedder:
    def __init__(self, table: np.ndarray, tokenizer_path: Path, table_path: Path | None = None):
        from tokenizers import Tokenizer

        self.table = table  # float16 as stored, memory-mapped by `load`: only the rows read are resident
        self.table_path = table_path  # the file `table` maps, when it maps one (see `forget_rows`)
        self.dim = self.table.shape[1]
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
        return cls(np.load(table, mmap_mode="r"), tokenizer, table)

    def forget_rows(self) -> None:
        """Map the table afresh, so that the rows read so far are no longer resident in this process.
        Encoding every passage (an index rebuild) reads most of the table (~22 MB of RSS that would stay
        until the process ends); a question reads only its own tokens' rows. The file's pages stay in
        the OS's cache, so reading them again costs no disk."""
        if self.table_path is not None:
            self.table = np.load(self.table_path, mmap_mode="r")

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [i for i in self.tokenizer.encode(text[:4000], add_special_tokens=False).ids if i not in self.skip]
            if not ids:
                continue
            vector = self.table[ids[:MAX_TOKENS]].astype(np.float32).mean(0)
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
