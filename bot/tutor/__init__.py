"""Ask the tutor: learners' questions answered from the course (and from their own runs).

`passages` cuts the course into passages, `distill` (torch, offline only) turns the bundled MiniLM
into a static token table, `embed` embeds text with that table (numpy + tokenizers, torch-free),
`index` builds/loads the on-disk index, `retrieve` ranks passages (BM25 + cosine, hybrid), and
`answer` turns a ranking into an answer with citations.
"""
