// Headless Chromium against the real sdrs-server (demo data, no mocks): groups → group → pre-check → failover →
// job SUCCESS → roles and login guidance; a blocked failover cannot be submitted; the rule explorer works with no
// server. Saves screenshots of the main screens and the navigation-to-list time in test-results/.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch, serveStatic } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = path.join(root, "web", "test-results");
const serverBin = process.env.SDRS_SERVER_BIN ?? path.join(root, "target", "debug", "sdrs-server");
fs.mkdirSync(results, { recursive: true });

let server, base, browser, database;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

before(async () => {
  const port = await freePort();
  database = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "sdrs-console-")), "demo.db");
  server = spawn(serverBin, ["--demo", "--time-scale", "0.2", "--listen", `127.0.0.1:${port}`, "--database", database,
    "--console-dir", path.join(root, "dist"), "--allow-origin", "*"], { stdio: "ignore", env: { ...process.env, RUST_LOG: "warn" } });
  base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { if ((await fetch(`${base}/`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGKILL");
});

async function newPage() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (error) => { throw error; });
  return page;
}

test("groups list, detail, pre-check, failover, job, role swap and login guidance", async () => {
  const page = await newPage();
  const started = Date.now();
  await page.goto(`${base}/#/groups`);
  await page.waitForSelector("table.groups tbody tr");
  const listMs = Date.now() - started;
  fs.writeFileSync(path.join(results, "metrics.json"), JSON.stringify({ navigation_to_groups_list_ms: listMs }, null, 2));
  console.log(`navigation to groups list rendered: ${listMs} ms`);
  assert.match(await page.textContent("table.groups"), /web-tier.*protected/s);
  assert.match(await page.textContent("table.groups"), /db-tier.*failed-over.*eu-de-02 \(target\)/s);
  await page.screenshot({ path: path.join(results, "console-groups.png"), fullPage: true });

  await page.click("text=web-tier");
  await page.waitForSelector("h1:has-text('web-tier')");
  await page.waitForSelector("text=Protected instances");
  const detail = await page.textContent("main");
  assert.match(detail, /web-01 — running/);
  assert.match(detail, /Not while `protected`; needs available, error-starting\./, "a disabled action says why");
  assert.match(detail, /Production is still at the original site/, "no first-failover guidance before a failover");
  assert.match(detail, /web-quarterly-drill — available — 2 drill server\(s\)/);
  await page.screenshot({ path: path.join(results, "console-group.png"), fullPage: true });

  await page.click(".actions a:text-is('Failover')");
  await page.waitForSelector("text=Nothing blocks the failover.");
  const preview = await page.textContent(".role-swap");
  assert.match(preview, /protected → failing-over → failed-over/);
  assert.match(preview, /web-01 \(server A\).*web-01 \(server B\)/s);
  const submit = page.locator("form.confirm button[type=submit]");
  assert.equal(await submit.isDisabled(), true, "not before the name is typed");
  await page.fill("#confirm-name", "web-tier");
  assert.equal(await submit.isDisabled(), false);
  await page.screenshot({ path: path.join(results, "console-failover-confirm.png"), fullPage: true });
  await submit.dblclick(); // a double click submits once
  await page.waitForSelector("text=Failover finished successfully.", { timeout: 30000 });
  const job = await page.textContent("section.job");
  assert.match(job, /stopProductionServers\s*SUCCESS/);
  assert.match(job, /startDrServers\s*SUCCESS/);
  assert.match(job, /4\/4 steps/);
  await page.waitForSelector("text=Roles now");
  const roles = await page.textContent(".roles-now");
  assert.match(roles, /production site server web-01 \(server B\)/);
  const guidance = await page.textContent(".login-guidance");
  assert.match(guidance, /Check whether Cloudbase-Init has started/, "web-01 runs Windows with Cloudbase-Init");
  assert.match(guidance, /the password obtained from server A \(web-02\) with its key pair/, "web-02: Windows key pair");
  await page.screenshot({ path: path.join(results, "console-failover-done.png"), fullPage: true });

  const failovers = await (await fetch(`${base}/v1/5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b/server-groups?name=web-tier`,
    { headers: { "X-Auth-Token": "demo-token" } })).json();
  assert.equal(failovers.server_groups[0].status, "failed-over");

  // Who did it: the group's history (a page of the planning module) and the Activity page name the failover, its
  // caller and its job.
  await page.goto(`${base}/#/groups/${failovers.server_groups[0].id}`);
  await page.click("text=History: who did what to this group");
  await page.waitForSelector("h1:has-text('History')");
  await page.waitForSelector(".audit-trail table");
  assert.match(page.url(), /plans\/index\.html#\/activity\//);
  const history = await page.textContent(".audit-trail");
  assert.match(history, /POST \/v1\/\{project_id\}\/server-groups\/\{server_group_id\}\/action/);
  assert.match(history, /token:[0-9a-f]{16}.*job [0-9a-f]{32}/s);
  assert.doesNotMatch(history, /demo-token/, "never the token itself");
  await page.click("nav >> text=Activity");
  await page.waitForSelector("h1:has-text('Activity')");
  await page.waitForSelector(".audit-trail table");
  assert.match(await page.textContent(".audit-trail"), /server-groups\/\{server_group_id\}\/action/);
  await page.screenshot({ path: path.join(results, "console-activity.png"), fullPage: true });
  await page.close();
});

test("a blocked failover lists every reason and cannot be submitted", async () => {
  const page = await newPage();
  await page.goto(`${base}/#/groups`);
  await page.click("text=kube-tier");
  await page.waitForSelector("h1:has-text('kube-tier')");
  await page.click(".actions a:text-is('Failover')");
  await page.waitForSelector("text=The failover is blocked by 1 reason(s):");
  assert.match(await page.textContent(".precheck"), /SDRS\.1824.*replication link of pair `ad-01-system` is broken/s);
  await page.fill("#confirm-name", "kube-tier");
  assert.equal(await page.locator("form.confirm button[type=submit]").isDisabled(), true);
  assert.match(await page.textContent("#submit-reason"), /1 blocking reason/);
  await page.screenshot({ path: path.join(results, "console-failover-blocked.png"), fullPage: true });
  await page.close();
});

test("the rule explorer works with no server at all", async () => {
  const statics = await serveStatic(path.join(root, "dist"));
  const page = await newPage();
  await page.goto(`${statics.url}/index.html#/rules`);
  await page.waitForSelector("text=Who logs in after a failover?");
  await page.selectOption("#os", { label: "Linux" });
  await page.check("#coreos");
  await page.selectOption("#password-changed", { label: "yes" });
  await page.waitForFunction(() => document.querySelector(".answer").textContent.includes("configured when server A was created"));
  assert.match(await page.textContent(".answer"), /CoreOS note says/);
  await page.click("button:has-text('failed-over')");
  assert.match(await page.textContent(".chart-detail"), /re-protect: reprotecting while running/);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: path.join(results, "console-rules-narrow.png"), fullPage: true });
  await page.close();
  await statics.close();
});

