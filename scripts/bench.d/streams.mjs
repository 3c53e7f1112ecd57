// Holds event streams open (GET /api/events) for the benchmark's "list+streams" scenario:
// STREAMS of them (default 1000), spread over the users of $BENCH_DATA (at most 10 each, the
// server's limit), against http://$BENCH_ADDR. Prints "open N" once all are open (or "failed ..."
// and exits 1), then holds them, reading and dropping what they send, until killed.
import { readFileSync } from "node:fs";
import http from "node:http";

const want = Number(process.env.STREAMS || 1000);
const [host, port] = process.env.BENCH_ADDR.split(":");
const tokens = readFileSync(process.env.BENCH_DATA, "utf8")
  .split("\n")
  .filter((line) => line.trim())
  .map((line) => line.split(" ")[0]);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
let open = 0;
for (let i = 0; i < want; i++) {
  const token = tokens[i % tokens.length];
  const request = http.get(
    { host, port, path: "/api/events", agent, headers: { authorization: `Bearer ${token}` } },
    (response) => {
      if (response.statusCode !== 200) {
        console.log(`failed: stream ${i} answered ${response.statusCode}`);
        process.exit(1);
      }
      response.on("data", () => {});
      open += 1;
      if (open === want) console.log(`open ${open}`);
    },
  );
  request.on("error", (err) => {
    console.log(`failed: stream ${i}: ${err.message}`);
    process.exit(1);
  });
}
