// One message in the list: who, when, its blocks (or text), its files, and the per-message tools.

import { renderBlocks } from "./blocks.js";
import { renderMrkdwn } from "./mrkdwn.js";
import { fileUrl } from "./api.js";

const BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#";
const INLINE_IMAGES = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** What changes when a message changes (its edit history aside), to update only what moved. */
export function messageKey(record) {
  const { history, ...rest } = record;
  return JSON.stringify(rest);
}

export function builderUrl(blocks) {
  return BLOCK_KIT_BUILDER + encodeURIComponent(JSON.stringify({ blocks }));
}

function initials(name) {
  return name.split(/\s+/).map((word) => word[0] || "").join("").slice(0, 2).toUpperCase();
}

function fileNode(file) {
  const url = fileUrl(file);
  if (INLINE_IMAGES.has(file.mimetype)) {
    const img = el("img", "file-image");
    img.src = url;
    img.alt = file.title || file.name || "image";
    const link = el("a", "file-image-link", [img]);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    return el("figure", "file-figure", [link, el("figcaption", null, [file.title || file.name || ""])]);
  }
  const link = el("a", "file-chip", [
    el("span", "file-icon", [(file.filetype || "file").toUpperCase().slice(0, 4)]),
    el("span", "file-name", [file.name || file.id]),
    el("span", "file-size", [`${Math.max(1, Math.round((file.size || 0) / 1024))} KB`]),
  ]);
  link.href = url;
  link.download = file.name || "";
  return link;
}

/**
 * @param record a stored message from /ui/messages
 * @param page {person(id), act(kind, element, block, extra, target)}
 */
export function renderMessage(record, page) {
  const isBot = Boolean(record.bot_id) || record.user === "U0BOT";
  const person = page.person(record.user) || {};
  const name = isBot ? "Finetune Tutor" : person.real_name || record.user || "someone";
  const avatar = el("div", `avatar ${isBot ? "bot" : ""}`, [isBot ? "FT" : initials(name)]);
  const time = new Date(parseFloat(record.ts) * 1000);
  const head = el("div", "message-head", [
    el("span", "message-author", [name]),
    isBot ? el("span", "app-badge", ["APP"]) : null,
    el("span", "message-time", [time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })]),
    record.edited ? el("span", "message-edited", ["(edited)"]) : null,
  ]);
  const body = el("div", "message-body", [head]);
  if (record.is_ephemeral) body.append(el("div", "ephemeral-note", ["👁 Only visible to you"]));
  const target = { channel: record.channel, ts: record.ts };
  if (record.blocks && record.blocks.length) {
    const ctx = { act: (kind, element, block, extra) => page.act(kind, element, block, extra, target) };
    body.append(renderBlocks(record.blocks, ctx));
  } else if (record.text) {
    body.append(renderMrkdwn(record.text, "mrkdwn message-text"));
  }
  if (record.files?.length) body.append(el("div", "message-files", record.files.map(fileNode)));
  if (record.blocks && record.blocks.length) {
    const builder = el("a", "builder-link", ["Block Kit Builder ↗"]);
    builder.href = builderUrl(record.blocks);
    builder.target = "_blank";
    builder.rel = "noopener noreferrer";
    body.append(el("div", "message-tools", [builder]));
  }
  if (record.reply_count && page.openThread && !page.inThread) {
    const count = record.reply_count;
    const link = el("button", "thread-replies", [`${count} ${count === 1 ? "reply" : "replies"}`]);
    link.type = "button";
    link.addEventListener("click", () => page.openThread(record.channel, record.ts));
    body.append(link);
  }
  const node = el("div", `message ${record.is_ephemeral ? "ephemeral" : ""} ${isBot ? "from-bot" : ""}`, [avatar, body]);
  node.dataset.ts = record.ts;
  node.dataset.channel = record.channel || "";
  return node;
}
