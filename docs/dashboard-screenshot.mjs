// Takes docs/dashboard.png from a running proxy in real time (chromium's --screenshot
// shoots at once, and --virtual-time-budget compresses the polls, so rates read 0):
// starts headless chromium with the DevTools protocol, waits, then captures.
// Usage: node --experimental-websocket docs/dashboard-screenshot.mjs http://127.0.0.1:9901/ [seconds] [out.png]
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const [url = "http://127.0.0.1:9901/", seconds = "60", out = "docs/dashboard.png"] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), "cw-shot-"));
const chromium = spawn("chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
  "--window-size=1280,900", `--user-data-dir=${profile}`, "--remote-debugging-port=0", url],
  { stdio: ["ignore", "ignore", "pipe"] });

// chromium prints "DevTools listening on ws://..." for the browser; we want the page's target.
const browserUrl = await new Promise((resolve) => {
  let seen = "";
  chromium.stderr.on("data", (chunk) => {
    seen += chunk;
    const match = seen.match(/DevTools listening on (ws:\/\/\S+)/);
    if (match) resolve(match[1]);
  });
});
const port = new URL(browserUrl).port;
await new Promise((r) => setTimeout(r, Number(seconds) * 1000));
const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
const page = targets.find((t) => t.type === "page");
const socket = new WebSocket(page.webSocketDebuggerUrl);
await new Promise((r) => socket.addEventListener("open", r));
socket.send(JSON.stringify({ id: 1, method: "Page.captureScreenshot", params: { format: "png" } }));
const reply = await new Promise((r) => socket.addEventListener("message", (m) => r(JSON.parse(m.data))));
writeFileSync(out, Buffer.from(reply.result.data, "base64"));
socket.close();
chromium.kill();
console.log(`wrote ${out}`);
