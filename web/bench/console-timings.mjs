// Console timings in Debian's Chromium against a running demo sdrs-server (BASE): time to the rendered groups list
// and to an interactive group page (its action links shown), each from a fresh browser context (cold cache), median
// of RUNS; at loopback speed and over two throttled links (Chromium's emulation, 40 ms round trip: 5 Mbit/s, an
// operator on a VPN from home; 1 Mbit/s, a phone's tethering in a car park), where the bytes of a first load show.
// Prints key=value lines for scripts/bench.
import { launch } from "../tests/lib.mjs";

const base = process.env.BASE ?? "http://127.0.0.1:8080";
const runs = Number(process.env.RUNS ?? 5);
const groups = await (await fetch(`${base}/v1/5a1f0c3e2b7d4e6f8a9b0c1d2e3f4a5b/server-groups?name=web-tier`,
  { headers: { "X-Auth-Token": "demo-token" } })).json();
const id = groups.server_groups[0].id;
const browser = await launch();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const throttled = (bits) => ({ offline: false, latency: 40, downloadThroughput: bits / 8, uploadThroughput: bits / 8 });
const links = [["", null], ["_5mbit_40ms", throttled(5e6)], ["_1mbit_40ms", throttled(1e6)]];
for (const [suffix, link] of links) {
  const list = [], group = [], bytes = [];
  for (let i = 0; i < runs; i++) {
    for (const [target, selector, into] of [["#/groups", "table.groups tbody tr", list], [`#/groups/${id}`, ".actions a", group]]) {
      const context = await browser.newContext();
      const page = await context.newPage();
      if (link) {
        const cdp = await context.newCDPSession(page);
        await cdp.send("Network.enable");
        await cdp.send("Network.emulateNetworkConditions", link);
      }
      let received = 0;
      page.on("response", async (response) => {
        received += Number(response.headers()["content-length"] ?? 0);
      });
      const started = Date.now();
      await page.goto(`${base}/${target}`);
      await page.waitForSelector(selector, { timeout: 60_000 });
      into.push(Date.now() - started);
      if (into === list) bytes.push(received);
      await context.close();
    }
  }
  console.log(`console_list_rendered_ms_median${suffix}=${median(list)} (runs: ${list.join(", ")})`);
  console.log(`console_group_interactive_ms_median${suffix}=${median(group)} (runs: ${group.join(", ")})`);
  if (!link) console.log(`console_first_load_bytes_over_the_wire=${median(bytes)} (content-length of every response of a cold load)`);
}
await browser.close();
