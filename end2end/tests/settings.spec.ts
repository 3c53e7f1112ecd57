import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { test, expect, gotoHydrated } from "./fixtures";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "a much better passphrase";

function uniqueEmail() {
  return `settings-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

async function register(request: APIRequestContext): Promise<string> {
  const email = uniqueEmail();
  const response = await request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
  return email;
}

async function open(page: Page, url: string, javaScript: boolean) {
  if (javaScript) {
    await gotoHydrated(page, url);
  } else {
    await page.goto(url);
  }
}

async function signIn(page: Page, email: string, javaScript: boolean, password = PASSWORD) {
  await open(page, "/login?next=/settings", javaScript);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/settings");
  await expect(page.getByRole("heading", { name: "Settings" })).toBeVisible();
  if (javaScript) {
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  }
}

/** A second browser of the same user: its own context (cookies), signed in on /tasks. */
async function otherBrowser(browser: Browser, email: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/tasks");
  return { context, page };
}

// A refused call from the hydrated page is a 4xx fetch, which Chromium logs as a console error.
const refusedFetch = /Failed to load resource: the server responded with a status of 4\d\d/;

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(`settings ${mode}`, () => {
    test.use({ javaScriptEnabled: javaScript, expectedConsoleErrors: [refusedFetch] });

    test("a token made here works with the API until it is revoked", async ({ page, request }) => {
      const email = await register(request);
      await signIn(page, email, javaScript);
      await expect(page.getByText("You have no personal access tokens.")).toBeVisible();
      await page.getByLabel("Name").fill("Backup script");
      await page.getByLabel("change them").check();
      await page.getByRole("button", { name: "Create token" }).click();

      const secretField = page.getByTestId("new-token");
      await expect(secretField).toHaveValue(/^tdp_/);
      const secret = await secretField.inputValue();
      await expect(page.getByRole("list", { name: "Your personal access tokens" }).getByRole("listitem")).toHaveCount(1);
      await expect(page.getByRole("listitem")).toContainText("Backup script");
      await expect(page.getByRole("listitem")).toContainText("May read and write.");

      const created = await request.post("/api/tasks", {
        headers: { authorization: `Bearer ${secret}` },
        data: { title: "Made by a script" },
      });
      expect(created.status()).toBe(201);
      const listed = await request.get("/api/tasks", { headers: { authorization: `Bearer ${secret}` } });
      expect(listed.status()).toBe(200);
      // Management is never a token's business.
      const tokens = await request.get("/api/tokens", { headers: { authorization: `Bearer ${secret}` } });
      expect(tokens.status()).toBe(403);

      // Shown once: a fresh visit shows it no more.
      await open(page, "/settings", javaScript);
      await expect(page.getByTestId("new-token")).toHaveCount(0);
      await expect(page.getByRole("listitem")).toContainText("Last used");

      await page.getByRole("button", { name: "Revoke Backup script" }).click();
      await expect(page.getByText("You have no personal access tokens.")).toBeVisible();
      const refused = await request.get("/api/tasks", { headers: { authorization: `Bearer ${secret}` } });
      expect(refused.status()).toBe(401);
    });

    test("a token needs a name and a scope", async ({ page, request }) => {
      const email = await register(request);
      await signIn(page, email, javaScript);
      await page.getByLabel("read tasks, projects and labels").uncheck();
      // The browser would refuse an empty required field itself; a name of spaces reaches the server.
      await page.getByLabel("Name").fill("   ");
      await page.getByRole("button", { name: "Create token" }).click();
      await expect(page.locator("#name-error")).toHaveText("must not be empty");
      await expect(page.locator("#scopes-error")).toHaveText("must name at least one scope");
      await expect(page.getByText("You have no personal access tokens.")).toBeVisible();
    });

    test("a password change signs out the other browsers, not this one", async ({ page, request, browser }) => {
      const email = await register(request);
      const other = await otherBrowser(browser, email);
      await signIn(page, email, javaScript);

      await page.getByLabel("Current password").fill("not my password");
      await page.getByLabel(/^New password/).fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByRole("alert")).toHaveText("That is not your current password.");

      await page.getByLabel("Current password").fill(PASSWORD);
      await page.getByLabel(/^New password/).fill(NEW_PASSWORD);
      await page.getByRole("button", { name: "Change password" }).click();
      await expect(page.getByText("Your password was changed.")).toBeVisible();

      // This browser stays signed in; the other one is signed out.
      await open(page, "/tasks", javaScript);
      await expect(page.getByTestId("signed-in-as")).toContainText(email);
      await other.page.goto("/tasks");
      await expect(other.page).toHaveURL("/login?next=/tasks");
      await other.context.close();

      const oldPassword = await request.post("/api/auth/login", { data: { email, password: PASSWORD } });
      expect(oldPassword.status()).toBe(401);
      const newPassword = await request.post("/api/auth/login", { data: { email, password: NEW_PASSWORD } });
      expect(newPassword.status()).toBe(200);
    });

    test("sign out everywhere ends every browser's session", async ({ page, request, browser }) => {
      const email = await register(request);
      const other = await otherBrowser(browser, email);
      await signIn(page, email, javaScript);
      await page.getByRole("button", { name: "Sign out everywhere" }).click();
      await expect(page).toHaveURL("/login");
      await open(page, "/settings", javaScript);
      await expect(page).toHaveURL("/login?next=/settings");
      await other.page.goto("/tasks");
      await expect(other.page).toHaveURL("/login?next=/tasks");
      await other.context.close();
    });

    test("the time zone can be changed", async ({ page, request }) => {
      const email = await register(request);
      await signIn(page, email, javaScript);
      const field = page.getByRole("textbox", { name: /^Time zone/ });
      await expect(field).toHaveValue("UTC");
      await field.fill("Mars/Olympus");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await expect(page.locator("#timezone-error")).toContainText("IANA time zone name");
      await page.getByRole("textbox", { name: /^Time zone/ }).fill("Pacific/Kiritimati");
      await page.getByRole("button", { name: "Save time zone" }).click();
      await expect(page.getByText("Time zone saved.")).toBeVisible();
      await open(page, "/settings", javaScript);
      await expect(page.getByRole("textbox", { name: /^Time zone/ })).toHaveValue("Pacific/Kiritimati");
    });

    test("deleting the account asks for the password, then everything is gone", async ({ page, request }) => {
      const email = await register(request);
      await signIn(page, email, javaScript);
      await page.getByLabel("Your password, to confirm").fill("not my password");
      await page.getByRole("button", { name: "Delete my account" }).click();
      await expect(page.getByRole("alert")).toHaveText("That is not your current password.");
      await page.getByLabel("Your password, to confirm").fill(PASSWORD);
      await page.getByRole("button", { name: "Delete my account" }).click();
      await expect(page).toHaveURL("/login");
      const login = await request.post("/api/auth/login", { data: { email, password: PASSWORD } });
      expect(login.status()).toBe(401);
      await open(page, "/settings", javaScript);
      await expect(page).toHaveURL("/login?next=/settings");
    });
  });
}

test("settings: axe finds no violations, with a new token shown", async ({ page, request }) => {
  const email = await register(request);
  await signIn(page, email, true);
  await page.getByLabel("Name").fill("CI");
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByTestId("new-token")).toHaveValue(/^tdp_/);
  for (const colorScheme of ["light", "dark"] as const) {
    await page.emulateMedia({ colorScheme });
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations, colorScheme).toEqual([]);
  }
});
