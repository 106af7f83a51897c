// Minifies the wasm-bindgen glue that Trunk writes next to each console page (Trunk's own JS minifier cannot parse
// it) and updates that page's subresource-integrity hash of it. Run by scripts/build-console after Trunk, before the
// compressed copies are made: `node web/minify-glue.mjs dist dist/plans`.
import crypto from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { minify } from "terser";

const integrity = (bytes) => `sha384-${crypto.createHash("sha384").update(bytes).digest("base64")}`;

for (const dir of process.argv.slice(2)) {
  const page = path.join(dir, "index.html");
  let html = await fs.readFile(page, "utf8");
  const scripts = (await fs.readdir(dir)).filter((name) => name.endsWith(".js"));
  if (scripts.length === 0) throw new Error(`no script next to ${page}`);
  for (const name of scripts) {
    const file = path.join(dir, name);
    const source = await fs.readFile(file);
    const before = integrity(source);
    if (!html.includes(before)) throw new Error(`${page} does not pin ${name} by ${before}`);
    const { code } = await minify(source.toString("utf8"), { module: true, compress: true, mangle: true });
    await fs.writeFile(file, code);
    html = html.replaceAll(before, integrity(Buffer.from(code, "utf8")));
    console.log(`${file}: ${source.length} → ${Buffer.byteLength(code)} bytes`);
  }
  await fs.writeFile(page, html);
}
