#!/usr/bin/env python3
"""Rebuild content/datasets/messy_tickets.csv (run from the repository root) from the project's own support_tickets.csv, with
problems put in on purpose (seeded): copies, conflicting labels, a rare class, missing labels."""
import csv, random
from collections import defaultdict
rng = random.Random(16)
with open("content/datasets/support_tickets.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
by = defaultdict(list)
for r in rows:
    by[r["category"]].append(r["text"])
keep = {"billing": 60, "technical": 60, "account": 55, "shipping": 50, "feedback": 12}
out = []
for label, n in keep.items():
    out += [(t, label) for t in rng.sample(by[label], n)]
rng.shuffle(out)
dupes = [rng.choice(out) for _ in range(15)]                       # exact copies, same label
conflict_pool = [r for r in out if r[1] in ("billing", "account")]
conflicts = []
for text, label in rng.sample(conflict_pool, 8):                   # same text, other label
    conflicts.append((text, "account" if label == "billing" else "billing"))
unlabelled = [(t, "") for t in rng.sample(by["technical"], 3) if (t, "technical") not in out][:3]
final = out + dupes + conflicts + unlabelled
rng.shuffle(final)
with open("content/datasets/messy_tickets.csv", "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["text", "category"])
    w.writerows(final)
print(len(final), len(dupes), len(conflicts), len(unlabelled))
