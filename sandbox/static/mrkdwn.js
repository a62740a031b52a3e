// Slack mrkdwn -> DOM nodes. Never builds HTML strings: every piece of text becomes a text node,
// so `&lt;script&gt;` in a message shows as "<script>" and cannot run.

const ENTITIES = { "&lt;": "<", "&gt;": ">", "&amp;": "&" };
const SAFE_SCHEMES = /^(https?:|mailto:|slack:)/i;

/** Slack's three escapes, decoded for display (the result is only ever used as text). */
export function decodeEntities(text) {
  return String(text).replace(/&(lt|gt|amp);/g, (m) => ENTITIES[m]);
}

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child);
  return node;
}

/** A display name for a user id, set by the page once it knows the workspace's people. */
let nameOf = (id) => id;
export function setUserNames(lookup) { nameOf = lookup; }

/** The slack://channel link the bot uses to point at a DM; the page turns it into navigation. */
let openChannel = null;
export function setChannelOpener(fn) { openChannel = fn; }

// `code`, <control>, *bold*, _italic_, ~strike~ — the first that matches wins at each position.
const INLINE = /`([^`\n]+)`|<([^<>\n]+)>|\*(?=\S)([^*\n]+?)\*|(?<![\p{L}\p{N}])_(?=\S)([^_\n]+?)_(?![\p{L}\p{N}])|~(?=\S)([^~\n]+?)~/u;

function control(raw) {
  const bar = raw.indexOf("|");
  const target = bar < 0 ? raw : raw.slice(0, bar);
  const label = bar < 0 ? undefined : raw.slice(bar + 1);
  if (target.startsWith("@")) {
    return el("span", "mention", ["@" + (label ? decodeEntities(label) : nameOf(target.slice(1)))]);
  }
  if (target.startsWith("#")) {
    return el("span", "mention", ["#" + decodeEntities(label || target.slice(1))]);
  }
  if (target.startsWith("!")) {
    const word = target.slice(1).split("^")[0];
    const shown = label || (["channel", "here", "everyone"].includes(word) ? "@" + word : word);
    return el("span", "mention", [decodeEntities(shown)]);
  }
  const href = decodeEntities(target);
  if (!SAFE_SCHEMES.test(href)) return document.createTextNode(decodeEntities("<" + raw + ">"));
  const link = el("a", "link", [decodeEntities(label || target)]);
  link.href = href;
  if (href.startsWith("slack://channel")) {
    const id = new URL(href.replace("slack://", "http://x/")).searchParams.get("id");
    link.addEventListener("click", (event) => { event.preventDefault(); if (openChannel && id) openChannel(id); });
  } else {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  return link;
}

/** Inline formatting of one line into `parent`. */
export function renderInline(text, parent) {
  let rest = text;
  while (rest.length) {
    const match = INLINE.exec(rest);
    if (!match) { parent.append(decodeEntities(rest)); return parent; }
    if (match.index > 0) parent.append(decodeEntities(rest.slice(0, match.index)));
    const [whole, code, ctrl, bold, italic, strike] = match;
    if (code !== undefined) parent.append(el("code", "inline-code", [decodeEntities(code)]));
    else if (ctrl !== undefined) parent.append(control(ctrl));
    else if (bold !== undefined) parent.append(renderInline(bold, el("b")));
    else if (italic !== undefined) parent.append(renderInline(italic, el("i")));
    else if (strike !== undefined) parent.append(renderInline(strike, el("s")));
    rest = rest.slice(match.index + whole.length);
  }
  return parent;
}

function renderLines(text, parent) {
  const lines = text.split("\n");
  let quote = null;
  lines.forEach((line, index) => {
    const quoted = /^(&gt;|>)\s?/.exec(line);
    if (quoted) {
      if (!quote) { quote = el("blockquote", "quote"); parent.append(quote); }
      if (quote.childNodes.length) quote.append(el("br"));
      renderInline(line.slice(quoted[0].length), quote);
      return;
    }
    quote = null;
    if (/^\s*([•◦▪\-])\s+/.test(line)) {
      const bullet = /^(\s*)([•◦▪\-])\s+/.exec(line);
      const item = el("div", "bullet-line");
      item.style.paddingLeft = `${0.4 + bullet[1].length * 0.5}em`;
      // The mark and the text are the line's only two boxes: the text's inline pieces flow (and wrap)
      // together inside one span, with a hanging indent under the mark, as in Slack.
      const words = renderInline(line.slice(bullet[0].length), el("span", "bullet-text"));
      item.append(el("span", "bullet-mark", ["•"]), words);
      parent.append(item);
      return;
    }
    renderInline(line, parent);
    if (index < lines.length - 1) parent.append(el("br"));
  });
}

/** A whole mrkdwn text: ```code blocks``` first, then quotes, bullet lines and inline marks. */
export function renderMrkdwn(text, className = "mrkdwn") {
  const root = el("div", className);
  const pieces = String(text ?? "").split("```");
  pieces.forEach((piece, index) => {
    const isCode = index % 2 === 1 && index < pieces.length - 1;
    if (isCode) {
      root.append(el("pre", "code-block", [decodeEntities(piece.replace(/^\n/, ""))]));
    } else if (piece) {
      renderLines(index > 0 && pieces.length > 1 ? piece.replace(/^\n/, "") : piece, root);
    } else if (index % 2 === 1) {
      root.append("```");
    }
  });
  return root;
}

/** plain_text objects: no formatting at all, emoji shortcodes left as typed. */
export function renderPlain(text, className = "plain") {
  return el("span", className, [String(text ?? "")]);
}

/** A Block Kit text object (plain_text or mrkdwn). */
export function renderText(object, className) {
  if (!object) return el("span");
  if (object.type === "mrkdwn") return renderMrkdwn(object.text, className);
  return renderPlain(object.text, className);
}
