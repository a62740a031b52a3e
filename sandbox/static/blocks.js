// Block Kit -> DOM for messages, modals and App Home. Interactive elements report what the person
// did through `ctx.act(kind, element, block, extra)`; the page turns that into a /ui/ action.
// Inputs inside modals register a value getter in `ctx.inputs` so Submit can collect them.

import { renderMrkdwn, renderPlain, renderText, decodeEntities } from "./mrkdwn.js";
import { confirmDialog } from "./dialogs.js";

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** A grey box naming what cannot be shown: something the bot sent is never silently dropped. */
export function unknownBox(kind, type) {
  const box = el("div", "bk-unknown", [`Unsupported ${kind}: ${type ?? "(no type)"}`]);
  box.dataset.unknownType = String(type ?? "");
  return box;
}

function plainText(object) { return object ? String(object.text ?? "") : ""; }

function image(url, alt, className) {
  const img = el("img", className);
  img.src = url || "";
  img.alt = alt || "";
  img.loading = "lazy";
  return img;
}

function imageUrl(element) {
  if (element.image_url) return element.image_url;
  const file = element.slack_file || {};
  if (file.id) return `/ui/files/${encodeURIComponent(file.id)}/image`;
  return file.url || "";
}

function options(element) {
  const flat = [...(element.options || [])];
  for (const group of element.option_groups || []) flat.push(...(group.options || []));
  return flat;
}

async function confirmed(element) {
  return element.confirm ? confirmDialog(element.confirm) : true;
}

// ----- elements ---------------------------------------------------------------------------------

function button(element, block, ctx) {
  const node = el("button", `bk-button ${element.style || ""}`.trim(), [plainText(element.text)]);
  node.type = "button";
  node.dataset.actionId = element.action_id || "";
  node.addEventListener("click", async () => {
    if (!(await confirmed(element))) return;
    if (element.url) window.open(element.url, "_blank", "noopener");
    node.disabled = true;
    try { await ctx.act("click", element, block, { value: element.value }); }
    finally { node.disabled = false; }
  });
  return node;
}

function staticSelect(element, block, ctx, input) {
  const node = el("select", "bk-select");
  node.dataset.actionId = element.action_id || "";
  const placeholder = el("option", null, [plainText(element.placeholder) || "Select an item"]);
  placeholder.value = "";
  placeholder.disabled = true;
  node.append(placeholder);
  const addOption = (parent, option) => {
    const item = el("option", null, [plainText(option.text)]);
    item.value = option.value ?? "";
    parent.append(item);
  };
  (element.options || []).forEach((option) => addOption(node, option));
  for (const group of element.option_groups || []) {
    const optgroup = el("optgroup");
    optgroup.label = plainText(group.label);
    (group.options || []).forEach((option) => addOption(optgroup, option));
    node.append(optgroup);
  }
  node.value = element.initial_option ? element.initial_option.value : "";
  if (input) { input.get = () => node.value || null; }
  else {
    node.addEventListener("change", async () => {
      const value = node.value;
      const option = options(element).find((o) => o.value === value);
      if (!(await confirmed(element))) return;
      ctx.act("select", element, block, { value, option });
    });
  }
  return node;
}

function overflow(element, block, ctx) {
  const wrap = el("span", "bk-overflow");
  const toggle = el("button", "bk-button overflow-toggle", ["⋯"]);
  toggle.type = "button";
  toggle.dataset.actionId = element.action_id || "";
  const menu = el("div", "overflow-menu hidden");
  for (const option of element.options || []) {
    const item = el("button", "overflow-item", [plainText(option.text)]);
    item.type = "button";
    item.addEventListener("click", async () => {
      menu.classList.add("hidden");
      if (!(await confirmed(element))) return;
      if (option.url) window.open(option.url, "_blank", "noopener");
      ctx.act("select", element, block, { value: option.value });
    });
    menu.append(item);
  }
  toggle.addEventListener("click", () => menu.classList.toggle("hidden"));
  wrap.append(toggle, menu);
  return wrap;
}

function timepicker(element, block, ctx, input) {
  const node = el("input", "bk-time");
  node.type = "time";
  node.dataset.actionId = element.action_id || "";
  node.value = element.initial_time || "";
  if (input) input.get = () => node.value || null;
  else node.addEventListener("change", () => node.value && ctx.act("pick_time", element, block, { time: node.value }));
  return node;
}

