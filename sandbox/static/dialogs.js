// Small overlays: Block Kit confirm dialogs and short notices (a failed delivery, an unknown command).

import { renderText } from "./mrkdwn.js";

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child) node.append(child);
  return node;
}

/** Slack's confirmation object ({title, text, confirm, deny, style}); resolves true on Confirm. */
export function confirmDialog(confirm) {
  return new Promise((resolve) => {
    const yes = el("button", `bk-button ${confirm.style === "danger" ? "danger" : "primary"}`,
      [confirm.confirm?.text || "Yes"]);
    const no = el("button", "bk-button", [confirm.deny?.text || "Cancel"]);
    yes.type = no.type = "button";
    yes.dataset.confirm = "yes";
    no.dataset.confirm = "no";
    const box = el("div", "dialog confirm-dialog", [
      el("div", "dialog-title", [confirm.title?.text || "Are you sure?"]),
      renderText(confirm.text || { type: "plain_text", text: "" }, "dialog-text"),
      el("div", "dialog-buttons", [no, yes]),
    ]);
    const overlay = el("div", "overlay confirm-overlay", [box]);
    const finish = (answer) => { overlay.remove(); resolve(answer); };
    yes.addEventListener("click", () => finish(true));
    no.addEventListener("click", () => finish(false));
    document.body.append(overlay);
    yes.focus();
  });
}

/** A notice at the bottom of the page that fades after a few seconds. */
export function notice(text, kind = "info") {
  const node = el("div", `notice ${kind}`, [text]);
  document.getElementById("notices").append(node);
  setTimeout(() => node.remove(), 6000);
}
