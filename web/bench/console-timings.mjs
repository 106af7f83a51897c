// Console timings in Debian's Chromium against a running demo sdrs-server (BASE): time to the rendered groups list
// and to an interactive group page (its action links shown), each from a fresh browser context (cold cache), median
// of RUNS. Prints key=value lines for scripts/bench.
import { launch } from "../tests/lib.mjs";

const base = process.env.BASE ?? "http://127.0.0.1:8080";
const runs = Number(process.env.RUNS ?? 5);
const groups = await (await fetch(`${base}/v1/5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b/server-groups?name=web-tier`,
  { headers: { "X-Auth-Token": "demo-token" } })).json();
const id = groups.server_groups[0].id;
const browser = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const list = [], group = [], bytes = [];
for (let i = 0; i < runs; i++) {
  for (const [target, selector, into] of [["#/groups", "table.groups tbody tr", list], [`#/groups/${id}`, ".actions a", group]]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    let received = 0;
    page.on("response", async (response) => {
      const length = Number(response.headers()["content-length"] ?? 0);
      received += length;
    });
    const started = Date.now();
    await page.goto(`${base}/${target}`);
    await page.waitForSelector(selector);
    into.push(Date.now() - started);
    if (into === list) bytes.push(received);
    await context.close();
  }
}
await browser.close();
console.log(`console_list_rendered_ms_median=${median(list)} (runs: ${list.join(", ")})`);
console.log(`console_group_interactive_ms_median=${median(group)} (runs: ${group.join(", ")})`);
console.log(`console_first_load_bytes_over_the_wire=${median(bytes)} (content-length of every response of a cold load)`);
