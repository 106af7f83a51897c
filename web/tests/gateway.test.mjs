// Gateway mode in a real browser: an upstream sdrs-server (demo data, AK/SK) and a second sdrs-server in gateway
// mode serving the console. The console logs in with the gateway secret and runs a failover on the upstream.
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { launch } from "./lib.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const serverBin = process.env.SDRS_SERVER_BIN ?? path.join(root, "target", "debug", "sdrs-server");
const results = path.join(root, "web", "test-results");
const processes = [];
let gatewayUrl, browser;

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function start(args, env = {}) {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sdrs-gw-"));
  const child = spawn(serverBin, [...args, "--listen", `127.0.0.1:${port}`, "--database", path.join(dir, "db")],
    { stdio: "ignore", env: { ...process.env, RUST_LOG: "warn", ...env } });
  processes.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try { await fetch(`${url}/`); return url; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error("server did not start");
}

before(async () => {
  const upstream = await start(["--demo", "--time-scale", "0.1"]);
  gatewayUrl = await start(
    ["--gateway-upstream", upstream, "--gateway-project", "5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b", "--console-dir", path.join(root, "dist")],
    { SDRS_GATEWAY_AK: "DEMOACCESSKEY0000001", SDRS_GATEWAY_SK: "demo-secret-key-change-me", SDRS_GATEWAY_SECRET: "open-sesame-at-3am-please" });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const child of processes) child.kill("SIGKILL");
});

test("the console logs in to the gateway and fails over a group on the upstream", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${gatewayUrl}/#/groups`);
  await page.waitForSelector(".error-box");
  assert.match(await page.textContent(".error-box"), /APIG\.0301.*log in to the gateway/s, "nothing is forwarded before the login");

  await page.click("nav >> text=Connection");
  await page.fill("#gateway-secret", "wrong");
  await page.click("form.gateway-login button");
  await page.waitForSelector("text=The gateway refused the secret");
  await page.fill("#gateway-secret", "open-sesame-at-3am-please");
  await page.click("form.gateway-login button");
  await page.waitForSelector("text=Logged in to the gateway.");
  const cookies = await page.context().cookies();
  const session = cookies.find((c) => c.name === "sdrs_gateway");
  assert.ok(session?.httpOnly && session.sameSite === "Strict", "an HttpOnly, SameSite=Strict session cookie");

  await page.click("nav >> text=Protection groups");
  await page.waitForSelector("table.groups tbody tr");
  await page.click("text=db-tier");
  await page.waitForSelector("h1:has-text('db-tier')");
  // The servers' facts come from ECS and IMS through the gateway (it forwards no admin API): every server's power
  // state, and login guidance that cites the facts it was asked with.
  await page.waitForSelector(".login-guidance .login-row");
  const detail = await page.textContent("main");
  for (const server of ["db-01", "db-02"]) {
    assert.equal((detail.match(new RegExp(`${server} — (running|stopped)`, "g")) ?? []).length, 2,
      `${server}: the power state of its production and DR server: ${detail}`);
  }
  assert.equal(await page.locator(".login-guidance .login-row").count(), 4, "two instances, two servers each");
  const facts = await page.textContent(".login-guidance");
  assert.match(facts, /OS: linux \(ECS metadata\.os_type\)/);
  assert.match(facts, /login: key-pair \(ECS key_name `KeyPair-db-01`/);
  assert.match(facts, /Cloud-Init: not known \(`db-02-image` is a private image/, "a private image: unknown, said so");
  await page.click(".actions a:text-is('Re-protect')");
  await page.waitForSelector("text=Nothing blocks the re-protect.");
  await page.fill("#confirm-name", "db-tier");
  await page.click("form.confirm button[type=submit]");
  await page.waitForSelector("text=Re-protect finished successfully.", { timeout: 30000 });
  await page.goto(`${gatewayUrl}/#/groups`);
  await page.click("text=db-tier");
  await page.waitForSelector("h1:has-text('db-tier')");
  await page.click(".actions a:text-is('Failover')");
  await page.waitForSelector("text=Nothing blocks the failover.");
  await page.fill("#confirm-name", "db-tier");
  await page.click("form.confirm button[type=submit]");
  await page.waitForSelector("text=Failover finished successfully.", { timeout: 30000 });
  // Production is back at the original site, so this was not the first failover: the operator says so.
  await page.waitForSelector("text=Production is still at the original site");
  await page.uncheck(".login-guidance input[type=checkbox]");
  await page.waitForSelector(".login-guidance .login-row");
  const after = await page.textContent(".login-guidance");
  assert.equal(await page.locator(".login-guidance .login-row").count(), 4, after);
  assert.match(after, /power: running \(ECS status ACTIVE\)/, "the new production servers run");
  assert.match(after, /Cloud-Init: not known \(`db-02-image` is a private image/, "unknown, and said so");
  assert.equal((after.match(/Scenario 3 \(Linux\), key pair login/g) ?? []).length, 4, "every row cites the seed");
  await page.screenshot({ path: path.join(results, "console-gateway-failover.png"), fullPage: true });

  await page.click("nav >> text=Connection");
  await page.click("form.gateway-login button.logout");
  await page.waitForSelector("text=Logged out of the gateway.");
  assert.equal((await page.context().cookies()).find((c) => c.name === "sdrs_gateway"), undefined, "the cookie is cleared");
  await page.click("nav >> text=Protection groups");
  await page.waitForSelector(".error-box");
  assert.match(await page.textContent(".error-box"), /APIG\.0301/, "nothing is forwarded after the logout");
  await page.close();
});
