import { defineConfig, devices } from "@playwright/test";

// Debian's Chromium: `npx playwright install` would download a browser, which cannot work here.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

// The server is started by `cargo leptos end-to-end --release` (see scripts/test), which waits
// for it to listen before running this suite; BASE_URL points the suite elsewhere.
export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  // Two cores run the server, PostgreSQL and the browsers; more workers only add contention.
  workers: 2,
  forbidOnly: !!process.env.CI,
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  outputDir: "test-results",
  use: {
    baseURL: process.env.BASE_URL ?? "http://127.0.0.1:3000",
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        launchOptions: {
          executablePath: CHROMIUM,
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
          ],
        },
      },
    },
  ],
});
