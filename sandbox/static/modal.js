// The modal on top of the current person's stack: its blocks, Submit and Close, and the bot's
// `response_action: errors` shown under the inputs they name. `update` and `push` arrive as view
// changes over the event stream; the modal is rebuilt only when its id or hash changes, so typing
// is never wiped by an unrelated refresh.

import { renderBlocks } from "./blocks.js";
import { postJson, uploadFile } from "./api.js";
import { notice } from "./dialogs.js";

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child) node.append(child);
  return node;
}

export class ModalLayer {
  constructor(root, page) {
    this.root = root;
    this.page = page; // {user(), act(kind, element, block, extra, target)}
    this.shown = null; // "id:hash" of the view on screen
  }

  /** Show the top of `stack` (or nothing). */
  show(stack) {
    const view = stack.length ? stack[stack.length - 1] : null;
    const key = view ? `${view.id}:${view.hash}` : null;
    if (key === this.shown) return;
    this.shown = key;
    this.root.replaceChildren();
    this.root.classList.toggle("hidden", !view);
    if (view) this.root.append(this.render(view, stack.length));
  }

  render(view, depth) {
    const inputs = {};
    const ctx = {
      inputs,
      act: (kind, element, block, extra) => this.page.act(kind, element, block, extra, { view_id: view.id }),
    };
    const close = el("button", "modal-x", ["×"]);
    close.type = "button";
    close.title = "Close";
    close.addEventListener("click", () => this.close());
    const header = el("div", "modal-header", [
      el("div", "modal-title", [view.title?.text || "Modal"]),
      depth > 1 ? el("span", "modal-depth", [`${depth} of 3`]) : null, close]);
    const footer = el("div", "modal-footer");
    const cancel = el("button", "bk-button modal-close", [view.close?.text || "Cancel"]);
    cancel.type = "button";
    cancel.addEventListener("click", () => this.close());
    footer.append(cancel);
    if (view.submit) {
      const submit = el("button", "bk-button primary modal-submit", [view.submit.text || "Submit"]);
      submit.type = "button";
      submit.addEventListener("click", async () => {
        submit.disabled = true;
        try { await this.submit(view, inputs); } finally { submit.disabled = false; }
      });
      footer.append(submit);
    }
    const box = el("div", "modal", [header, el("div", "modal-body", [renderBlocks(view.blocks, ctx)]), footer]);
    box.dataset.viewId = view.id;
    box.dataset.callbackId = view.callback_id || "";
    return box;
  }

  async collect(inputs) {
    const values = {};
    for (const [blockId, entry] of Object.entries(inputs)) {
      let value = entry.get();
      if (entry.file && entry.file()) {
        // Slack stores a file_input's file before the submission; the sandbox does it by a DM upload.
        const answer = await uploadFile(this.page.user(), this.page.user(), entry.file());
        value = answer.file ? answer.file.id : null;
      }
      values[blockId] = { [entry.action_id]: value };
    }
    return values;
  }

  async submit(view, inputs) {
    Object.values(inputs).forEach((entry) => entry.showError(null));
    const values = await this.collect(inputs);
    const answer = await postJson("submit", { user: this.page.user(), view_id: view.id, values });
    if (answer.ok === false || answer.error || answer.status !== 200) {
      notice(`Submit failed: ${answer.error || "HTTP " + answer.status}`, "error");
      return;
    }
    const reply = answer.json || {};
    if (reply.response_action === "errors") {
      let shown = false;
      for (const [blockId, message] of Object.entries(reply.errors || {})) {
        if (inputs[blockId]) { inputs[blockId].showError(message); shown = true; }
        else notice(`The bot reported an error for a block this view lacks (${blockId}): ${message}`, "error");
      }
      if (!shown) notice("The bot rejected the submission.", "error");
    }
  }

  async close() {
    const answer = await postJson("close", { user: this.page.user() });
    if (answer && answer.ok === false) notice(`Close failed: ${answer.error}`, "error");
    await this.page.refreshViews();
  }
}
