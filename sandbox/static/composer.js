// The composer: plain messages, slash commands with an autocomplete list read from the app's
// manifest (via /ui/commands), and the paperclip that uploads a file into the conversation.

import { getJson } from "./api.js";
import { notice } from "./dialogs.js";

function el(tag, className, children = []) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) if (child) node.append(child);
  return node;
}

export class Composer {
  constructor(root, page) {
    this.page = page;
    this.commands = [];
    this.input = root.querySelector("#composer-input");
    this.list = root.querySelector("#command-suggestions");
    this.fileInput = root.querySelector("#file-input");
    this.highlight = 0;
    this.input.addEventListener("input", () => this.suggest());
    this.input.addEventListener("keydown", (event) => this.onKey(event));
    root.querySelector("#send-button").addEventListener("click", () => this.send());
    root.querySelector("#attach-button").addEventListener("click", () => this.fileInput.click());
    this.fileInput.addEventListener("change", async () => {
      const file = this.fileInput.files[0];
      if (file) await this.page.upload(file);
      this.fileInput.value = "";
    });
  }

  async loadCommands() {
    const answer = await getJson("commands");
    this.commands = answer.commands || [];
  }

  setPlaceholder(text) { this.input.placeholder = text; }

  matches() {
    const text = this.input.value;
    if (!text.startsWith("/") || /\s/.test(text)) return [];
    return this.commands.filter((c) => c.command.startsWith(text.toLowerCase()));
  }

  suggest() {
    const found = this.matches();
    this.highlight = Math.min(this.highlight, Math.max(0, found.length - 1));
    this.list.replaceChildren();
    this.list.classList.toggle("hidden", !found.length);
    found.forEach((command, index) => {
      const item = el("li", `suggestion ${index === this.highlight ? "active" : ""}`, [
        el("span", "suggestion-command", [command.command]),
        command.usage_hint ? el("span", "suggestion-hint", [command.usage_hint]) : null,
        el("div", "suggestion-description", [command.description]),
      ]);
      item.dataset.command = command.command;
      item.addEventListener("mousedown", (event) => { event.preventDefault(); this.accept(command); });
      this.list.append(item);
    });
  }

  accept(command) {
    this.input.value = command.command + " ";
    this.list.classList.add("hidden");
    this.input.focus();
  }

  onKey(event) {
    const found = this.matches();
    if (found.length && ["ArrowDown", "ArrowUp", "Tab"].includes(event.key)) {
      event.preventDefault();
      if (event.key === "Tab") { this.accept(found[this.highlight] || found[0]); return; }
      this.highlight = (this.highlight + (event.key === "ArrowDown" ? 1 : found.length - 1)) % found.length;
      this.suggest();
      return;
    }
    if (event.key === "Escape") { this.list.classList.add("hidden"); return; }
    if (event.key === "Enter" && !event.shiftKey) {
      event.preventDefault();
      const exact = found.find((c) => c.command === this.input.value.trim());
      if (found.length && !exact) { this.accept(found[this.highlight] || found[0]); return; }
      this.send();
    }
  }

  async send() {
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.list.classList.add("hidden");
    if (text.startsWith("/")) {
      const [command] = text.split(/\s+/);
      const known = this.commands.some((c) => c.command === command.toLowerCase());
      if (this.commands.length && !known) {
        notice(`${command} is not a command of this app. Try ${this.commands.map((c) => c.command).join(", ")}.`, "error");
        return;
      }
      await this.page.sendCommand(command.toLowerCase(), text.slice(command.length).trim());
      return;
    }
    await this.page.sendText(text);
  }
}
