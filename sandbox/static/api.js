// The page's only way to the sandbox: its /ui/ JSON endpoints.

export async function getJson(path, params = {}) {
  const query = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null));
  const response = await fetch(`/ui/${path}${query.size ? "?" + query : ""}`);
  return response.json();
}

/** POST an action; answers the delivery summary ({status, json, error...}) or {ok:false, error}. */
export async function postJson(path, body) {
  const response = await fetch(`/ui/${path}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  return response.json();
}

export async function uploadFile(user, channel, file) {
  const query = new URLSearchParams({ user, channel, name: file.name });
  const response = await fetch(`/ui/upload?${query}`, { method: "POST", body: file });
  return response.json();
}

/** The page-facing URL of a sandbox file (the bot's url_private needs the bot token). */
export function fileUrl(file) {
  return `/ui/files/${encodeURIComponent(file.id)}/${encodeURIComponent(file.name || "file")}`;
}
