// The page controller: who is looking (user switcher), where (DM, #general, App Home), the message
// list kept live from /ui/events, the composer, and the glue from a click to a /ui/ action.

import { getJson, postJson, uploadFile } from "./api.js";
import { renderBlocks } from "./blocks.js";
import { DevPanel } from "./devpanel.js";
import { notice } from "./dialogs.js";
import { messageKey, renderMessage } from "./messages.js";
import { ModalLayer } from "./modal.js";
import { setChannelOpener, setUserNames } from "./mrkdwn.js";
import { Composer } from "./composer.js";

const $ = (id) => document.getElementById(id);

/** Runs `task` now, or once more after the running one: bursts of events make one or two fetches. */
function coalesced(task) {
  let running = null;
  let again = false;
  const run = async () => {
    if (running) { again = true; return running; }
    running = (async () => { do { again = false; await task(); } while (again); })();
    try { await running; } finally { running = null; }
  };
  return run;
}

class Page {
  constructor() {
    this.people = {};
    this.place = "dm";
    const params = new URLSearchParams(location.search);
    this.currentUser = params.get("user") || localStorage.getItem("sandbox-user") || "U0ADA";
    if (params.get("place")) this.place = params.get("place");
    this.homeShown = null;
    this.modal = new ModalLayer($("modal-layer"), this);
    this.dev = new DevPanel($("devpanel"), $("journal-list"), $("journal-filter"));
    this.composer = new Composer($("composer"), this);
    this.refreshMessages = coalesced(() => this.loadMessages());
    this.refreshViews = coalesced(() => this.loadViews());
    this.thread = null; // {channel, ts} of the thread open in the side panel
  }

  user() { return this.currentUser; }
  person(id) { return this.people[id]; }
  channelId() { return this.place === "dm" || this.place === "home" ? "D" + this.currentUser.slice(1) : this.place; }

