import type { APIRequestContext, Page } from "@playwright/test";
import { test, expect, gotoHydrated, PASSWORD, newUser, api, signIn, type User } from "./fixtures";

// Issue 15, the web app's part: two pages of one user side by side. A change in one, or through
// the API, appears in the other within a second; an edit made on a stale copy shows the conflict.

/** "Within a second" (issue 15), as the time Playwright gives the page to show a change. */
const WITHIN = { timeout: 1_000 };

/** Opens the tasks page and waits until its live updates are connected. */
async function openLive(page: Page) {
  await gotoHydrated(page, "/tasks");
  await expect(page.locator("html")).toHaveAttribute("data-live", "open");
}

const list = (page: Page) => page.getByRole("list", { name: "Tasks" });
const titles = (page: Page) => list(page).locator(".title");

test("a change in one page, or through the API, appears in the other within a second", async ({ page, request }) => {
  const user = await newUser(request);
  await signIn(page, user);
  const other = await page.context().newPage();
  await openLive(page);
  await openLive(other);

  // Added in one page.
  await page.getByLabel("New task").fill("Walk the dog");
  await page.getByRole("button", { name: "Add task" }).click();
  await expect(titles(page)).toHaveText(["Walk the dog"]);
  await expect(titles(other)).toHaveText(["Walk the dog"], WITHIN);
  await expect(other.getByTestId("active-count")).toHaveText("1 task left", WITHIN);

  // Completed in the other.
  await other.getByRole("checkbox", { name: "Walk the dog" }).click();
  await expect(page.getByRole("checkbox", { name: "Walk the dog" })).toBeChecked(WITHIN);
  await expect(page.getByTestId("active-count")).toHaveText("0 tasks left", WITHIN);

  // Edited in one.
  await page.getByRole("link", { name: "Edit “Walk the dog”" }).click();
  await page.getByLabel("Title").fill("Walk the dog twice");
  await page.getByLabel("Title").press("Enter");
  await expect(titles(other)).toHaveText(["Walk the dog twice"], WITHIN);

  // Added, moved and deleted through the API: both pages follow.
  const task = await api(request, user, "POST", "/api/tasks", { title: "Pay rent" });
  for (const shown of [page, other]) await expect(titles(shown)).toHaveText(["Pay rent", "Walk the dog twice"], WITHIN);
  const project = await api(request, user, "POST", "/api/projects", { name: "Home" });
  await api(request, user, "POST", `/api/tasks/${task.id}/move`, { project_id: project.id });
  await api(request, user, "PATCH", `/api/tasks/${task.id}`, { priority: 3 });
  await expect(list(other).locator(".meta")).toHaveText(["High priority"], WITHIN);
  await api(request, user, "DELETE", `/api/tasks/${task.id}`);
  for (const shown of [page, other]) await expect(titles(shown)).toHaveText(["Walk the dog twice"], WITHIN);

  // A filtered view takes in only what it shows.
  await gotoHydrated(other, "/tasks?filter=active");
  await expect(other.locator("html")).toHaveAttribute("data-live", "open");
  await api(request, user, "POST", "/api/tasks", { title: "Still to do" });
  await api(request, user, "POST", "/api/tasks", { title: "Done already", completed: true });
  await expect(titles(other)).toHaveText(["Still to do"], WITHIN);
  await expect(titles(page)).toHaveText(["Done already", "Still to do", "Walk the dog twice"], WITHIN);
});

test.describe("reconnecting", () => {
  // A refused stream is Chromium's console error; these tests refuse it on purpose.
  test.use({ expectedConsoleErrors: [/EventSource|Failed to load resource.*503/] });

  /** What the page's script reads as the page's visibility, and the event that says it changed. */
  async function setVisibility(page: Page, state: "hidden" | "visible") {
    await page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { value: state, configurable: true });
      document.dispatchEvent(new Event("visibilitychange"));
    }, state);
  }

  test("a hidden page lets go of its stream, and catches up when shown or let back in", async ({ page, request }) => {
    const user = await newUser(request);
    await signIn(page, user);
    await openLive(page);

    // Hidden: no stream. What changes meanwhile comes in once the page is shown again.
    await setVisibility(page, "hidden");
    await expect(page.locator("html")).not.toHaveAttribute("data-live", "open");
    await api(request, user, "POST", "/api/tasks", { title: "Made while hidden" });
    await setVisibility(page, "visible");
    await expect(page.locator("html")).toHaveAttribute("data-live", "open");
    await expect(titles(page)).toHaveText(["Made while hidden"], WITHIN);

    // Refused (a restart, a full server): after a pause the page reads what changed, and tries
    // the stream again, until it is let back in.
    await setVisibility(page, "hidden");
    await page.route("**/events", (route) => route.fulfill({ status: 503, body: "" }));
    await api(request, user, "POST", "/api/tasks", { title: "Made while refused" });
    await setVisibility(page, "visible");
    await expect(titles(page)).toHaveText(["Made while refused", "Made while hidden"], { timeout: 5_000 });
    await expect(page.locator("html")).not.toHaveAttribute("data-live", "open");
    await page.unroute("**/events");
    await expect(page.locator("html")).toHaveAttribute("data-live", "open", { timeout: 10_000 });
    await api(request, user, "POST", "/api/tasks", { title: "Made once back" });
    await expect(titles(page)).toHaveText(["Made once back", "Made while refused", "Made while hidden"], WITHIN);
  });
});