function datepicker(element, block, ctx, input) {
  const node = el("input", "bk-date");
  node.type = "date";
  node.dataset.actionId = element.action_id || "";
  node.value = element.initial_date || "";
  if (input) input.get = () => node.value || null;
  else node.addEventListener("change", () => node.value && ctx.act("select", element, block, { value: node.value }));
  return node;
}

function choiceList(element, block, ctx, input, multiple) {
  const list = el("div", multiple ? "bk-checkboxes" : "bk-radios");
  list.dataset.actionId = element.action_id || "";
  const initial = new Set(multiple ? (element.initial_options || []).map((o) => o.value)
    : element.initial_option ? [element.initial_option.value] : []);
  const name = `choice-${Math.random().toString(36).slice(2)}`;
  const boxes = [];
  for (const option of element.options || []) {
    const box = el("input");
    box.type = multiple ? "checkbox" : "radio";
    box.name = name;
    box.value = option.value ?? "";
    box.checked = initial.has(option.value);
    boxes.push(box);
    const label = el("label", "choice", [box, renderText(option.text, "choice-text")]);
    if (option.description) label.append(renderText(option.description, "choice-description"));
    list.append(label);
  }
  const current = () => multiple ? boxes.filter((b) => b.checked).map((b) => b.value)
    : (boxes.find((b) => b.checked) || {}).value ?? null;
  if (input) input.get = current;
  else list.addEventListener("change", () => ctx.act("select", element, block, { value: current() }));
  return list;
}

function textInput(element, input) {
  const node = el(element.multiline ? "textarea" : "input", "bk-text-input");
  if (!element.multiline) node.type = "text";
  node.dataset.actionId = element.action_id || "";
  node.placeholder = plainText(element.placeholder);
  node.value = element.initial_value || "";
  if (element.max_length) node.maxLength = element.max_length;
  if (input) input.get = () => node.value;
  return node;
}

function numberInput(element, input) {
  const node = el("input", "bk-number-input");
  node.type = "number";
  node.dataset.actionId = element.action_id || "";
  node.step = element.is_decimal_allowed ? "any" : "1";
  if (element.min_value !== undefined) node.min = element.min_value;
  if (element.max_value !== undefined) node.max = element.max_value;
  node.placeholder = plainText(element.placeholder);
  node.value = element.initial_value ?? "";
  if (input) input.get = () => node.value;
  return node;
}

function fileInput(element, input) {
  const node = el("input", "bk-file-input");
  node.type = "file";
  node.dataset.actionId = element.action_id || "";
  if (element.filetypes) node.accept = element.filetypes.map((t) => "." + t).join(",");
  if (input) { input.get = () => null; input.file = () => node.files[0] || null; }
  return node;
}

/** One element, interactive or not; `input` is given when it sits in a modal's input block. */
export function renderElement(element, block, ctx, input = null) {
  switch (element?.type) {
    case "button": return button(element, block, ctx);
    case "static_select": return staticSelect(element, block, ctx, input);
    case "overflow": return overflow(element, block, ctx);
    case "timepicker": return timepicker(element, block, ctx, input);
    case "datepicker": return datepicker(element, block, ctx, input);
    case "checkboxes": return choiceList(element, block, ctx, input, true);
    case "radio_buttons": return choiceList(element, block, ctx, input, false);
    case "plain_text_input": return textInput(element, input);
    case "number_input": return numberInput(element, input);
    case "file_input": return fileInput(element, input);
    case "image": return image(imageUrl(element), element.alt_text, "bk-element-image");
    case "mrkdwn": case "plain_text": return renderText(element, "bk-context-text");
    default: return unknownBox("element", element?.type);
  }
}

// ----- rich_text (the basic structures) ---------------------------------------------------------

