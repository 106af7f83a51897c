// Shared by the browser tests: a static file server for web/ and a headless Debian Chromium via playwright-core.
import http from "node:http";
import fs from "node:fs/promises";
import path from "node:path";
import { chromium } from "playwright-core";
import { fileURLToPath } from "node:url";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
  ".css": "text/css", ".json": "application/json", ".png": "image/png" };

/** Serves `root` on a free loopback port; resolves to {url, close}. */
export async function serveStatic(root) {
  const server = http.createServer(async (request, response) => {
    const file = path.join(root, decodeURIComponent(new URL(request.url, "http://x").pathname));
    if (!file.startsWith(root)) { response.writeHead(403).end(); return; }
    try {
      const body = await fs.readFile(file);
      response.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

/** Debian's Chromium, headless, with the flags this closed network needs. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
}

const AXE = new URL("../node_modules/axe-core/axe.min.js", import.meta.url);

/** Runs axe-core on the page; returns its serious and critical violations as "rule: target" strings. */
export async function axeViolations(page) {
  await page.addScriptTag({ path: fileURLToPath(AXE) });
  const result = await page.evaluate(async () => await globalThis.axe.run(document, { resultTypes: ["violations"] }));
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")} — ${v.help}`));
}


/** A free loopback port. */
export async function freePort() {
  const net = await import("node:net");
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/**
 * Starts the real sdrs-server (SDRS_SERVER_BIN or target/debug) with the demo data and the built console on a fresh
 * database; resolves to {base, server} once it answers.
 */
export async function startDemoServer(root, { timeScale = "0.1", extraArgs = [], prefix = "sdrs-web-" } = {}) {
  const { spawn } = await import("node:child_process");
  const fs = await import("node:fs");
  const os = await import("node:os");
  const path = await import("node:path");
  const serverBin = process.env.SDRS_SERVER_BIN ?? path.join(root, "target", "debug", "sdrs-server");
  const port = await freePort();
  const database = path.join(fs.mkdtempSync(path.join(os.tmpdir(), prefix)), "demo.db");
  const server = spawn(serverBin, ["--demo", "--time-scale", timeScale, "--listen", `127.0.0.1:${port}`, "--database",
    database, "--console-dir", path.join(root, "dist"), ...extraArgs], { stdio: "ignore", env: { ...process.env, RUST_LOG: "warn" } });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { base, server };
}
