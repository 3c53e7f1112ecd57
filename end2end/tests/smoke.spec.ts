import { test, expect, gotoHydrated } from "./fixtures";

test("pages are rendered on the server, before any script runs", async ({ request }) => {
  const response = await request.get("/login");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/html");
  const html = await response.text();
  expect(html).toMatch(/<h1[^>]*>Sign in<\/h1>/);
  expect(html).toContain("<title>Sign in · Taskdeck</title>");
  // The marker is only ever set in the browser, by an Effect.
  expect(html).not.toContain("data-hydrated");
});

test("the start page sends a visitor to sign in, on the server", async ({ request }) => {
  const response = await request.get("/", { maxRedirects: 0, headers: { accept: "text/html" } });
  expect(response.status()).toBe(302);
  expect(response.headers()["location"]).toBe("/login");
});

test("a page hydrates under its Content-Security-Policy, without console errors", async ({ page }) => {
  // A CSP that blocked the hydration scripts or the WASM would log a console error (failing
  // this test through the fixture) and the hydration marker would never appear.
  const response = await gotoHydrated(page, "/login");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(csp).toContain("frame-ancestors 'none'");
  await expect(page).toHaveTitle("Sign in · Taskdeck");
  await expect(page.getByRole("link", { name: "Taskdeck" })).toHaveAttribute("href", "/");
});

test.describe("an unknown page", () => {
  // Chromium itself logs the document's 404 status as a console error.
  test.use({ expectedConsoleErrors: [/status of 404 \(Not Found\)/] });

  test("is a 404 that hydrates, with a way back", async ({ page }) => {
    const response = await gotoHydrated(page, "/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
    await page.getByRole("link", { name: "Go to the start page" }).click();
    // The start page sends a signed-out visitor on to sign in.
    await expect(page).toHaveURL("/login");
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
  });
});

test("unknown API paths answer with a JSON problem document", async ({ request }) => {
  const response = await request.get("/api/no-such-endpoint");
  expect(response.status()).toBe(404);
  expect(response.headers()["content-type"]).toBe("application/problem+json");
  expect(await response.json()).toMatchObject({ type: "about:blank", title: "Not Found", status: 404 });
});

test("the release bundle has hashed names, is sent compressed and cached for a year", async ({ request }) => {
  const html = await (await request.get("/login")).text();
  const names = [...html.matchAll(/\/pkg\/taskdeck\.[A-Za-z0-9_-]+\.(?:js|wasm|css)/g)].map((m) => m[0]);
  const kinds = new Set(names.map((name) => name.split(".").pop()));
  expect([...kinds].sort()).toEqual(["css", "js", "wasm"]);
  for (const name of new Set(names)) {
    for (const encoding of ["br", "gzip"]) {
      const response = await request.get(name, { headers: { "accept-encoding": encoding } });
      expect(response.status(), name).toBe(200);
      expect(response.headers()["content-encoding"], name).toBe(encoding);
      expect(response.headers()["cache-control"], name).toBe("public, max-age=31536000, immutable");
    }
  }
});
