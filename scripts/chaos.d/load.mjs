// The drills' load: CONCURRENCY clients for SECONDS against URL, each request alternating between
// creating a task (POST /api/tasks, a title unique to the request) and listing (GET /api/tasks),
// with the tokens in TOKENS_FILE (one per line) in turn. Writes what happened to OUT_FILE (JSON):
// the count of each status (or connection error), the slowest answer, the ids of the tasks whose
// creation was acknowledged (201), 5xx answers that were not problem documents, and every
// request's start time, duration and outcome, so that a drill can judge each by when it began.
//
//   node load.mjs URL SECONDS CONCURRENCY TOKENS_FILE OUT_FILE
import { readFileSync, writeFileSync } from "node:fs";

const [url, seconds, concurrency, tokensFile, outFile] = process.argv.slice(2);
const tokens = readFileSync(tokensFile, "utf8").trim().split("\n");
const deadline = Date.now() + Number(seconds) * 1000;
const results = { statuses: {}, maxMs: 0, acknowledged: [], notProblems: 0, requests: [] };
let next = 0;

async function one(i) {
  const token = tokens[i % tokens.length];
  const headers = { authorization: `Bearer ${token}` };
  const write = i % 2 === 0;
  const signal = AbortSignal.timeout(30_000);
  const res = write
    ? await fetch(`${url}/api/tasks`, {
        method: "POST",
        headers: { ...headers, "content-type": "application/json" },
        body: JSON.stringify({ title: `chaos ${i}` }),
        signal,
      })
    : await fetch(`${url}/api/tasks?limit=10`, { headers, signal });
  const body = await res.text();
  if (write && res.status === 201) results.acknowledged.push(JSON.parse(body).id);
  const type = res.headers.get("content-type") || "";
  if (res.status >= 500 && !type.startsWith("application/problem+json")) results.notProblems++;
  return String(res.status);
}

async function client() {
  while (Date.now() < deadline) {
    const i = next++;
    const started = Date.now();
    let outcome;
    try {
      outcome = await one(i);
    } catch (err) {
      outcome = `error:${err.cause?.code || err.name}`;
    }
    const ms = Date.now() - started;
    results.maxMs = Math.max(results.maxMs, ms);
    results.statuses[outcome] = (results.statuses[outcome] || 0) + 1;
    results.requests.push([started, ms, outcome]);
    // A refused connection fails at once: do not spin on it.
    if (outcome.startsWith("error:")) await new Promise((r) => setTimeout(r, 20));
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, client));
writeFileSync(outFile, JSON.stringify(results));
