import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Page } from "@playwright/test";
import { test, expect, gotoHydrated, PASSWORD, newUser, signIn, type User } from "./fixtures";

async function apiCreate(request: APIRequestContext, user: User, data: object) {
  const response = await request.post("/api/tasks", {
    headers: { authorization: `Bearer ${user.token}` },
    data,
  });
  expect(response.status()).toBe(201);
  return response.json();
}

async function apiProject(request: APIRequestContext, user: User, name: string) {
  const response = await request.post("/api/projects", {
    headers: { authorization: `Bearer ${user.token}` },
    data: { name },
  });
  expect(response.status()).toBe(201);
  return response.json();
}

/** Tomorrow in UTC (a user registered without a time zone), written in full as the list's tooltip does. */
function tomorrowShown(): string {
  const day = new Date(Date.now() + 86_400_000);
  const weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  return `${weekdays[day.getUTCDay()]} ${day.getUTCDate()} ${months[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
}

/** Quick add: the fields written into the title land on the task, in the list and in the API. */
async function quickAdd(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  await signIn(page, user, js);
  if (js) {
    // Chips while typing: what the line will set, before anything is saved.
    await page.getByLabel("New task").fill("Pay rent #home @bills !3 tomorrow 9am");
    const chips = page.getByRole("list", { name: "Recognised in the title" }).getByRole("listitem");
    await expect(chips).toHaveText([
      "Project: #home",
      "Label: @bills",
      "Priority: !3",
      "Due date: tomorrow",
      "Due time: 9am",
    ]);
    await page.getByLabel("New task").fill("Pay rent #nowhere");
    await expect(chips).toHaveCount(0);
  }
  await addTask(page, "Pay rent #Home @bills !3 tomorrow 9am");
  if (js) await expect(page.getByRole("list", { name: "Recognised in the title" })).toHaveCount(0);
  await expect(titles(page)).toHaveText(["Pay rent"]);
  const meta = "#Home · High priority · Due tomorrow, 09:00 · @bills";
  await expect(list(page).locator(".meta")).toHaveText([meta]);
  // The date in full, as the due date's tooltip.
  await expect(list(page).locator(".meta span[title]")).toHaveAttribute("title", `${tomorrowShown()}, 09:00`);
  const headers = { authorization: `Bearer ${user.token}` };
  const [task] = await (await request.get("/api/tasks", { headers })).json();
  expect(task).toMatchObject({ title: "Pay rent", project_id: home.id, labels: ["bills"], priority: 3, due_time: "09:00" });
  // A hashtag that names no project of the user's is part of the title.
  await addTask(page, "Fix bug #123");
  await expect(titles(page)).toHaveText(["Fix bug #123", "Pay rent"]);
  await page.reload();
  await expect(list(page).locator(".meta")).toHaveText([meta]);
}

const list = (page: Page) => page.getByRole("list", { name: "Tasks" });
const items = (page: Page) => list(page).getByRole("listitem");
const titles = (page: Page) => list(page).locator(".title");

async function addTask(page: Page, title: string, description = "") {
  await page.getByLabel("New task").fill(title);
  if (description) await page.getByLabel("Notes (optional)").fill(description);
  await page.getByRole("button", { name: "Add task" }).click();
}

test.describe("with JavaScript", () => {
  test("add, edit with Enter and Escape, toggle, delete, clear completed; all survives a reload", async ({
    page,
    request,
  }) => {
    const user = await newUser(request);
    await signIn(page, user);
    await expect(page.getByTestId("empty")).toHaveText("No tasks yet. Add your first one above.");
    await expect(page.getByTestId("signed-in-as")).toContainText(user.email);

    await addTask(page, "Buy milk", "Oat, 2 litres");
    await addTask(page, "Water the plants");
    await addTask(page, "Call the bank");
    await expect(titles(page)).toHaveText(["Call the bank", "Water the plants", "Buy milk"]);
    await expect(page.getByLabel("New task")).toHaveValue("");
    await expect(page.getByTestId("active-count")).toHaveText("3 tasks left");

    // Edit: Enter saves.
    await page.getByRole("link", { name: "Edit “Buy milk”" }).click();
    const title = page.getByLabel("Title");
    await expect(title).toBeFocused();
    await title.fill("Buy oat milk");
    await title.press("Enter");
    await expect(titles(page)).toHaveText(["Call the bank", "Water the plants", "Buy oat milk"]);
    await expect(items(page).nth(2)).toContainText("Oat, 2 litres");

    // Edit: Escape cancels.
    await page.getByRole("link", { name: "Edit “Water the plants”" }).click();
    await page.getByLabel("Title").fill("Something else");
    await page.getByLabel("Title").press("Escape");
    await expect(page.getByLabel("Title")).toHaveCount(0);
    await expect(titles(page)).toHaveText(["Call the bank", "Water the plants", "Buy oat milk"]);

    // Toggle.
    const milk = page.getByRole("checkbox", { name: "Buy oat milk" });
    const toggled = page.waitForResponse((r) => r.url().endsWith("/rpc/tasks/toggle"));
    await milk.click();
    await expect(milk).toBeChecked();
    expect((await toggled).status()).toBe(200);
    await expect(page.getByTestId("active-count")).toHaveText("2 tasks left");

    // Delete.
    await page.getByRole("button", { name: "Delete “Call the bank”" }).click();
    await expect(titles(page)).toHaveText(["Water the plants", "Buy oat milk"]);

    // State survives a reload, rendered on the server.
    await gotoHydrated(page, "/tasks");
    await expect(titles(page)).toHaveText(["Water the plants", "Buy oat milk"]);
    await expect(page.getByRole("checkbox", { name: "Buy oat milk" })).toBeChecked();
    await expect(page.getByRole("checkbox", { name: "Water the plants" })).not.toBeChecked();

    // Clear completed: one request, and the page keeps what is left.
    const cleared = page.waitForResponse((r) => r.url().endsWith("/rpc/tasks/clear-completed"));
    await page.getByRole("button", { name: "Clear completed (1)" }).click();
    expect((await cleared).status()).toBe(200);
    await expect(titles(page)).toHaveText(["Water the plants"]);
    await expect(page.getByRole("button", { name: /Clear completed/ })).toHaveCount(0);
    await gotoHydrated(page, "/tasks");
    await expect(titles(page)).toHaveText(["Water the plants"]);
  });

  test("filters and search live in the URL, render on the server, and have empty states", async ({
    page,
    request,
  }) => {
    const user = await newUser(request);
    await apiCreate(request, user, { title: "Buy milk" });
    await apiCreate(request, user, { title: "Buy bread", completed: true });
    await apiCreate(request, user, { title: "Walk the dog", description: "Before the MILKMAN comes" });
    await signIn(page, user);

    await page.getByRole("link", { name: "Active" }).click();
    await expect(page).toHaveURL("/tasks?filter=active");
    await expect(page.getByRole("link", { name: "Active" })).toHaveAttribute("aria-current", "page");
    await expect(titles(page)).toHaveText(["Walk the dog", "Buy milk"]);

    await page.getByRole("searchbox", { name: "Search tasks" }).fill("milk");
    await page.getByRole("button", { name: "Apply" }).click();
    // A plain GET form sends its empty filters too; the view reads them as none.
    await expect(page).toHaveURL(/\/tasks\?filter=active&(.*&)?q=milk$/);
    await expect(titles(page)).toHaveText(["Walk the dog", "Buy milk"]);

    await page.getByRole("link", { name: "Completed" }).click();
    await expect(page).toHaveURL("/tasks?filter=completed&q=milk");
    await expect(page.getByTestId("empty")).toHaveText("No tasks match “milk”.");

    // The same URLs, loaded fresh, render on the server.
    for (const [url, expected] of [
      ["/tasks?filter=completed", ["Buy bread"]],
      ["/tasks?q=BREAD", ["Buy bread"]],
      ["/tasks?filter=active&q=milk", ["Walk the dog", "Buy milk"]],
    ] as const) {
      const html = await (await page.request.get(url)).text();
      for (const title of expected) expect(html).toContain(title);
      await gotoHydrated(page, url);
      await expect(titles(page)).toHaveText([...expected]);
    }

    // Each filter's empty state; a task toggled out of the filter leaves the view at once.
    await gotoHydrated(page, "/tasks?filter=completed&q=BREAD");
    // The view changes at once (optimistically); wait for the server to have saved the toggle
    // before leaving the page, or the navigation cancels the request in flight.
    const toggled = page.waitForResponse((r) => r.url().endsWith("/rpc/tasks/toggle"));
    await page.getByRole("checkbox", { name: "Buy bread" }).click();
    await expect(page.getByTestId("empty")).toHaveText("No tasks match “BREAD”.");
    expect((await toggled).status()).toBe(200);
    await gotoHydrated(page, "/tasks?filter=completed");
    await expect(page.getByTestId("empty")).toHaveText("No completed tasks yet.");
    for (const title of ["Walk the dog", "Buy milk", "Buy bread"]) {
      await apiToggleAll(request, user, title);
    }
    await gotoHydrated(page, "/tasks?filter=active");
    await expect(page.getByTestId("empty")).toHaveText("Nothing left to do.");
    await expect(page.getByTestId("active-count")).toHaveText("0 tasks left");
  });

  test("two users never see each other's tasks; the API and the UI show the same tasks", async ({
    browser,
    request,
  }) => {
    const ada = await newUser(request);
    const bob = await newUser(request);
    const adaContext = await browser.newContext();
    const bobContext = await browser.newContext();
    const adaPage = await adaContext.newPage();
    const bobPage = await bobContext.newPage();
    await signIn(adaPage, ada);
    await signIn(bobPage, bob);

    await addTask(adaPage, "Ada's secret plan");
    await addTask(bobPage, "Bob's shopping");
    await expect(titles(adaPage)).toHaveText(["Ada's secret plan"]);
    await expect(titles(bobPage)).toHaveText(["Bob's shopping"]);
    await gotoHydrated(bobPage, "/tasks?q=secret");
    await expect(bobPage.getByTestId("empty")).toBeVisible();

    // Made in the UI, returned by the API with the user's token (and only theirs).
    const adaTasks = await (
      await request.get("/api/tasks", { headers: { authorization: `Bearer ${ada.token}` } })
    ).json();
    expect(adaTasks.map((t: { title: string }) => t.title)).toEqual(["Ada's secret plan"]);
    // Made through the API, shown in the UI.
    await apiCreate(request, bob, { title: "From the API", description: "via curl" });
    await gotoHydrated(bobPage, "/tasks");
    await expect(titles(bobPage)).toHaveText(["From the API", "Bob's shopping"]);
    await expect(items(bobPage).first()).toContainText("via curl");
    await adaContext.close();
    await bobContext.close();
  });

  test("quick add reads project, label, priority and due date from the title", async ({ page, request }) => {
    await quickAdd(page, request, true);
  });

  test("validation errors show beside the field before anything is sent", async ({ page, request }) => {
    const user = await newUser(request);
    await signIn(page, user);
    let posts = 0;
    page.on("request", (r) => {
      if (r.url().includes("/rpc/tasks/create")) posts += 1;
    });
    await page.getByRole("button", { name: "Add task" }).click();
    await expect(page.getByRole("alert")).toHaveText("must not be empty");
    await expect(page.getByLabel("New task")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByLabel("New task")).toBeFocused();

    await addTask(page, "x".repeat(256));
    await expect(page.getByRole("alert")).toHaveText("must be at most 255 characters");
    expect(posts).toBe(0);

    // 255 is fine.
    await addTask(page, "y".repeat(255));
    await expect(titles(page)).toHaveText(["y".repeat(255)]);
    await expect(page.getByRole("alert")).toHaveCount(0);
  });

  test("load more continues with the API's keyset cursor", async ({ page, request }) => {
    const user = await newUser(request);
    for (let i = 1; i <= 55; i++) {
      await apiCreate(request, user, { title: `Task ${String(i).padStart(2, "0")}` });
    }
    await signIn(page, user);
    await expect(items(page)).toHaveCount(50);
    await expect(titles(page).first()).toHaveText("Task 55");
    await page.getByRole("link", { name: "Load more" }).click();
    await expect(items(page)).toHaveCount(55);
    await expect(titles(page).last()).toHaveText("Task 01");
    await expect(page.getByRole("link", { name: "Load more" })).toHaveCount(0);
    await expect(page.getByTestId("active-count")).toHaveText("55 tasks left");
  });

  test.describe("when the session ends mid-use", () => {
    // The refused call is logged by Chromium as a failed resource load.
    test.use({ expectedConsoleErrors: [/status of 401/] });

    test("the next action leads to sign-in, and back to the tasks afterwards", async ({ page, context, request }) => {
      const user = await newUser(request);
      await apiCreate(request, user, { title: "Still here" });
      await signIn(page, user);
      await gotoHydrated(page, "/tasks?filter=active");
      const cookies = await context.cookies();

      // Sign out in another tab (the session is deleted on the server), then put the old
      // cookie back, as a tab that never heard of the sign-out would still send it.
      const other = await context.newPage();
      await gotoHydrated(other, "/tasks");
      await other.getByRole("button", { name: "Sign out" }).click();
      await expect(other).toHaveURL("/login");
      await other.close();
      await context.addCookies(cookies);

      await page.getByRole("checkbox", { name: "Still here" }).click();
      await expect(page).toHaveURL(/\/login\?next=/);
      await page.getByLabel("Email").fill(user.email);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page).toHaveURL("/tasks?filter=active");
      // The refused toggle was rolled back: nothing changed on the server.
      await expect(page.getByRole("checkbox", { name: "Still here" })).not.toBeChecked();
    });
  });

  test.describe("when the server refuses", () => {
    // Chromium logs each refused call as a failed resource load.
    test.use({ expectedConsoleErrors: [/status of (404|500|503)|EventSource/] });

    test("a failed toggle is rolled back with a message", async ({ page, request }) => {
      const user = await newUser(request);
      await apiCreate(request, user, { title: "Flaky" });
      await signIn(page, user);
      // The server fails once (as a crashed database would make it).
      await page.route("**/rpc/tasks/toggle", (route) =>
        route.fulfill({ status: 500, contentType: "application/json", body: '"Internal"' }),
      );
      const checkbox = page.getByRole("checkbox", { name: "Flaky" });
      await checkbox.click();
      await expect(page.getByRole("alert")).toHaveText("Something went wrong on our side. Please try again.");
      await expect(checkbox).not.toBeChecked();
      await expect(page.getByTestId("active-count")).toHaveText("1 task left");
      await page.unroute("**/rpc/tasks/toggle");
      await checkbox.click();
      await expect(checkbox).toBeChecked();
      await expect(page.getByRole("alert")).toHaveCount(0);
    });

    test("a task deleted elsewhere says so and leaves the list", async ({ page, request }) => {
      const user = await newUser(request);
      const task = await apiCreate(request, user, { title: "Gone soon" });
      // A page that has not heard of the deletion (its live updates refused; live.spec.ts shows
      // them), so that its click meets a task that is gone.
      for (const path of ["**/events", "**/rpc/tasks/changes"]) {
        await page.route(path, (route) => route.fulfill({ status: 503, body: "" }));
      }
      await signIn(page, user);
      const checkbox = page.getByRole("checkbox", { name: "Gone soon" });
      await expect(checkbox).toBeVisible();
      await request.delete(`/api/tasks/${task.id}`, { headers: { authorization: `Bearer ${user.token}` } });
      await checkbox.click();
      await expect(page.getByRole("alert")).toHaveText(/no longer exists/);
      await expect(page.getByTestId("empty")).toBeVisible();
    });
  });

  test("adding a task shifts nothing that the user did not cause", async ({ page, request }) => {
    const user = await newUser(request);
    await apiCreate(request, user, { title: "Already there" });
    await signIn(page, user);
    // Layout shifts not caused by the user's own input (the Cumulative Layout Shift metric).
    await page.evaluate(() => {
      (window as any).unexpectedShift = 0;
      new PerformanceObserver((entries) => {
        for (const entry of entries.getEntries() as any[]) {
          if (!entry.hadRecentInput) (window as any).unexpectedShift += entry.value;
        }
      }).observe({ type: "layout-shift" });
    });
    await addTask(page, "New on top");
    await expect(titles(page)).toHaveText(["New on top", "Already there"]);
    await page.getByRole("checkbox", { name: "New on top" }).click();
    await expect(page.getByRole("checkbox", { name: "New on top" })).toBeChecked();
    expect(await page.evaluate(() => (window as any).unexpectedShift)).toBe(0);
  });

  test("keyboard only: add, toggle and delete without a mouse", async ({ page, request }) => {
    const user = await newUser(request);
    await signIn(page, user);
    await page.getByLabel("New task").focus();
    await page.keyboard.type("Typed, not clicked");
    await page.keyboard.press("Enter");
    await expect(titles(page)).toHaveText(["Typed, not clicked"]);
    const checkbox = page.getByRole("checkbox", { name: "Typed, not clicked" });
    await checkbox.focus();
    await page.keyboard.press("Space");
    await expect(checkbox).toBeChecked();
    // The row's buttons are disabled while its toggle is being saved.
    const remove = page.getByRole("button", { name: "Delete “Typed, not clicked”" });
    await expect(remove).toBeEnabled();
    await remove.focus();
    await page.keyboard.press("Enter");
    await expect(page.getByTestId("empty")).toBeVisible();
  });
});

async function apiToggleAll(request: APIRequestContext, user: User, title: string) {
  const headers = { authorization: `Bearer ${user.token}` };
  const tasks = await (await request.get(`/api/tasks?q=${encodeURIComponent(title)}`, { headers })).json();
  for (const task of tasks) {
    if (!task.completed) await request.patch(`/api/tasks/${task.id}/toggle`, { headers });
  }
}

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("add, edit, toggle, filter, delete and clear completed through plain forms", async ({ page, request }) => {
    const user = await newUser(request);
    await signIn(page, user, false);
    await addTask(page, "Buy milk", "2 litres");
    // Back on the page the form was on (server_fn's redirect may leave an empty "?").
    await expect(page).toHaveURL(/\/tasks\??$/);
    await addTask(page, "Water the plants");
    await expect(titles(page)).toHaveText(["Water the plants", "Buy milk"]);

    // Filters land back on the same view after each action.
    await page.getByRole("link", { name: "Active" }).click();
    await expect(page).toHaveURL("/tasks?filter=active");
    await page.getByRole("checkbox", { name: "Buy milk" }).click();
    await expect(page).toHaveURL("/tasks?filter=active");
    await expect(titles(page)).toHaveText(["Water the plants"]);
    await expect(page.getByTestId("active-count")).toHaveText("1 task left");

    // Edit: a page of its own, back to the list on save.
    await page.getByRole("link", { name: "Edit “Water the plants”" }).click();
    await expect(page).toHaveURL(/edit=/);
    await page.getByLabel("Title").fill("Water all the plants");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page).toHaveURL("/tasks?filter=active");
    await expect(titles(page)).toHaveText(["Water all the plants"]);

    // Search.
    await page.getByRole("searchbox", { name: "Search tasks" }).fill("milk");
    await page.getByRole("button", { name: "Apply" }).click();
    // A plain GET form sends its empty filters too; the view reads them as none.
    await expect(page).toHaveURL(/\/tasks\?filter=active&(.*&)?q=milk$/);
    await expect(page.getByTestId("empty")).toHaveText("No tasks match “milk”.");

    await page.getByRole("link", { name: "Completed" }).click();
    await expect(page).toHaveURL("/tasks?filter=completed&q=milk");
    await expect(titles(page)).toHaveText(["Buy milk"]);
    await page.getByRole("button", { name: "Clear completed (1)" }).click();
    await expect(page.getByTestId("empty")).toBeVisible();

    await page.getByRole("link", { name: "All", exact: true }).click();
    await expect(page).toHaveURL("/tasks?q=milk");
    await page.goto("/tasks");
    await page.getByRole("button", { name: "Delete “Water all the plants”" }).click();
    await expect(page.getByTestId("empty")).toHaveText("No tasks yet. Add your first one above.");
  });

  test("quick add reads project, label, priority and due date from the title", async ({ page, request }) => {
    await quickAdd(page, request, false);
  });

  test("validation errors come back beside the field", async ({ page, request }) => {
    const user = await newUser(request);
    await signIn(page, user, false);
    await page.getByRole("button", { name: "Add task" }).click();
    await expect(page.getByRole("alert")).toHaveText("must not be empty");
    await addTask(page, "z".repeat(256));
    await expect(page.getByRole("alert")).toHaveText("must be at most 255 characters");
    await expect(page.getByTestId("empty")).toBeVisible();

    await apiCreate(request, user, { title: "Keep me" });
    await page.goto("/tasks");
    await page.getByRole("link", { name: "Edit “Keep me”" }).click();
    await page.getByLabel("Title").fill("   ");
    await page.getByRole("button", { name: "Save" }).click();
    await expect(page.getByRole("alert")).toHaveText("must not be empty");
    await page.goto("/tasks");
    await expect(titles(page)).toHaveText(["Keep me"]);
  });
});

test.describe("accessibility and looks", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`axe finds no violations (${colorScheme})`, async ({ page, request }) => {
      await page.emulateMedia({ colorScheme });
      for (const path of ["/login", "/register"]) {
        await gotoHydrated(page, path);
        const results = await new AxeBuilder({ page }).analyze();
        expect(results.violations, path).toEqual([]);
      }
      const user = await newUser(request);
      await apiCreate(request, user, { title: "Done already", completed: true });
      await apiCreate(request, user, {
        title: "Buy milk",
        description: "Oat, 2 litres",
        priority: 2,
        labels: ["errands"],
        due_date: "2030-05-01",
      });
      await signIn(page, user);
      await expect(list(page).locator(".meta")).toHaveText(["Medium priority · Due Wed 1 May 2030 · @errands"]);
      await page.getByLabel("New task").fill("Call the bank @phone !2 tomorrow 5pm");
      await expect(page.getByRole("list", { name: "Recognised in the title" }).getByRole("listitem")).toHaveCount(4);
      const results = await new AxeBuilder({ page }).analyze();
      expect(results.violations, "/tasks").toEqual([]);
      await page.getByRole("link", { name: "Edit “Buy milk”" }).click();
      const editing = await new AxeBuilder({ page }).analyze();
      expect(editing.violations, "/tasks while editing").toEqual([]);
    });
  }

  test("on a 375 px screen a task is one row of 44 px targets, still axe-clean", async ({ page, request }, testInfo) => {
    const user = await newUser(request);
    for (const title of ["Buy milk", "Call mum", "Water the plants"]) {
      await apiCreate(request, user, { title });
    }
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn(page, user);
    await expect(items(page)).toHaveCount(3);
    for (const title of ["Buy milk", "Call mum", "Water the plants"]) {
      const item = items(page).filter({ hasText: title });
      const targets = [
        item.getByRole("checkbox"),
        item.getByRole("link", { name: `Edit “${title}”` }),
        item.getByRole("button", { name: `Delete “${title}”` }),
      ];
      const boxes = [];
      for (const target of targets) {
        const box = await target.boundingBox();
        expect(box, `${title}: a visible target`).not.toBeNull();
        boxes.push(box!);
      }
      for (const box of boxes) {
        expect(box.width, `${title}: target width`).toBeGreaterThanOrEqual(44);
        expect(box.height, `${title}: target height`).toBeGreaterThanOrEqual(44);
      }
      // One row: the three targets sit side by side, their tops level with each other.
      const tops = boxes.map((box) => box.y);
      expect(Math.max(...tops) - Math.min(...tops), `${title}: targets on one row`).toBeLessThanOrEqual(2);
      expect(boxes[1].x, `${title}: Edit right of the checkbox`).toBeGreaterThan(boxes[0].x + boxes[0].width - 1);
      expect(boxes[2].x, `${title}: Delete right of Edit`).toBeGreaterThan(boxes[1].x + boxes[1].width - 1);
      const row = await item.boundingBox();
      expect(row!.height, `${title}: the task's height`).toBeLessThan(2 * 44);
    }
    const results = await new AxeBuilder({ page }).analyze();
    expect(results.violations, "/tasks at 375 px").toEqual([]);
    const path = testInfo.outputPath("tasks-375-rows.png");
    await page.screenshot({ path, fullPage: true });
    await testInfo.attach("tasks at 375 px, one row each", { path, contentType: "image/png" });
  });

  test("screenshots of /tasks at 375 px and 1280 px", async ({ page, request }, testInfo) => {
    const user = await newUser(request);
    await apiCreate(request, user, { title: "Renew passport", completed: true });
    await apiCreate(request, user, { title: "Buy milk", description: "Oat, 2 litres" });
    await apiCreate(request, user, { title: "Book the dentist for the whole family before the holidays" });
    await signIn(page, user);
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      // Nothing may stick out sideways on a phone.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `horizontal overflow at ${width} px`).toBeLessThanOrEqual(0);
      const path = testInfo.outputPath(`tasks-${width}.png`);
      await page.screenshot({ path, fullPage: true });
      await testInfo.attach(`tasks at ${width} px`, { path, contentType: "image/png" });
    }
  });
});