test.describe("a stale copy", () => {
  // The page below hears of no change (its stream and its reads of changes are refused), so its
  // copy goes stale.
  test.use({ expectedConsoleErrors: [/EventSource|Failed to load resource.*(503|412)/] });

  async function stalePage(page: Page, request: APIRequestContext) {
    const user = await newUser(request);
    const task = await api(request, user, "POST", "/api/tasks", { title: "Shared" });
    for (const path of ["**/events", "**/rpc/tasks/changes"]) {
      await page.route(path, (route) => route.fulfill({ status: 503, body: "" }));
    }
    await signIn(page, user);
    await expect(titles(page)).toHaveText(["Shared"]);
    // Changed elsewhere; this page does not hear of it.
    await api(request, user, "PATCH", `/api/tasks/${task.id}`, { title: "Theirs" });
    return { user, task };
  }

  test("a toggle on it shows the current state and says why", async ({ page, request }) => {
    const { user, task } = await stalePage(page, request);
    await page.getByRole("checkbox", { name: "Shared" }).click();
    await expect(page.getByTestId("form-error")).toContainText("This task was changed elsewhere");
    await expect(titles(page)).toHaveText(["Theirs"]);
    await expect(page.getByRole("checkbox", { name: "Theirs" })).not.toBeChecked();
    const stored = await api(request, user, "GET", `/api/tasks/${task.id}`);
    expect(stored).toMatchObject({ title: "Theirs", completed: false });
  });

  test("an edit on it keeps what was typed, shows theirs, and saves on purpose", async ({ page, request }) => {
    const { user, task } = await stalePage(page, request);
    await page.getByRole("link", { name: "Edit “Shared”" }).click();
    await page.getByLabel("Title").fill("Mine");
    await page.getByLabel("Title").press("Enter");
    const form = page.getByRole("form", { name: "Edit task" });
    await expect(form.getByTestId("form-error")).toContainText("it now reads “Theirs”");
    await expect(page.getByLabel("Title")).toHaveValue("Mine");
    expect(await api(request, user, "GET", `/api/tasks/${task.id}`)).toMatchObject({ title: "Theirs" });
    // Saving again replaces theirs, knowingly.
    await page.getByRole("button", { name: "Save" }).click();
    await expect(titles(page)).toHaveText(["Mine"]);
    expect(await api(request, user, "GET", `/api/tasks/${task.id}`)).toMatchObject({ title: "Mine" });
  });
});

test("a change to the task being edited waits until its form closes", async ({ page, request }) => {
  const user = await newUser(request);
  const task = await api(request, user, "POST", "/api/tasks", { title: "Shared" });
  await signIn(page, user);
  await openLive(page);
  await page.getByRole("link", { name: "Edit “Shared”" }).click();
  await page.getByLabel("Title").fill("Mine, half typed");
  await api(request, user, "PATCH", `/api/tasks/${task.id}`, { title: "Theirs" });
  const form = page.getByRole("form", { name: "Edit task" });
  await expect(form.getByTestId("form-error")).toContainText("changed elsewhere since you opened it", WITHIN);
  await expect(page.getByLabel("Title")).toHaveValue("Mine, half typed");
  await expect(page.getByLabel("Title")).toBeFocused();
  // Cancel keeps theirs, now shown.
  await page.getByLabel("Title").press("Escape");
  await expect(titles(page)).toHaveText(["Theirs"]);
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("a stale toggle comes back with the current state and the message", async ({ page, request }) => {
    const user = await newUser(request);
    const task = await api(request, user, "POST", "/api/tasks", { title: "Shared" });
    await page.goto("/login");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL("/tasks");
    await api(request, user, "PATCH", `/api/tasks/${task.id}`, { title: "Theirs" });
    await page.getByRole("checkbox", { name: "Shared" }).click();
    await expect(page.getByTestId("form-error")).toContainText("This task was changed elsewhere");
    await expect(titles(page)).toHaveText(["Theirs"]);
    await expect(page.getByRole("checkbox", { name: "Theirs" })).not.toBeChecked();
  });
});