  async start() {
    setUserNames((id) => this.people[id]?.real_name || id);
    setChannelOpener((id) => this.go(id.startsWith("D") ? "dm" : id));
    $("user-switcher").addEventListener("change", (event) => this.switchUser(event.target.value));
    for (const item of document.querySelectorAll("[data-place]")) {
      item.addEventListener("click", () => this.go(item.dataset.place));
    }
    $("dev-toggle").addEventListener("click", () => this.dev.toggle());
    $("thread-close").addEventListener("click", () => this.closeThread());
    $("thread-send").addEventListener("click", () => this.sendThreadReply());
    $("thread-input").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); this.sendThreadReply(); }
    });
    await Promise.all([this.loadWorkspace(), this.composer.loadCommands()]);
    this.listen();
    await this.go(this.place);
  }

  async loadWorkspace() {
    const workspace = await getJson("workspace");
    this.people = Object.fromEntries(workspace.users.map((u) => [u.id, u]));
    $("team-name").textContent = workspace.team.name;
    $("bot-missing").classList.toggle("hidden", Boolean(workspace.bot_url));
    const switcher = $("user-switcher");
    switcher.replaceChildren();
    for (const user of workspace.users.filter((u) => !u.is_bot && !u.deleted)) {
      const option = document.createElement("option");
      option.value = user.id;
      option.textContent = user.real_name + (user.is_admin ? " (admin)" : "");
      switcher.append(option);
    }
    if (!this.people[this.currentUser]) this.currentUser = switcher.options[0]?.value;
    switcher.value = this.currentUser;
  }

  listen() {
    const events = new EventSource("/ui/events");
    events.addEventListener("open", () => {
      document.body.dataset.live = "1";
      this.refreshMessages();
      this.refreshViews();
    });
    events.addEventListener("error", () => { document.body.dataset.live = "0"; });
    events.addEventListener("message", (event) => {
      const data = JSON.parse(event.data);
      if (data.channel === this.channelId()) this.refreshMessages();
    });
    events.addEventListener("view", (event) => {
      const data = JSON.parse(event.data);
      if (!data.user || data.user === this.currentUser) this.refreshViews();
    });
    events.addEventListener("journal", () => this.dev.refresh());
    events.addEventListener("user", () => this.loadWorkspace());
  }

  async switchUser(userId) {
    this.currentUser = userId;
    localStorage.setItem("sandbox-user", userId);
    this.modal.show([]);
    await this.go(this.place);
  }

  async go(place) {
    this.place = place;
    for (const item of document.querySelectorAll("[data-place]")) {
      item.classList.toggle("active", item.dataset.place === place);
    }
    const home = place === "home";
    $("messages").classList.toggle("hidden", home);
    $("composer").classList.toggle("hidden", home);
    $("home").classList.toggle("hidden", !home);
    $("channel-title").textContent = home ? "Finetune Tutor · Home"
      : place === "dm" ? "Finetune Tutor · Messages" : "# general";
    this.composer.setPlaceholder(place === "dm" ? "Message Finetune Tutor, or type / for commands"
      : "Message #general, or type / for commands");
    $("messages").replaceChildren();
    this.closeThread();
    this.homeShown = null;
    if (home) {
      $("home").replaceChildren(Object.assign(document.createElement("div"), { className: "home-loading", textContent: "Opening App Home…" }));
      const answer = await postJson("home", { user: this.currentUser });
      this.reportDelivery(answer, "App Home");
    }
    await Promise.all([this.refreshMessages(), this.refreshViews()]);
  }

  async loadMessages() {
    if (this.place === "home") return;
    const channel = this.channelId();
    const answer = await getJson("messages", { channel, user: this.currentUser });
    if (channel !== this.channelId()) return;
    const list = $("messages");
    const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
    const existing = new Map([...list.children].map((node) => [node.dataset.ts, node]));
    const wanted = [];
    const all = answer.messages || [];
    this.showThread(all);
    // replies live in their thread (the side panel), not in the channel
    for (const record of all.filter((m) => !m.thread_ts || m.thread_ts === m.ts)) {
      const key = messageKey(record);
      let node = existing.get(record.ts);
      if (!node || node.dataset.key !== key) {
        const fresh = renderMessage(record, this);
        fresh.dataset.key = key;
        if (node) node.replaceWith(fresh);
        node = fresh;
      }
      wanted.push(node);
    }
    const keep = new Set(wanted);
    for (const node of [...list.children]) if (!keep.has(node)) node.remove();
    wanted.forEach((node, index) => { if (list.children[index] !== node) list.insertBefore(node, list.children[index] || null); });
    if (!wanted.length) {
      const empty = document.createElement("div");
      empty.className = "empty";
      empty.dataset.ts = "";
      empty.textContent = "No messages yet. Type /lesson to start the course.";
      list.append(empty);
    }
    if (nearBottom) list.scrollTop = list.scrollHeight;
  }

  /** Open the thread of `ts` in the side panel: its parent, then its replies, with a reply box. */
  openThread(channel, ts) {
    this.thread = { channel, ts };
    $("thread-panel").classList.remove("hidden");
    $("thread-panel").dataset.ts = ts;
    this.refreshMessages();
  }

  closeThread() {
    this.thread = null;
    $("thread-panel").classList.add("hidden");
    $("thread-list").replaceChildren();
  }

  showThread(records) {
    if (!this.thread) return;
    const root = this.thread.ts;
    const inThread = records.filter((m) => m.ts === root || m.thread_ts === root);
    const view = Object.create(this, { inThread: { value: true } });
    const nodes = inThread.map((record) => renderMessage(record, view));
    if (nodes.length > 1) nodes.splice(1, 0, Object.assign(document.createElement("div"), {
      className: "thread-count", textContent: `${nodes.length - 1} ${nodes.length === 2 ? "reply" : "replies"}` }));
    $("thread-list").replaceChildren(...nodes);
  }

  async sendThreadReply() {
    const input = $("thread-input");
    const text = input.value.trim();
    if (!text || !this.thread) return;
    input.value = "";
    const { channel, ts } = this.thread;
    const answer = channel.startsWith("D")
      ? await postJson("dm", { user: this.currentUser, text, thread_ts: ts })
      : await postJson("say", { user: this.currentUser, channel, text, thread_ts: ts });
    this.reportDelivery(answer, "reply");
  }

  async loadViews() {
    const user = this.currentUser;
    const answer = await getJson("views", { user });
    if (user !== this.currentUser) return;
    this.modal.show(answer.modals || []);
    if (this.place === "home") this.showHome(answer.home);
  }

  showHome(view) {
    if (!view) return;
    const key = `${view.id}:${view.hash}`;
    if (key === this.homeShown) return;
    this.homeShown = key;
    const ctx = { act: (kind, element, block, extra) => this.act(kind, element, block, extra, { view_id: view.id }) };
    const root = renderBlocks(view.blocks, ctx);
    root.classList.add("home-view");
    root.dataset.viewId = view.id;
    $("home").replaceChildren(root);
  }

  /** A click, pick or choice in a message or view, sent as the person in the switcher. */
  async act(kind, element, block, extra, target) {
    const body = { user: this.currentUser, ...target, action_id: element.action_id, block_id: block.block_id };
    if (kind === "pick_time") body.time = extra.time;
    else if ("value" in extra && extra.value !== undefined) body.value = extra.value;
    const answer = await postJson(kind, body);
    this.reportDelivery(answer, element.type);
    return answer;
  }

  /** Say so when the bot could not be reached or refused a request (Slack shows a similar line). */
  reportDelivery(answer, what) {
    if (!answer) return;
    if (answer.ok === false) notice(`${what}: ${answer.error}`, "error");
    else if (answer.error) notice(`${what}: the app did not respond (${answer.error})`, "error");
    else if (answer.status && answer.status >= 400) notice(`${what}: the app answered HTTP ${answer.status}`, "error");
  }

  async sendText(text) {
    if (this.place === "dm") {
      this.reportDelivery(await postJson("dm", { user: this.currentUser, text }), "message");
    } else {
      this.reportDelivery(await postJson("say", { user: this.currentUser, channel: this.channelId(), text }), "message");
    }
  }

  async sendCommand(command, text) {
    const answer = await postJson("slash", { user: this.currentUser, command, text, channel: this.channelId() });
    this.reportDelivery(answer, command);
  }

  async upload(file) {
    const answer = await uploadFile(this.currentUser, this.channelId(), file);
    if (answer.ok === false) notice(`Upload failed: ${answer.error}`, "error");
  }
}

const page = new Page();
window.sandboxPage = page;
page.start();
