import { test, expect, gotoHydrated } from "./fixtures";

test("the landing page is rendered on the server, before any script runs", async ({ request }) => {
  const response = await request.get("/");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toContain("text/html");
  const html = await response.text();
  expect(html).toMatch(/<h1[^>]*>Taskdeck<\/h1>/);
  expect(html).toContain("<title>Taskdeck</title>");
  // The marker is only ever set in the browser, by an Effect.
  expect(html).not.toContain("data-hydrated");
});

test("the landing page hydrates under its Content-Security-Policy, without console errors", async ({ page }) => {
  // A CSP that blocked the hydration scripts or the WASM would log a console error (failing
  // this test through the fixture) and the hydration marker would never appear.
  const response = await gotoHydrated(page, "/");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'/);
  expect(csp).toContain("frame-ancestors 'none'");
  await expect(page).toHaveTitle("Taskdeck");
  await expect(page.getByRole("heading", { level: 1, name: "Taskdeck" })).toBeVisible();
  await expect(page.getByTestId("landing")).toBeVisible();
  await expect(page.getByRole("link", { name: "Taskdeck" })).toHaveAttribute("href", "/");
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the landing page is complete", async ({ page }) => {
    await page.goto("/");
    await expect(page.getByRole("heading", { level: 1, name: "Taskdeck" })).toBeVisible();
    await expect(page.getByRole("list", { name: "What Taskdeck offers" }).getByRole("listitem")).toHaveCount(3);
    await expect(page.locator("html")).not.toHaveAttribute("data-hydrated", "true");
  });
});

test.describe("an unknown page", () => {
  // Chromium itself logs the document's 404 status as a console error.
  test.use({ expectedConsoleErrors: [/status of 404 \(Not Found\)/] });

  test("is a 404 that hydrates, with a way back", async ({ page }) => {
    const response = await gotoHydrated(page, "/no/such/page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { level: 1, name: "Page not found" })).toBeVisible();
    await page.getByRole("link", { name: "Go to the start page" }).click();
    await expect(page).toHaveURL("/");
    await expect(page.getByRole("heading", { level: 1, name: "Taskdeck" })).toBeVisible();
  });
});

test("unknown API paths answer with a JSON problem document", async ({ request }) => {
  const response = await request.get("/api/no-such-endpoint");
  expect(response.status()).toBe(404);
  expect(response.headers()["content-type"]).toBe("application/problem+json");
  expect(await response.json()).toMatchObject({ type: "about:blank", title: "Not Found", status: 404 });
});
