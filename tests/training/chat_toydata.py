"""Toy chat data for the chat tests, written on the fly: support questions about a made-up app and
answers in the house format (content/datasets/support_chat.md), varied enough that no two prompts
are equal. Never copied from the shared sample set."""

from __future__ import annotations

import csv
import json
from pathlib import Path

SYSTEM = "You are the support assistant for Quillpad, a note-taking app for teams."
_FEATURES = ["sync", "sharing", "tags", "search", "export", "billing", "offline mode", "attachments",
             "notebooks", "reminders", "SSO login", "the desktop app"]
_PROBLEMS = ["stopped working", "is very slow", "shows an error", "keeps crashing", "lost my changes"]
_STEPS = ["Sign out and sign back in.", "Update Quillpad to the latest version.",
          "Check your internet connection.", "Clear the app cache in Settings.", "Restart your device."]


def toy_conversations(n: int, *, start: int = 0) -> list[dict]:
    rows = []
    for i in range(start, start + n):
        feature = _FEATURES[i % len(_FEATURES)]
        problem = _PROBLEMS[(i // len(_FEATURES)) % len(_PROBLEMS)]
        question = f"Ticket {i}: {feature} {problem} on my laptop. What can I do?"
        steps = [_STEPS[(i + k) % len(_STEPS)] for k in range(2 + i % 3)]
        answer = "\n".join(["Hi there, thanks for reaching out!",
                            f"It sounds like {feature} {problem} for you (ticket {i}).",
                            *[f"{k}. {s}" for k, s in enumerate(steps, start=1)],
                            "If that doesn't fix it, reply here and we'll dig in.",
                            "— Sam, Quillpad Support"])
        rows.append({"messages": [{"role": "system", "content": SYSTEM}, {"role": "user", "content": question},
                                  {"role": "assistant", "content": answer}]})
    return rows


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def write_pairs_csv(path: Path, records: list[dict], header=("prompt", "response")) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for record in records:
            turns = record["messages"]
            writer.writerow([turns[1]["content"], turns[2]["content"]][:len(header)])
    return path