test("connection settings point a statically hosted console at another endpoint; the token is never logged", async () => {
  const statics = await serveStatic(path.join(root, "dist"));
  const page = await newPage();
  const logged = [];
  page.on("console", (message) => logged.push(message.text()));
  await page.goto(`${statics.url}/index.html#/settings`);
  await page.fill("#base", base);
  await page.fill("#project", "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b");
  await page.fill("#token", "demo-token");
  await page.click("form button[type=submit]");
  await page.waitForSelector("text=Saved for this tab.");
  await page.click("nav >> text=Protection groups");
  await page.waitForSelector("table.groups tbody tr");
  assert.match(await page.textContent("table.groups"), /kube-tier/);
  assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in local storage");
  assert.ok(logged.every((line) => !line.includes("demo-token")), "the token never reaches the console log");
  await page.close();
  await statics.close();
});

const PROJECT = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b";
const api = (path, init = {}) =>
  fetch(`${base}/v1/${PROJECT}${path}`, { ...init, headers: { "X-Auth-Token": "demo-token", "Content-Type": "application/json" } })
    .then((r) => r.json());

test("every page works opened directly by its URL: no request for an empty project, no stale error", async () => {
  const groups = (await api("/server-groups?limit=100")).server_groups;
  const db = groups.find((g) => g.name === "db-tier").id;
  const plans = await (await fetch(`${base}/orchestration/v1/${PROJECT}/recovery-plans`, { headers: { "X-Auth-Token": "demo-token" } })).json();
  const pages = [`#/groups/${db}`, `#/groups/${db}/do/reprotect`, "#/rules", "#/settings", "#/plans",
    `#/plans/${plans.recovery_plans[0].id}`, "#/", "#/groups"];
  for (const hash of pages) {
    // A fresh context each time: no session storage, as a link pasted into the incident channel opens.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const bad = [];
    page.on("request", (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.includes("//")) bad.push(request.url());
    });
    page.on("pageerror", (error) => { throw error; });
    await page.goto(`${base}/${hash}`);
    await page.waitForSelector("main h1", { timeout: 15_000 });
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(300);
    assert.deepEqual(bad, [], `${hash}: requests with an empty path segment`);
    assert.equal(await page.locator(".error-box").count(), 0, `${hash}: an error box after a successful load: ${await page.locator(".error-box").allTextContents()}`);
    await context.close();
  }
});

test("a group's recent jobs show jobs started elsewhere, each linked to its steps", async () => {
  const groups = (await api("/server-groups?limit=100")).server_groups;
  const db = groups.find((g) => g.name === "db-tier");
  // Started by someone else (another console, a script): not in this browser's storage.
  const started = await api(`/server-groups/${db.id}/action`, { method: "POST", body: JSON.stringify({ "start-server-group": {} }) });
  assert.ok(started.job_id, JSON.stringify(started));
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/#/groups/${db.id}`);
  await page.waitForSelector(".recent-jobs li a");
  assert.match(await page.textContent("main"), /Every job of this group on this server, whoever started it/);
  assert.match(await page.textContent(".recent-jobs"), /reprotectProtectionGroupNoCG|startProtectionGroupNoCG/);
  await page.locator(".recent-jobs li a").first().click();
  await page.waitForSelector("section.job table");
  assert.match(await page.textContent("main h1"), new RegExp(`Job ${started.job_id}`));
  await context.close();
});

