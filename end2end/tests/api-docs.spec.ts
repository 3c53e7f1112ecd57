import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { test, expect } from "./fixtures";

// The API reference at /api/docs: Swagger UI, from files this server sends itself, drawing the
// server's own /api/openapi.json. A CSP violation would be logged as a console error, which
// fails any test here through the fixture.

/** Where npm installed the swagger-ui-dist that package.json pins. */
const swaggerUiDist = dirname(require.resolve("swagger-ui-dist/package.json"));

test("the API reference draws the server's own document under a CSP of its own", async ({ page }) => {
  const response = await page.goto("/api/docs");
  expect(response?.status()).toBe(200);
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self';");
  expect(csp).toContain("style-src 'self';");
  expect(csp).not.toContain("unsafe-");
  await expect(page).toHaveTitle("API reference · Taskdeck");
  await expect(page.getByRole("heading", { level: 1, name: /^Taskdeck API/ })).toBeVisible();
  await expect(page.getByRole("link", { name: "/api/tasks", exact: true }).first()).toBeVisible();

  // An operation opens and shows its parameters.
  const list = page.getByRole("button", { name: /^GET \/api\/tasks( |$)/ });
  await list.click();
  await expect(list).toHaveAttribute("aria-expanded", "true");
  await expect(page.getByRole("row", { name: /^limit\b/ })).toBeVisible();
});

test("Swagger UI's files are the pinned npm package's, sent precompressed and cached for a year", async ({
  request,
}) => {
  const html = await (await request.get("/api/docs")).text();
  const urls = [...html.matchAll(/(?:src|href)="(\/api\/docs\/[^"]+)"/g)].map((m) => m[1]);
  const { version } = JSON.parse(await readFile(join(swaggerUiDist, "package.json"), "utf8"));
  const vendored = urls.filter((url) => url.startsWith(`/api/docs/swagger-ui-${version}/`));
  // The bundle and the two stylesheets; nothing of another version.
  expect(vendored).toHaveLength(3);
  expect(urls.filter((url) => url.includes("/swagger-ui-"))).toEqual(vendored);

  for (const url of vendored) {
    const response = await request.get(url, { headers: { "accept-encoding": "br" } });
    expect(response.status(), url).toBe(200);
    expect(response.headers()["content-type"], url).toBe(url.endsWith(".js") ? "text/javascript" : "text/css");
    expect(response.headers()["cache-control"], url).toBe("public, max-age=31536000, immutable");
    // `cargo leptos build --release --precompress` writes a brotli copy of every site file.
    expect(response.headers()["content-encoding"], url).toBe("br");
    // Decompressed by Playwright: byte for byte the npm package's file.
    const name = url.split("/").pop() ?? "";
    expect((await response.body()).equals(await readFile(join(swaggerUiDist, name))), url).toBe(true);
  }

  const init = await request.get("/api/docs/init.js");
  expect(init.status()).toBe(200);
  expect(init.headers()["content-type"]).toBe("text/javascript");
  expect(init.headers()["cache-control"]).toBe("no-cache");
  expect(await init.text()).toContain('url: "/api/openapi.json"');
});
