// The developer panel: every Web API call the bot made and every request delivered to the bot,
// newest first, each opening to its JSON. Fetched incrementally (`after=`) as journal events arrive.

import { getJson } from "./api.js";

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function title(entry) {
  if (entry.kind === "api") return entry.method;
  if (entry.kind === "delivery") return `→ bot: ${entry.type}`;
  if (entry.kind === "response_url") return "response_url";
  return entry.kind;
}

function detail(entry) {
  if (entry.kind === "api") return { args: entry.args, response: entry.response };
  if (entry.kind === "delivery") {
    let reply = entry.response_body;
    try { reply = JSON.parse(reply); } catch { /* plain text ack */ }
    return { payload: entry.payload, status: entry.status, response: reply, error: entry.error };
  }
  return entry;
}

export class DevPanel {
  constructor(root, list, filter) {
    this.root = root;
    this.list = list;
    this.filter = filter;
    this.lastSeq = 0;
    this.loading = null;
    this.again = false;
    filter.addEventListener("input", () => this.applyFilter());
  }

  get open() { return !this.root.classList.contains("hidden"); }

  toggle() {
    this.root.classList.toggle("hidden");
    document.body.classList.toggle("dev-open", this.open);
    if (this.open) this.refresh();
  }

  /** Fetch entries after the last one shown; calls made while a fetch runs coalesce into one more. */
  async refresh() {
    if (!this.open) return;
    if (this.loading) { this.again = true; return this.loading; }
    this.loading = (async () => {
      do {
        this.again = false;
        const answer = await getJson("journal", { after: this.lastSeq });
        for (const entry of answer.entries || []) this.add(entry);
      } while (this.again);
    })();
    try { await this.loading; } finally { this.loading = null; }
  }

  add(entry) {
    this.lastSeq = Math.max(this.lastSeq, entry.seq);
    const ok = entry.ok === false ? "bad" : "good";
    const summary = el("summary", `journal-summary ${ok}`, [
      el("span", "journal-seq", [`#${entry.seq}`]),
      el("span", "journal-title", [title(entry)]),
      entry.error ? el("span", "journal-error", [String(entry.error)]) : null,
      el("span", "journal-time", [new Date(entry.time * 1000).toLocaleTimeString()]),
    ]);
    const body = el("pre", "journal-json", [JSON.stringify(detail(entry), null, 2)]);
    const item = el("details", `journal-entry kind-${entry.kind}`, [summary, body]);
    item.dataset.kind = entry.kind;
    item.dataset.search = title(entry).toLowerCase();
    this.list.prepend(item);
    this.applyFilter(item);
  }

  applyFilter(only = null) {
    const word = this.filter.value.trim().toLowerCase();
    const items = only ? [only] : this.list.children;
    for (const item of items) item.classList.toggle("hidden", Boolean(word) && !item.dataset.search.includes(word));
  }
}