test("the console is served compressed: brotli for the wasm, hashed assets cached for good", async () => {
  const index = await (await fetch(`${base}/`, { headers: { accept: "text/html" } })).text();
  const wasm = index.match(/[\w-]+_bg\.wasm/)[0];
  const response = await fetch(`${base}/${wasm}`, { headers: { "accept-encoding": "br, gzip" } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get("content-encoding"), "br");
  assert.match(response.headers.get("cache-control"), /immutable/);
  const raw = fs.statSync(path.join(root, "dist", wasm)).size;
  const sent = fs.statSync(path.join(root, "dist", `${wasm}.br`)).size;
  console.log(`console wasm: ${raw} bytes raw, ${sent} bytes sent with brotli`);
  assert.ok(sent < raw / 2, `${sent} of ${raw}`);
});

test("an incident page loads the incident module alone; a planning page opens the planning module", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const modules = [];
  page.on("request", (request) => { if (request.url().endsWith(".wasm")) modules.push(new URL(request.url()).pathname); });
  await page.goto(`${base}/#/groups`);
  await page.waitForSelector("table.groups");
  assert.equal(modules.length, 1, modules.join());
  assert.match(modules[0], /^\/sdrs-console-[0-9a-f]{16}_bg\.wasm$/);
  // The header's link to the plans opens the planning module's page at the same route.
  await page.click("nav >> text=Recovery plans");
  await page.waitForSelector("table.plans");
  assert.match(page.url(), /\/plans\/index\.html#\/plans$/);
  assert.match(modules.at(-1), /^\/plans\/sdrs-console-planning-[0-9a-f]{16}_bg\.wasm$/);
  // And a group linked from there opens the incident module again, with the connection this tab already has.
  await page.click("nav >> text=Protection groups");
  await page.waitForSelector("table.groups");
  assert.match(page.url(), /\/index\.html#\/groups$/);
  assert.equal(await page.locator(".error-box").count(), 0);
  await context.close();
});

test("links are anchors to the route; back and forward move between pages", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/#/groups`);
  await page.waitForSelector("table.groups tbody tr");
  const link = page.locator("table.groups a", { hasText: "web-tier" });
  assert.match(await link.getAttribute("href"), /^#\/groups\/[\w-]+$/, "a plain anchor, so it opens in a new tab too");
  await link.click();
  await page.waitForSelector("h1:has-text('web-tier')");
  await page.goBack();
  await page.waitForSelector("table.groups tbody tr");
  assert.match(page.url(), /#\/groups$/);
  await page.goForward();
  await page.waitForSelector("h1:has-text('web-tier')");
  // An address edited by hand is followed too; one that is no page says so.
  await page.evaluate(() => { location.hash = "#/no-such-page"; });
  await page.waitForSelector("h1:has-text('Not found')");
  await context.close();
});

test("a DR drill started here is in this browser's recent jobs, as every other operation's job is", async () => {
  const groups = (await api("/server-groups?limit=100")).server_groups;
  const db = groups.find((g) => g.name === "db-tier").id;
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${base}/#/groups/${db}/do/drill`);
  await page.fill("#drill-name", "browser-drill-remembered");
  await page.click("text=Create drill");
  await page.waitForSelector("section.job");
  const remembered = JSON.parse(await page.evaluate(() => localStorage.getItem("sdrs.jobs")) ?? "[]");
  assert.equal(remembered[0]?.group_id, db, JSON.stringify(remembered));
  assert.match(remembered[0].label, /drill/i);
  const job = await api(`/jobs/${remembered[0].job_id}`);
  assert.equal(job.job_id, remembered[0].job_id, "the remembered job is the server's");
  await context.close();
});

test("the group page reads itself again every 5 s, keeping what it shows until the new answer arrives", async () => {
  const groups = (await api("/server-groups?limit=100")).server_groups;
  const legacy = groups.find((g) => g.name === "legacy-tier").id;
  const page = await newPage();
  await page.goto(`${base}/#/groups/${legacy}`);
  await page.waitForSelector("h1:has-text('legacy-tier')");
  // From here on, the page must never fall back to "Loading…" while it reads the group again.
  await page.evaluate(() => {
    window.loadingSeen = false;
    new MutationObserver(() => {
      if (document.querySelector("main")?.textContent.includes("Loading…")) window.loadingSeen = true;
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  });
  // Renamed elsewhere (another console, a script): the open page shows it within one refresh.
  const rename = (name) => api(`/server-groups/${legacy}`, { method: "PUT", body: JSON.stringify({ server_group: { name } }) });
  await rename("legacy-renamed");
  try {
    await page.waitForSelector("h1:has-text('legacy-renamed')", { timeout: 12_000 });
    assert.equal(await page.evaluate(() => window.loadingSeen), false, "the page showed Loading… while refreshing");
  } finally {
    await rename("legacy-tier");
    await page.close();
  }
});
