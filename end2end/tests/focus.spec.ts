import type { APIRequestContext, Page } from "@playwright/test";
import { test, expect, gotoHydrated, newUser, api, signIn, type User } from "./fixtures";

// Where the keyboard goes when a task is redrawn (a toggle, an edit form closing), and an open
// edit form's project choice while the sidebar's lists change underneath it. JavaScript only:
// without it each of these is a page load.

type Entity = { id: string; title?: string; name?: string; project_id?: string | null };

const apiProject = (request: APIRequestContext, user: User, name: string): Promise<Entity> =>
  api(request, user, "POST", "/api/projects", { name });
const apiTask = (request: APIRequestContext, user: User, data: object): Promise<Entity> =>
  api(request, user, "POST", "/api/tasks", data);

const list = (page: Page) => page.getByRole("list", { name: "Tasks" });
const titles = (page: Page) => list(page).locator(".title");
const taskItem = (page: Page, title: string) =>
  page.getByTestId("task").filter({ has: page.getByText(title, { exact: true }) });
/** A task's checkbox, named by its title (aria-labelledby). */
const checkbox = (page: Page, title: string) => page.getByRole("checkbox", { name: title, exact: true });
const editForm = (page: Page) => page.getByRole("form", { name: "Edit task" });

/** Waits for an RPC call the page makes to be answered. */
const answered = (page: Page, endpoint: string) =>
  page.waitForResponse((r) => r.url().endsWith(`/rpc/${endpoint}`) && r.request().method() === "POST");

/** Opens the edit form of `title` and waits for it (its title field takes the keyboard). */
async function openEdit(page: Page, title: string) {
  await page.getByRole("link", { name: `Edit “${title}”` }).click();
  await expect(editForm(page)).toBeVisible();
  await expect(page.getByLabel("Title", { exact: true })).toBeFocused();
}

test("a task toggled from the keyboard keeps the keyboard, both ways", async ({ page, request }) => {
  const user = await newUser(request);
  await apiTask(request, user, { title: "Call the bank" });
  await apiTask(request, user, { title: "Buy milk" });
  await signIn(page, user);
  await expect(titles(page)).toHaveText(["Buy milk", "Call the bank"]);

  const milk = checkbox(page, "Buy milk");
  await milk.focus();
  await expect(milk).toBeFocused();
  for (const checked of ["true", "false"]) {
    const toggled = answered(page, "tasks/toggle");
    await page.keyboard.press("Space");
    await expect(milk).toHaveAttribute("aria-checked", checked);
    expect((await toggled).status()).toBe(200);
    // The answer taken in: the task is drawn afresh (its version changed) and no longer busy
    // (its Delete button is disabled while the toggle is being saved).
    await expect(page.getByRole("button", { name: "Delete “Buy milk”" })).toBeEnabled();
    await expect(page.getByTestId("active-count")).toHaveText(checked === "true" ? "1 task left" : "2 tasks left");
    // The keyboard is still on it.
    await expect(milk).toBeFocused();
  }
  // Stored as the page shows it.
  const stored = await api(request, user, "GET", "/api/tasks?q=milk");
  expect(stored).toMatchObject([{ title: "Buy milk", completed: false }]);
});

test("closing the edit form (Escape, Cancel, Save) puts the keyboard back on its task", async ({ page, request }) => {
  const user = await newUser(request);
  await apiTask(request, user, { title: "Water the plants" });
  await apiTask(request, user, { title: "Pay rent" });
  await signIn(page, user);
  await expect(titles(page)).toHaveText(["Pay rent", "Water the plants"]);

  // Escape, from inside the form.
  await openEdit(page, "Pay rent");
  await page.getByLabel("Title", { exact: true }).fill("Something else");
  await page.getByLabel("Title", { exact: true }).press("Escape");
  await expect(editForm(page)).toHaveCount(0);
  await expect(titles(page)).toHaveText(["Pay rent", "Water the plants"]);
  await expect(checkbox(page, "Pay rent")).toBeFocused();

  // Cancel.
  await openEdit(page, "Pay rent");
  await editForm(page).getByRole("link", { name: "Cancel" }).click();
  await expect(editForm(page)).toHaveCount(0);
  await expect(checkbox(page, "Pay rent")).toBeFocused();

  // Save: the keyboard lands on the saved task, under its new title.
  await openEdit(page, "Pay rent");
  await page.getByLabel("Title", { exact: true }).fill("Pay the rent");
  const saved = answered(page, "tasks/update");
  await editForm(page).getByRole("button", { name: "Save" }).click();
  expect((await saved).status()).toBe(200);
  await expect(editForm(page)).toHaveCount(0);
  await expect(titles(page)).toHaveText(["Pay the rent", "Water the plants"]);
  await expect(checkbox(page, "Pay the rent")).toBeFocused();
});

test("the edit form's project choice survives the project list changing underneath", async ({ page, request }) => {
  const user = await newUser(request);
  await apiProject(request, user, "Home");
  const work = await apiProject(request, user, "Work");
  const task = await apiTask(request, user, { title: "Send the invoice" });
  await signIn(page, user);
  // Live updates connected, so that a project made elsewhere reaches the sidebar's lists.
  await gotoHydrated(page, "/tasks");
  await expect(page.locator("html")).toHaveAttribute("data-live", "open");

  await openEdit(page, "Send the invoice");
  const project = editForm(page).getByLabel("Project", { exact: true });
  await expect(project.locator("option")).toHaveText(["Inbox", "Home", "Work"]);
  await expect(project).toHaveValue("");
  await project.selectOption({ label: "Work" });
  await expect(project).toHaveValue(work.id);

  // A project whose name sorts first, made elsewhere: the page's lists are read again, and the
  // form's options with them.
  await apiProject(request, user, "Alpha");
  await expect(project.locator("option")).toHaveText(["Inbox", "Alpha", "Home", "Work"]);
  // Still the user's choice: Work, by its id and by its text.
  await expect(project).toHaveValue(work.id);
  await expect(project.locator("option:checked")).toHaveText("Work");

  const saved = answered(page, "tasks/update");
  await editForm(page).getByRole("button", { name: "Save" }).click();
  expect((await saved).status()).toBe(200);
  await expect(editForm(page)).toHaveCount(0);
  // Outside Work's own page, the task's line names its project.
  await expect(taskItem(page, "Send the invoice").locator(".meta")).toHaveText("#Work");
  expect(await api(request, user, "GET", `/api/tasks/${task.id}`)).toMatchObject({ project_id: work.id });
});
