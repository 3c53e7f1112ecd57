// The tasks page on a throttled "Fast 3G" connection (Chrome DevTools' preset: 562.5 ms round
// trip, 1.44 Mbit/s down, 675 kbit/s up), with an empty cache: when the first paint comes, when
// the page is usable (its forms work as plain forms from the first paint), and when it is
// interactive (the WASM has hydrated it: <html data-hydrated>). Prints one line per run.
//
//   node scripts/bench.d/fast3g.mjs [BASE_URL] [RUNS]
//
// Needs a running server (scripts/run, or the release binary) and Playwright from end2end/.
import { chromium } from "../../end2end/node_modules/playwright/index.mjs";

const base = process.argv[2] ?? "http://127.0.0.1:3000";
const runs = Number(process.argv[3] ?? 3);
const executablePath = process.env.CHROMIUM ?? "/usr/bin/chromium";
const password = "correct horse battery";
const email = `fast3g-${Date.now()}@example.com`;

const browser = await chromium.launch({ executablePath });
// A user with a project, a label and 30 tasks, through the API.
const api = await browser.newContext();
const registered = await api.request.post(`${base}/api/auth/register`, { data: { email, password } });
if (!registered.ok()) throw new Error(`register: ${registered.status()}`);
const { access_token: token } = await registered.json();
const headers = { authorization: `Bearer ${token}` };
const project = await (await api.request.post(`${base}/api/projects`, { headers, data: { name: "Home" } })).json();
for (let i = 0; i < 30; i++) {
  await api.request.post(`${base}/api/tasks`, {
    headers,
    data: { title: `Task ${i} with a title of ordinary length`, labels: ["bills"], project_id: i % 2 ? project.id : null },
  });
}
await api.close();

for (let run = 1; run <= runs; run++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Signed in, unthrottled; then an empty cache and the throttle for the measured load.
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/tasks/);
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.clearBrowserCache");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: true });
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 562.5,
    downloadThroughput: (1.44 * 1000 * 1000) / 8,
    uploadThroughput: (675 * 1000) / 8,
  });
  const start = Date.now();
  await page.goto(`${base}/tasks`, { waitUntil: "commit" });
  await page.waitForSelector("[data-testid=task]");
  const usable = Date.now() - start;
  await page.waitForSelector("html[data-hydrated]", { timeout: 60_000 });
  const interactive = Date.now() - start;
  const paint = await page.evaluate(
    () => performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? NaN,
  );
  console.log(
    `FAST3G run=${run} first_contentful_paint_ms=${Math.round(paint)} tasks_shown_ms=${usable} interactive_ms=${interactive}`,
  );
  await context.close();
}
await browser.close();
