import type { APIRequestContext, Page } from "@playwright/test";
import { test, expect, gotoHydrated } from "./fixtures";

const PASSWORD = "correct horse battery";

/** A user of its own for every test. */
function uniqueEmail() {
  return `user-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
}

async function registerThroughApi(request: APIRequestContext, email: string) {
  const response = await request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(response.status()).toBe(201);
}

async function open(page: Page, url: string, javaScript: boolean) {
  if (javaScript) {
    await gotoHydrated(page, url);
  } else {
    await page.goto(url);
  }
}

async function fillCredentials(page: Page, email: string, password: string) {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel(/^Password/).fill(password);
}

// A refused call from the hydrated page is a 4xx fetch, which Chromium logs as a console error.
const refusedFetch = /Failed to load resource: the server responded with a status of 4\d\d/;

for (const javaScript of [true, false]) {
  const mode = javaScript ? "with JavaScript" : "without JavaScript";

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: javaScript });

    test("register lands signed in; sign out ends the session", async ({ page }) => {
      const email = uniqueEmail();
      await open(page, "/register", javaScript);
      await fillCredentials(page, email, PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page).toHaveURL("/tasks");
      await expect(page.getByTestId("signed-in-as")).toHaveText(`Signed in as ${email}`);

      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL("/login");
      await open(page, "/tasks", javaScript);
      await expect(page).toHaveURL("/login?next=/tasks");
      await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
    });

    test("sign in, and sign out again", async ({ page, request }) => {
      const email = uniqueEmail();
      await registerThroughApi(request, email);
      await open(page, "/login", javaScript);
      await fillCredentials(page, email, PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL("/tasks");
      await expect(page.getByTestId("signed-in-as")).toContainText(email);
      await page.getByRole("button", { name: "Sign out" }).click();
      await expect(page).toHaveURL("/login");
    });

    test.describe("refusals", () => {
      test.use({ expectedConsoleErrors: [refusedFetch] });

      test("a wrong password shows an inline error", async ({ page, request }) => {
        const email = uniqueEmail();
        await registerThroughApi(request, email);
        await open(page, "/login", javaScript);
        await fillCredentials(page, email, "not the password");
        await page.getByRole("button", { name: "Sign in" }).click();
        await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
        await expect(page).toHaveURL(/\/login/);
        await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
      });

      test("an email that is taken says so", async ({ page, request }) => {
        const email = uniqueEmail();
        await registerThroughApi(request, email);
        await open(page, "/register", javaScript);
        await fillCredentials(page, email, PASSWORD);
        await page.getByRole("button", { name: "Create account" }).click();
        await expect(page.getByRole("alert")).toContainText("already exists");
        await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
      });
    });

    test("signing in returns to the page that asked for it", async ({ page, request }) => {
      const email = uniqueEmail();
      await registerThroughApi(request, email);
      await open(page, "/tasks?filter=active", javaScript);
      await expect(page).toHaveURL("/login?next=/tasks%3Ffilter%3Dactive");
      await fillCredentials(page, email, PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL("/tasks?filter=active");
    });

    test("a next pointing at another site lands on /tasks", async ({ page, request }) => {
      const email = uniqueEmail();
      await registerThroughApi(request, email);
      await open(page, "/login?next=https://evil.example", javaScript);
      await fillCredentials(page, email, PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL("/tasks");
    });
  });
}

test("the old cookie, replayed by hand after sign-out, opens nothing", async ({ browser, page, request }) => {
  const email = uniqueEmail();
  await registerThroughApi(request, email);
  await gotoHydrated(page, "/login");
  await fillCredentials(page, email, PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/tasks");
  const cookies = await page.context().cookies();
  const session = cookies.find((cookie) => cookie.name === "taskdeck_session");
  expect(session?.httpOnly).toBe(true);
  expect(session?.sameSite).toBe("Lax");

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL("/login");

  const replay = await browser.newContext();
  await replay.addCookies(cookies);
  const replayPage = await replay.newPage();
  await replayPage.goto("/tasks");
  await expect(replayPage).toHaveURL("/login?next=/tasks");
  await replay.close();
});

test.describe("the browser's time zone", () => {
  test.use({ timezoneId: "Asia/Tokyo" });

  test("registering with JavaScript keeps the browser's time zone", async ({ page }) => {
    await open(page, "/register", true);
    await fillCredentials(page, uniqueEmail(), PASSWORD);
    await page.getByRole("button", { name: "Create account" }).click();
    await expect(page).toHaveURL("/tasks");
    await gotoHydrated(page, "/settings");
    await expect(page.getByLabel("Time zone (such as Europe/Berlin)")).toHaveValue("Asia/Tokyo");
  });

  test.describe("without JavaScript", () => {
    test.use({ javaScriptEnabled: false });

    test("registering keeps UTC", async ({ page }) => {
      await open(page, "/register", false);
      await fillCredentials(page, uniqueEmail(), PASSWORD);
      await page.getByRole("button", { name: "Create account" }).click();
      await expect(page).toHaveURL("/tasks");
      await page.goto("/settings");
      await expect(page.getByLabel("Time zone (such as Europe/Berlin)")).toHaveValue("UTC");
    });
  });
});