function richSection(section) {
  const node = el("span", "rt-section");
  for (const part of section.elements || []) {
    let piece;
    if (part.type === "text") piece = document.createTextNode(part.text ?? "");
    else if (part.type === "link") {
      piece = el("a", "link", [part.text || part.url || ""]);
      if (/^(https?:|mailto:)/i.test(part.url || "")) { piece.href = part.url; piece.target = "_blank"; piece.rel = "noopener"; }
    } else if (part.type === "emoji") piece = document.createTextNode(part.unicode
      ? String.fromCodePoint(...part.unicode.split("-").map((h) => parseInt(h, 16))) : `:${part.name}:`);
    else if (part.type === "user") piece = el("span", "mention", ["@" + part.user_id]);
    else if (part.type === "channel") piece = el("span", "mention", ["#" + part.channel_id]);
    else if (part.type === "broadcast") piece = el("span", "mention", ["@" + part.range]);
    else piece = unknownBox("rich text element", part.type);
    const style = part.style || {};
    for (const [flag, tag] of [["code", "code"], ["strike", "s"], ["italic", "i"], ["bold", "b"]]) {
      if (style[flag]) piece = el(tag, flag === "code" ? "inline-code" : null, [piece]);
    }
    node.append(piece);
  }
  return node;
}

function richText(block) {
  const root = el("div", "rich-text");
  for (const part of block.elements || []) {
    if (part.type === "rich_text_section") root.append(el("div", null, [richSection(part)]));
    else if (part.type === "rich_text_preformatted") root.append(el("pre", "code-block", [richSection(part)]));
    else if (part.type === "rich_text_quote") root.append(el("blockquote", "quote", [richSection(part)]));
    else if (part.type === "rich_text_list") {
      const list = el(part.style === "ordered" ? "ol" : "ul", "rt-list");
      for (const item of part.elements || []) list.append(el("li", null, [richSection(item)]));
      root.append(list);
    } else root.append(unknownBox("rich text part", part.type));
  }
  return root;
}

// ----- blocks -----------------------------------------------------------------------------------

function section(block, ctx) {
  const body = el("div", "section-body");
  if (block.text) body.append(renderText(block.text, "section-text"));
  if (block.fields?.length) {
    body.append(el("div", "section-fields", block.fields.map((field) => renderText(field, "section-field"))));
  }
  const row = el("div", "section", [body]);
  if (block.accessory) {
    const accessory = block.accessory.type === "image"
      ? image(imageUrl(block.accessory), block.accessory.alt_text, "accessory-image")
      : renderElement(block.accessory, block, ctx);
    row.append(el("div", "accessory", [accessory]));
  }
  return row;
}

function inputBlock(block, ctx) {
  const label = el("label", "input-label", [plainText(block.label)]);
  if (block.optional) label.append(el("span", "optional", [" (optional)"]));
  const entry = { action_id: block.element?.action_id, type: block.element?.type, get: () => null };
  const control = renderElement(block.element, block, ctx, entry);
  const error = el("div", "input-error hidden");
  const wrap = el("div", "input-block", [label, control]);
  if (block.hint) wrap.append(el("div", "input-hint", [plainText(block.hint)]));
  wrap.append(error);
  entry.showError = (message) => {
    error.textContent = message ? decodeEntities(message) : "";
    error.classList.toggle("hidden", !message);
    wrap.classList.toggle("has-error", Boolean(message));
  };
  if (ctx.inputs && block.block_id) ctx.inputs[block.block_id] = entry;
  return wrap;
}

const RENDERERS = {
  header: (block) => el("div", "header", [plainText(block.text)]),
  section,
  divider: () => el("hr", "divider"),
  context: (block, ctx) => el("div", "context", (block.elements || []).map((e) => renderElement(e, block, ctx))),
  actions: (block, ctx) => el("div", "actions", (block.elements || []).map((e) => renderElement(e, block, ctx))),
  image: (block) => el("figure", "image-block", [
    block.title ? el("figcaption", null, [plainText(block.title)]) : null,
    image(imageUrl(block), block.alt_text, "block-image")]),
  rich_text: richText,
  input: inputBlock,
};

/** All blocks of a message or view, each wrapped with its type and id for tests and the eye. */
export function renderBlocks(blocks, ctx) {
  const root = el("div", "blocks");
  for (const block of blocks || []) {
    const render = RENDERERS[block?.type];
    const node = render ? render(block, ctx) : unknownBox("block", block?.type);
    const wrap = el("div", "block", [node]);
    wrap.dataset.blockType = block?.type ?? "";
    wrap.dataset.blockId = block?.block_id ?? "";
    root.append(wrap);
  }
  return root;
}

export { renderMrkdwn, renderPlain };
