import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";

type Fixtures = {
  /**
   * Console errors a test expects, e.g. Chromium's own line for a page served with status 404.
   * Every other console error or uncaught exception fails the test: hydration mismatches and
   * panics in the WASM show up there first.
   */
  expectedConsoleErrors: RegExp[];
  consoleErrors: string[];
};

export const test = base.extend<Fixtures>({
  expectedConsoleErrors: [[], { option: true }],
  consoleErrors: [
    async ({ page, expectedConsoleErrors }, use) => {
      const errors: string[] = [];
      page.on("console", (message) => {
        if (message.type() !== "error") return;
        const text = message.text();
        if (!expectedConsoleErrors.some((pattern) => pattern.test(text))) errors.push(`${page.url()}: ${text}`);
      });
      page.on("pageerror", (error) => errors.push(error.message));
      await use(errors);
      expect(errors, "console errors during the test").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** Navigates and waits until the WASM has hydrated the page (the <html data-hydrated> marker). */
export async function gotoHydrated(page: Page, url: string) {
  const response = await page.goto(url);
  await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  return response;
}

/** The password of every user the tests register. */
export const PASSWORD = "correct horse battery";

/** A user registered through the API, with its access token. */
export type User = { email: string; token: string };

/** A fresh user of its own (tests run in parallel), registered through the API (so in UTC). */
export async function newUser(request: APIRequestContext): Promise<User> {
  const email = `user-${Date.now()}-${Math.random().toString(36).slice(2, 10)}@example.com`;
  const response = await request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
  return { email, token: (await response.json()).access_token };
}

/** A call to the JSON API as `user`, expected to succeed; its JSON body (none for a 204). */
export async function api(request: APIRequestContext, user: User, method: string, path: string, data?: object) {
  const response = await request.fetch(path, {
    method,
    headers: { authorization: `Bearer ${user.token}` },
    data,
  });
  expect(response.ok(), `${method} ${path}: ${response.status()}`).toBe(true);
  return response.status() === 204 ? null : response.json();
}

/** Signs in through the form; with JavaScript the page is hydrated first and after. */
export async function signIn(page: Page, user: User, js = true) {
  if (js) {
    await gotoHydrated(page, "/login");
  } else {
    await page.goto("/login");
  }
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/tasks");
  if (js) await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
}
