// Headless Chromium test of the embedding example: the API works, the element renders and re-renders, and the
// host page is untouched (no global styles, fonts or listeners added).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch, serveStatic } from "./lib.mjs";

const web = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let server, browser, page;

before(async () => {
  server = await serveStatic(web);
  browser = await launch();
  page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(error));
  await page.goto(`${server.url}/example/index.html`);
  await page.waitForSelector("body[data-ready=yes]");
  await page.waitForFunction(() => document.getElementById("advisor").dataset.state);
  assert.deepEqual(errors, []);
});

after(async () => {
  await browser?.close();
  await server?.close();
});

const advisorText = () => page.evaluate(() => document.getElementById("advisor").shadowRoot.textContent);

test("the element renders the login explanation in its shadow root", async () => {
  const text = await advisorText();
  assert.match(text, /Logging in to server B \(db-01-dr\)/);
  assert.match(text, /password of server A \(db-01\)/);
  assert.match(text, /Scenario 3/);
});

test("changing the form re-renders the element", async () => {
  await page.selectOption("select[name=os]", "windows");
  await page.check("input[name=init-agent]");
  await page.selectOption("select[name=cloudbase-init]", "started");
  await page.waitForFunction(() => document.getElementById("advisor").shadowRoot.textContent.includes("Reset the login password of server B"));
  assert.equal(await page.evaluate(() => document.getElementById("advisor").dataset.state), "use");
  await page.selectOption("select[name=server]", "dr");
  await page.waitForFunction(() => document.getElementById("advisor").dataset.state === "not-documented");
  assert.match(await advisorText(), /Not documented/);
});

test("the API validates action bodies and explains errors", async () => {
  await page.fill("#body", '{"failover": {}}');
  await page.click("#action-form button");
  await page.waitForFunction(() => document.getElementById("action-result").textContent.length > 0);
  assert.match(await page.textContent("#action-result"), /^SDRS\.0206 \(HTTP 400\): Invalid action/);
  await page.fill("#body", '{"reverse-server-group": {"priority_station": "target"}}');
  await page.click("#action-form button");
  await page.waitForFunction(() => document.getElementById("action-result").textContent.startsWith("Valid"));
});

test("the element adds no listeners to window or document", async () => {
  // A fresh page: Playwright's own input actions on the shared page add listeners of their own.
  const fresh = await browser.newPage();
  await fresh.goto(`${server.url}/example/index.html`);
  await fresh.waitForFunction(() => document.getElementById("advisor").dataset.state);
  const cdp = await fresh.context().newCDPSession(fresh);
  const count = async (expression) => {
    const { result } = await cdp.send("Runtime.evaluate", { expression });
    const { listeners } = await cdp.send("DOMDebugger.getEventListeners", { objectId: result.objectId });
    // Playwright's injected script registers its own (marked) listeners on window; they are not the page's.
    const playwright = new Set(listeners.filter((l) => l.type.startsWith("__playwright")).map((l) => l.scriptId));
    return listeners.filter((l) => !playwright.has(l.scriptId)).length;
  };
  assert.equal(await count("window"), 0);
  assert.equal(await count("document"), 0);
  await fresh.close();
});

test("the element leaves the host page alone", async () => {
  const host = await page.evaluate(() => ({
    sheets: document.styleSheets.length,
    fonts: document.fonts.size,
    bodyFont: getComputedStyle(document.body).fontFamily,
    paragraph: getComputedStyle(document.querySelector("p")).color,
  }));
  assert.equal(host.sheets, 1, "only the page's own <style>");
  assert.equal(host.fonts, 0);
  assert.match(host.bodyFont, /Georgia/);
  assert.equal(host.paragraph, "rgb(68, 68, 68)");
  const themed = await page.evaluate(() => {
    const style = getComputedStyle(document.getElementById("advisor"));
    return style.backgroundColor;
  });
  assert.equal(themed, "rgb(245, 248, 252)", "themed through --sdrs-advisor-bg");
  await page.screenshot({ path: path.join(web, "test-results", "embedding-example.png"), fullPage: true });
});
