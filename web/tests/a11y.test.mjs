// axe-core (from the npm registry) on every page of the console, against the real server with the demo data: no
// serious or critical violation. The console's content-security-policy does not allow injected scripts, so axe is
// added through the browser's debugging protocol (bypassCSP), as an extension would.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { axeViolations, launch, startDemoServer } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const results = path.join(root, "web", "test-results");
// The README shows these: the tests make them, so they stay current.
const screenshots = path.join(root, "docs", "screenshots");
fs.mkdirSync(screenshots, { recursive: true });
const SHOTS = { "#/": "overview", "#/groups": "groups", "group": "group", "failover": "failover", "blocked": "failover-blocked", "plan": "plan" };
const PROJECT = "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b";
fs.mkdirSync(results, { recursive: true });

let server, base, browser;

before(async () => {
  ({ base, server } = await startDemoServer(root, { prefix: "sdrs-a11y-" }));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill("SIGKILL");
});

const get = (p) => fetch(`${base}${p}`, { headers: { "X-Auth-Token": "demo-token" } }).then((r) => r.json());

test("no serious or critical accessibility violation on any page, in light and dark mode", async () => {
  const groups = (await get(`/v1/${PROJECT}/server-groups?limit=100`)).server_groups;
  const web = groups.find((g) => g.name === "web-tier").id;
  const kube = groups.find((g) => g.name === "kube-tier").id;
  const plan = (await get(`/orchestration/v1/${PROJECT}/recovery-plans`)).recovery_plans[0].id;
  const pages = ["#/", "#/groups", `#/groups/${web}`, `#/groups/${web}/do/failover`, `#/groups/${kube}/do/failover`,
    "#/rules", "#/settings", "#/plans", `#/plans/${plan}`, "#/activity", "#/webhooks"];
  const report = {};
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, bypassCSP: true, colorScheme: scheme });
    for (const hash of pages) {
      const page = await context.newPage();
      await page.goto(`${base}/${hash}`);
      await page.waitForSelector("main h1");
      await page.waitForLoadState("networkidle");
      const shot = SHOTS[hash] ?? (hash.endsWith("/do/failover") ? (hash.includes(kube) ? SHOTS.blocked : SHOTS.failover)
        : hash.startsWith("#/groups/") ? SHOTS.group : hash.startsWith("#/plans/") ? SHOTS.plan : null);
      if (shot && (scheme === "light" || shot === "overview")) {
        await page.screenshot({ path: path.join(screenshots, `${shot}${scheme === "dark" ? "-dark" : ""}.png`) });
      }
      const violations = await axeViolations(page);
      report[`${scheme} ${hash}`] = violations.length;
      assert.deepEqual(violations, [], `${scheme} ${hash}`);
      await page.close();
    }
    await context.close();
  }
  fs.writeFileSync(path.join(results, "axe.json"), JSON.stringify(report, null, 2));
  console.log(`axe: ${Object.keys(report).length} page views, ${Object.values(report).reduce((a, b) => a + b, 0)} serious or critical violations`);
});

/** Presses Tab until the focused element matches `predicate` (at most 60 times); fails otherwise. */
async function tabTo(page, description, predicate) {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(predicate)) return;
  }
  assert.fail(`Tab never reached ${description}`);
}

test("the whole failover flow by keyboard alone, focus moved to each new page, progress in a live region", async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const page = await context.newPage();
  await page.goto(`${base}/#/groups`);
  await page.waitForSelector("table.groups tbody tr");
  await tabTo(page, "the web-tier link", () => document.activeElement?.textContent === "web-tier");
  await page.keyboard.press("Enter");
  await page.waitForSelector("h1:has-text('web-tier')");
  await page.waitForFunction(() => document.activeElement?.tagName === "H1", null, { timeout: 5000 });
  await tabTo(page, "the Failover action", () => document.activeElement?.textContent === "Failover");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#confirm-name");
  await page.waitForFunction(() => document.activeElement?.tagName === "H1", null, { timeout: 5000 });
  await tabTo(page, "the name confirmation", () => document.activeElement?.id === "confirm-name");
  await page.keyboard.type("web-tier");
  await page.keyboard.press("Enter");
  await page.waitForSelector("[aria-live=polite] >> text=/steps/");
  await page.waitForSelector("text=Failover finished successfully.", { timeout: 60_000 });
  await page.screenshot({ path: path.join(screenshots, "failover-done.png") });
  await context.close();
});

test("readable at 200 % zoom of a 1280×720 laptop: no page scrolls sideways", async () => {
  const groups = (await get(`/v1/${PROJECT}/server-groups?limit=100`)).server_groups;
  const web = groups.find((g) => g.name === "db-tier").id;
  // 200 % zoom of 1280×720 leaves 640×360 CSS pixels.
  const context = await browser.newContext({ viewport: { width: 640, height: 360 } });
  const wide = [];
  for (const hash of ["#/", "#/groups", `#/groups/${web}`, `#/groups/${web}/do/reprotect`, "#/rules", "#/settings", "#/plans", "#/activity", "#/webhooks"]) {
    const page = await context.newPage();
    await page.goto(`${base}/${hash}`);
    await page.waitForSelector("main h1");
    await page.waitForLoadState("networkidle");
    const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: innerWidth }));
    if (scroll > width + 1) wide.push(`${hash}: ${scroll} px wide in ${width}`);
    await page.close();
  }
  await context.close();
  assert.deepEqual(wide, []);
});
