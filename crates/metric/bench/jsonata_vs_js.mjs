// jsonata-js side of bench/jsonata_vs_js.sh: the same expression on the same pages, the same
// measure (fastest of five runs after a warm-up, in CPU time of the process, garbage collector
// threads included), printed as rows per CPU-second.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const [dir, modules] = process.argv.slice(2);
const require = createRequire(`${modules}/`);
const jsonata = require("jsonata");

const pages = JSON.parse(readFileSync(`${dir}/pages.json`, "utf8"));
const texts = pages.map((p) => JSON.stringify(p));
const expression = jsonata(readFileSync(`${dir}/expression.jsonata`, "utf8"));

async function once(fromText) {
  let rows = 0;
  for (let i = 0; i < pages.length; i++) {
    const page = fromText ? JSON.parse(texts[i]) : pages[i];
    const out = await expression.evaluate(page);
    rows += Array.isArray(out) ? out.length : out === undefined ? 0 : 1;
  }
  return rows;
}

async function best(fromText) {
  await once(fromText);
  let fastest = Infinity;
  let rows = 0;
  let wall = Infinity;
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    rows = await once(fromText);
    const used = process.cpuUsage(c);
    const cpu = (used.user + used.system) / 1e6;
    if (cpu < fastest) {
      fastest = cpu;
      wall = Number(process.hrtime.bigint() - t) / 1e9;
    }
  }
  console.error(`  cpu ${fastest.toFixed(3)}s, wall ${wall.toFixed(3)}s`);
  return Math.round(rows / fastest);
}

console.log(`js_eval_rows_per_sec ${await best(false)}`);
console.log(`js_text_to_rows_per_sec ${await best(true)}`);
