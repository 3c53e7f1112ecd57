import AxeBuilder from "@axe-core/playwright";
import type { APIRequestContext, Locator, Page, TestInfo } from "@playwright/test";
import { test, expect, gotoHydrated, newUser, api, signIn, type User } from "./fixtures";

// Organising tasks: projects and labels in the sidebar, quick add, Today and Upcoming, manual
// order (keyboard, drag and drop, plain forms), moving between projects, combined filters, and
// deleting a project with its tasks. With and without JavaScript, axe-clean, light and dark.

// Users registered through the API live in UTC; the browser does too, so that the page's own
// reading of "tomorrow" (quick add's chips) is the server's.
test.use({ timezoneId: "UTC" });

type Entity = { id: string; title?: string; name?: string; project_id?: string | null };

const apiProject = (request: APIRequestContext, user: User, name: string): Promise<Entity> =>
  api(request, user, "POST", "/api/projects", { name });
const apiTask = (request: APIRequestContext, user: User, data: object): Promise<Entity> =>
  api(request, user, "POST", "/api/tasks", data);

/** Opens a page; with JavaScript, waits until it has hydrated. */
async function open(page: Page, url: string, js: boolean) {
  if (js) {
    await gotoHydrated(page, url);
  } else {
    await page.goto(url);
  }
}

/** Waits for the moves a page sends to be saved (a reload before that would lose them). */
const moveSaved = (page: Page) =>
  page.waitForResponse((r) => r.url().endsWith("/rpc/tasks/move") && r.request().method() === "POST");

const lists = (page: Page) => page.getByRole("navigation", { name: "Lists" });
const projects = (page: Page) => page.getByRole("list", { name: "Projects" });
const labels = (page: Page) => page.getByRole("list", { name: "Labels" });
/** A project's link in the sidebar: its name, then its count of open tasks. */
const projectLink = (page: Page, name: string) =>
  projects(page).getByRole("link", { name: new RegExp(`^${name}\\s*\\d+\\s*open$`) });
const labelLink = (page: Page, name: string) => labels(page).getByRole("link", { name: `@${name}`, exact: true });
const heading = (page: Page) => page.getByRole("heading", { level: 1 });

const list = (page: Page) => page.getByRole("list", { name: "Tasks" });
const tasks = (page: Page) => page.getByTestId("task");
const titles = (page: Page) => tasks(page).locator(".title");
const taskItem = (page: Page, title: string) => tasks(page).filter({ has: page.getByText(title, { exact: true }) });

/** The sidebar's disclosure for one project or label ("Edit project “Home”"). */
const manage = (page: Page, what: "project" | "label", name: string) =>
  page.locator("details.manage").filter({
    has: page.locator("summary", { hasText: `Edit ${what} “${name}”` }),
  });

/**
 * Opens a sidebar entry's disclosure: its forms are built as it opens with JavaScript; without,
 * it holds a link to the page that shows them (`?manage=<id>`).
 */
async function openManage(entry: Locator, js: boolean) {
  await entry.locator("summary").first().click();
  if (!js) await entry.getByRole("link", { name: "Rename or delete…" }).click();
}

const select = (page: Page, name: string) => page.getByRole("combobox", { name, exact: true });

/** A day `offset` days from today, in UTC (the users' time zone), as the API's YYYY-MM-DD. */
function isoDay(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Upcoming's heading for the day `offset` days ahead ("Tomorrow · Thu 3 Dec", "Saturday · 5 Dec", "Fri 1 Jan 2027"). */
function upcomingHeading(offset: number): string {
  const day = new Date(Date.now() + offset * 86_400_000);
  const weekday = WEEKDAYS[day.getUTCDay()];
  const date = `${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]}`;
  if (offset === 1) return `Tomorrow · ${weekday.slice(0, 3)} ${date}`;
  if (offset >= 2 && offset <= 6) return `${weekday} · ${date}`;
  return `${weekday.slice(0, 3)} ${date} ${day.getUTCFullYear()}`;
}

async function addTask(page: Page, title: string) {
  await page.getByLabel("New task").fill(title);
  await page.getByRole("button", { name: "Add task" }).click();
}

async function createInSidebar(page: Page, what: "project" | "label", name: string) {
  await page.getByRole("textbox", { name: what === "project" ? "New project" : "New label", exact: true }).fill(name);
  await page.getByRole("button", { name: what === "project" ? "Add project" : "Add label", exact: true }).click();
}

/** The URL's query parameters, to compare whatever their order. */
function query(page: Page): Record<string, string> {
  return Object.fromEntries(new URL(page.url()).searchParams);
}

async function attachScreenshot(page: Page, testInfo: TestInfo, name: string) {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: "image/png" });
}

// ---------------------------------------------------------------------------------------------
// Shared flows, run with and without JavaScript.

/** Projects and labels made in the sidebar appear there, and in the page's filters. */
async function sidebarCreates(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  await signIn(page, user, js);
  await expect(lists(page).getByRole("link", { name: "All tasks" })).toHaveAttribute("aria-current", "page");
  for (const name of ["Inbox", "Today", "Upcoming"]) {
    await expect(lists(page).getByRole("link", { name, exact: true })).toBeVisible();
  }
  await createInSidebar(page, "project", "Home");
  await expect(projectLink(page, "Home")).toBeVisible();
  await expect(projectLink(page, "Home")).toHaveText(/Home\s*0/);
  await createInSidebar(page, "label", "bills");
  await expect(labelLink(page, "bills")).toBeVisible();
  // Stored: a fresh page (rendered on the server) shows both, and offers the label as a filter.
  await open(page, "/tasks", js);
  await expect(projectLink(page, "Home")).toBeVisible();
  await expect(labelLink(page, "bills")).toBeVisible();
  await expect(select(page, "Label").locator("option")).toHaveText(["Any", "@bills"]);
  const stored = await api(request, user, "GET", "/api/projects");
  expect(stored.map((p: Entity) => p.name)).toEqual(["Home"]);
  // The links lead to the project's and the label's pages.
  await projectLink(page, "Home").click();
  await expect(page).toHaveURL(`/tasks?project=${stored[0].id}`);
  await expect(heading(page)).toHaveText("Home");
  await expect(projectLink(page, "Home")).toHaveAttribute("aria-current", "page");
  await labelLink(page, "bills").click();
  await expect(page).toHaveURL("/tasks?label=bills");
  await expect(heading(page)).toHaveText("@bills");
}

/** Quick add sets every part; the task lists under its project's and its label's pages. */
async function quickAddOrganises(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  await signIn(page, user, js);
  await createInSidebar(page, "label", "bills");
  await expect(labelLink(page, "bills")).toBeVisible();
  if (js) {
    await page.getByLabel("New task").fill("Pay rent #Home @bills !3 tomorrow 9am");
    await expect(page.getByRole("list", { name: "Recognised in the title" }).getByRole("listitem")).toHaveText([
      "Project: #Home",
      "Label: @bills",
      "Priority: !3",
      "Due date: tomorrow",
      "Due time: 9am",
    ]);
  }
  await addTask(page, "Pay rent #Home @bills !3 tomorrow 9am");
  await addTask(page, "Water the plants");
  await expect(titles(page)).toHaveText(["Water the plants", "Pay rent"]);
  const meta = "#Home · High priority · Due tomorrow, 09:00 · @bills";
  await expect(taskItem(page, "Pay rent").locator(".meta")).toHaveText(meta);
  const stored = await api(request, user, "GET", "/api/tasks?q=rent");
  expect(stored).toMatchObject([
    { title: "Pay rent", project_id: home.id, labels: ["bills"], priority: 3, due_date: isoDay(1), due_time: "09:00" },
  ]);

  // Under Home, and under @bills; not in the Inbox.
  await projectLink(page, "Home").click();
  await expect(heading(page)).toHaveText("Home");
  await expect(page).toHaveURL(`/tasks?project=${home.id}`);
  await expect(titles(page)).toHaveText(["Pay rent"]);
  // On its own project's page the line leaves the project out.
  await expect(list(page).locator(".meta")).toHaveText([meta.replace("#Home · ", "")]);
  await labelLink(page, "bills").click();
  await expect(heading(page)).toHaveText("@bills");
  await expect(titles(page)).toHaveText(["Pay rent"]);
  await lists(page).getByRole("link", { name: "Inbox", exact: true }).click();
  await expect(page).toHaveURL("/tasks?project=inbox");
  await expect(heading(page)).toHaveText("Inbox");
  await expect(titles(page)).toHaveText(["Water the plants"]);

  // On a project's page a new task goes into that project.
  await open(page, `/tasks?project=${home.id}`, js);
  await addTask(page, "Fix the tap");
  await expect(titles(page)).toHaveText(["Fix the tap", "Pay rent"]);
  const tap = await api(request, user, "GET", "/api/tasks?q=tap");
  expect(tap).toMatchObject([{ title: "Fix the tap", project_id: home.id }]);
  // The sidebar's count, read afresh.
  await open(page, "/tasks", js);
  await expect(projectLink(page, "Home")).toHaveText(/Home\s*2/);
}

/** Today: overdue and due today, in their sections; Upcoming: a section per date. */
async function todayAndUpcoming(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  await apiTask(request, user, { title: "Renew the insurance", due_date: isoDay(-2) });
  await apiTask(request, user, { title: "Call the plumber", due_date: isoDay(0), due_time: "15:00" });
  await apiTask(request, user, { title: "Done and overdue", due_date: isoDay(-1), completed: true });
  await apiTask(request, user, { title: "Buy a present", due_date: isoDay(1) });
  await apiTask(request, user, { title: "Wrap the present", due_date: isoDay(1) });
  await apiTask(request, user, { title: "Book the flights", due_date: isoDay(3) });
  await apiTask(request, user, { title: "Dentist", due_date: isoDay(10) });
  await apiTask(request, user, { title: "Some day" });
  await signIn(page, user, js);

  await lists(page).getByRole("link", { name: "Today", exact: true }).click();
  await expect(page).toHaveURL("/today");
  await expect(heading(page)).toHaveText("Today");
  await expect(page.locator("section.group h2")).toHaveText(["Overdue", "Today"]);
  await expect(page.getByRole("region", { name: "Overdue", exact: true }).getByTestId("task").locator(".title")).toHaveText([
    "Renew the insurance",
  ]);
  await expect(page.getByRole("region", { name: "Today", exact: true }).getByTestId("task").locator(".title")).toHaveText([
    "Call the plumber",
  ]);
  await expect(taskItem(page, "Call the plumber").locator(".meta")).toHaveText("Due today, 15:00");
  // No state tabs on Today.
  await expect(page.getByRole("navigation", { name: "Show tasks" })).toHaveCount(0);

  await lists(page).getByRole("link", { name: "Upcoming", exact: true }).click();
  await expect(page).toHaveURL("/upcoming");
  await expect(heading(page)).toHaveText("Upcoming");
  const headings = [upcomingHeading(1), upcomingHeading(3), upcomingHeading(10)];
  await expect(page.locator("section.group h2")).toHaveText(headings);
  const inGroup = (name: string) =>
    page.getByRole("region", { name, exact: true }).getByTestId("task").locator(".title");
  await expect(inGroup(headings[0])).toHaveCount(2);
  expect((await inGroup(headings[0]).allTextContents()).sort()).toEqual(["Buy a present", "Wrap the present"]);
  await expect(inGroup(headings[1])).toHaveText(["Book the flights"]);
  await expect(inGroup(headings[2])).toHaveText(["Dentist"]);

  // Rendered on the server the same way.
  await open(page, "/today", js);
  await expect(page.locator("section.group h2")).toHaveText(["Overdue", "Today"]);
  await open(page, "/upcoming", js);
  await expect(page.locator("section.group h2")).toHaveText(headings);
}

/** Moves a task to another project through its edit form. */
async function editMovesProject(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  const work = await apiProject(request, user, "Work");
  const task = await apiTask(request, user, { title: "Send the invoice", project_id: home.id });
  await apiTask(request, user, { title: "Stays at home", project_id: home.id });
  await signIn(page, user, js);
  await open(page, `/tasks?project=${home.id}`, js);
  await expect(titles(page)).toHaveText(["Stays at home", "Send the invoice"]);
  await page.getByRole("link", { name: "Edit “Send the invoice”" }).click();
  const project = page.getByLabel("Project", { exact: true });
  await expect(project).toHaveValue(home.id);
  await expect(project.locator("option")).toHaveText(["Inbox", "Home", "Work"]);
  await project.selectOption({ label: "Work" });
  await page.getByRole("button", { name: "Save" }).click();
  // Saved (the form closes: while it is open its task shows no title, so the list alone would
  // read as moved before the save is done), it leaves Home's page, and is Work's now.
  await expect(page.getByRole("form", { name: "Edit task" })).toHaveCount(0);
  await expect(titles(page)).toHaveText(["Stays at home"]);
  expect(await api(request, user, "GET", `/api/tasks/${task.id}`)).toMatchObject({ project_id: work.id });
  if (js) {
    // The sidebar's counts follow.
    await expect(projectLink(page, "Work")).toHaveText(/Work\s*1/);
    await expect(projectLink(page, "Home")).toHaveText(/Home\s*1/);
  }
  await projectLink(page, "Work").click();
  await expect(heading(page)).toHaveText("Work");
  await expect(titles(page)).toHaveText(["Send the invoice"]);
  await open(page, `/tasks?project=${home.id}`, js);
  await expect(titles(page)).toHaveText(["Stays at home"]);
  await expect(projectLink(page, "Work")).toHaveText(/Work\s*1/);
}

/** Project, priority, label and due filters combine, live in the URL and survive a reload. */
async function filtersCombine(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  await apiTask(request, user, { title: "Pay rent", project_id: home.id, priority: 3, labels: ["bills"], due_date: isoDay(5) });
  await apiTask(request, user, { title: "Fix the roof", project_id: home.id, priority: 3 });
  await apiTask(request, user, { title: "Pay the water", project_id: home.id, priority: 1, labels: ["bills"] });
  await apiTask(request, user, { title: "Pay the gas", project_id: home.id, priority: 3, labels: ["bills"] });
  await apiTask(request, user, { title: "Pay the office", priority: 3, labels: ["bills"] });
  await signIn(page, user, js);
  await expect(select(page, "Label").locator("option")).toHaveText(["Any", "@bills"]);
  await expect(select(page, "Priority").locator("option")).toHaveText(["Any", "High", "Medium", "Low", "None"]);
  await expect(select(page, "Due").locator("option")).toHaveText([
    "Any time",
    "Overdue",
    "Due today",
    "Due later",
    "Has a due date",
    "No due date",
  ]);
  // "Manual order" only once a project is chosen.
  await expect(select(page, "Sort").locator("option")).toHaveText(["Newest first", "Due date", "Priority"]);

  await projectLink(page, "Home").click();
  await expect(heading(page)).toHaveText("Home");
  await expect(select(page, "Sort").locator("option")).toHaveText([
    "Newest first",
    "Due date",
    "Priority",
    "Manual order",
  ]);
  const apply = async () => {
    if (!js) await page.getByRole("button", { name: "Apply" }).click();
  };
  await select(page, "Priority").selectOption({ label: "High" });
  await apply();
  await expect.poll(() => query(page)).toMatchObject({ project: home.id, priority: "3" });
  await expect(titles(page)).toHaveText(["Pay the gas", "Fix the roof", "Pay rent"]);
  await select(page, "Label").selectOption({ label: "@bills" });
  await apply();
  await expect.poll(() => query(page)).toMatchObject({ project: home.id, priority: "3", label: "bills" });
  await expect(titles(page)).toHaveText(["Pay the gas", "Pay rent"]);
  await select(page, "Due").selectOption({ label: "Has a due date" });
  await apply();
  await expect.poll(() => query(page)).toMatchObject({ project: home.id, priority: "3", label: "bills", due: "any" });
  await expect(titles(page)).toHaveText(["Pay rent"]);

  // A reload keeps the view, and the controls say what it is.
  await page.reload();
  if (js) await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
  expect(query(page)).toMatchObject({ project: home.id, priority: "3", label: "bills", due: "any" });
  await expect(heading(page)).toHaveText("Home");
  await expect(titles(page)).toHaveText(["Pay rent"]);
  await expect(select(page, "Priority")).toHaveValue("3");
  await expect(select(page, "Label")).toHaveValue("bills");
  await expect(select(page, "Due")).toHaveValue("any");

  // Back to any due date: the two high-priority bills of Home.
  await select(page, "Due").selectOption({ label: "Any time" });
  await apply();
  await expect(titles(page)).toHaveText(["Pay the gas", "Pay rent"]);
  expect(query(page).due ?? "").toBe("");
}

/** Deleting a project says how many tasks go with it, and takes them. */
async function deleteProject(page: Page, request: APIRequestContext, js: boolean) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  await apiProject(request, user, "Empty");
  await apiTask(request, user, { title: "Pay rent", project_id: home.id });
  await apiTask(request, user, { title: "Fix the tap", project_id: home.id, completed: true });
  await apiTask(request, user, { title: "In the inbox" });
  await signIn(page, user, js);
  await expect(titles(page)).toHaveText(["In the inbox", "Fix the tap", "Pay rent"]);

  // The empty project says it has no tasks.
  const empty = manage(page, "project", "Empty");
  await openManage(empty, js);
  await empty.locator("details.confirm > summary").click();
  await expect(empty.getByText("Delete the project “Empty”? It has no tasks.")).toBeVisible();
  await expect(empty.getByRole("button", { name: "Delete project", exact: true })).toBeVisible();

  const entry = manage(page, "project", "Home");
  await openManage(entry, js);
  await expect(entry.getByRole("textbox", { name: "Name" })).toHaveValue("Home");
  await expect(entry.getByRole("button", { name: "Rename" })).toBeVisible();
  await entry.locator("details.confirm > summary").click();
  await expect(entry.locator("details.confirm > summary")).toHaveText("Delete project…");
  await expect(entry.getByText("Delete the project “Home” and its 2 tasks?")).toBeVisible();
  await entry.getByRole("button", { name: "Delete project and 2 tasks" }).click();

  await expect(projectLink(page, "Home")).toHaveCount(0);
  await expect(projectLink(page, "Empty")).toBeVisible();
  await expect(titles(page)).toHaveText(["In the inbox"]);
  await open(page, "/tasks", js);
  await expect(titles(page)).toHaveText(["In the inbox"]);
  await expect(projectLink(page, "Home")).toHaveCount(0);
  const left = await api(request, user, "GET", "/api/tasks");
  expect(left.map((t: Entity) => t.title)).toEqual(["In the inbox"]);
}

// ---------------------------------------------------------------------------------------------

test.describe("with JavaScript", () => {
  test("projects and labels are created from the sidebar", async ({ page, request }) => {
    await sidebarCreates(page, request, true);
  });

  test("quick add sets title, project, label, priority and due; the task lists under its project and label", async ({
    page,
    request,
  }) => {
    await quickAddOrganises(page, request, true);
  });

  test("Today shows overdue and today's tasks; Upcoming groups by date", async ({ page, request }) => {
    await todayAndUpcoming(page, request, true);
  });

  test("manual order: Alt+ArrowDown and drag and drop reorder, and the order survives a reload", async ({
    page,
    request,
  }) => {
    const user = await newUser(request);
    const home = await apiProject(request, user, "Home");
    for (const title of ["First", "Second", "Third"]) {
      await apiTask(request, user, { title, project_id: home.id });
    }
    await apiTask(request, user, { title: "Elsewhere" });
    await signIn(page, user);
    await projectLink(page, "Home").click();
    await expect(heading(page)).toHaveText("Home");
    // No move buttons until the manual order is chosen.
    await expect(titles(page)).toHaveCount(3);
    await expect(page.getByRole("button", { name: /Move (up|down)/ })).toHaveCount(0);
    await select(page, "Sort").selectOption({ label: "Manual order" });
    await expect(page).toHaveURL(`/tasks?project=${home.id}&sort=manual`);
    // The project's manual order, as the API lists it.
    const manual = await api(request, user, "GET", `/api/tasks?project=${home.id}&sort=manual`);
    const [a, b, c] = manual.map((t: Entity) => t.title);
    await expect(titles(page)).toHaveText([a, b, c]);
    // The first task has no "Move up", the last no "Move down".
    await expect(page.getByRole("button", { name: `Move up “${a}”` })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Move down “${c}”` })).toHaveCount(0);
    await expect(page.getByRole("button", { name: `Move down “${a}”` })).toBeVisible();
    for (const item of await tasks(page).all()) await expect(item).toHaveAttribute("draggable", "true");

    // Keyboard: Alt+ArrowDown on the first task's checkbox moves it below the second.
    let saved = moveSaved(page);
    await page.getByRole("checkbox", { name: a }).focus();
    await page.keyboard.press("Alt+ArrowDown");
    await expect(titles(page)).toHaveText([b, a, c]);
    expect((await saved).status()).toBe(200);
    // The keyboard stays on the moved task.
    await expect(page.getByRole("checkbox", { name: a })).toBeFocused();
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    await expect(titles(page)).toHaveText([b, a, c]);

    // And back up with Alt+ArrowUp.
    saved = moveSaved(page);
    await page.getByRole("checkbox", { name: a }).focus();
    await page.keyboard.press("Alt+ArrowUp");
    await expect(titles(page)).toHaveText([a, b, c]);
    expect((await saved).status()).toBe(200);

    // Drag and drop: the last task dropped on the first goes before it.
    saved = moveSaved(page);
    await taskItem(page, c).dragTo(taskItem(page, a));
    await expect(titles(page)).toHaveText([c, a, b]);
    expect((await saved).status()).toBe(200);
    await gotoHydrated(page, `/tasks?project=${home.id}&sort=manual`);
    await expect(titles(page)).toHaveText([c, a, b]);

    // Dropped on a task below it, a task goes after it.
    saved = moveSaved(page);
    await taskItem(page, c).dragTo(taskItem(page, a));
    await expect(titles(page)).toHaveText([a, c, b]);
    expect((await saved).status()).toBe(200);
    await page.reload();
    await expect(page.locator("html")).toHaveAttribute("data-hydrated", "true");
    await expect(titles(page)).toHaveText([a, c, b]);

    // The buttons move too.
    saved = moveSaved(page);
    await page.getByRole("button", { name: `Move down “${c}”` }).click();
    await expect(titles(page)).toHaveText([a, b, c]);
    expect((await saved).status()).toBe(200);
    await page.reload();
    await expect(titles(page)).toHaveText([a, b, c]);
  });

  test("the edit form moves a task to another project", async ({ page, request }) => {
    await editMovesProject(page, request, true);
  });

  test("filters combine, apply at once, and survive a reload", async ({ page, request }) => {
    await filtersCombine(page, request, true);
  });

  test("deleting a project names its task count and takes its tasks", async ({ page, request }) => {
    await deleteProject(page, request, true);
  });

  test("on a phone the sidebar is a Lists menu", async ({ page, request }) => {
    const user = await newUser(request);
    await apiProject(request, user, "Home");
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn(page, user);
    const menu = page.locator("details.sidebar");
    const summary = menu.locator(":scope > summary");
    await expect(summary).toBeVisible();
    await expect(summary).toHaveText("Lists");
    // Collapsed until asked for (soft: the rest of the menu is checked either way).
    await expect
      .soft(menu, "the Lists menu starts collapsed on a phone")
      .not.toHaveAttribute("open", { timeout: 2_000 });
    if ((await menu.getAttribute("open")) !== null) await summary.click();
    await expect(menu).not.toHaveAttribute("open");
    await expect(lists(page).getByRole("link", { name: "Today", exact: true })).toBeHidden();
    await summary.click();
    await expect(lists(page).getByRole("link", { name: "Today", exact: true })).toBeVisible();
    await expect(projectLink(page, "Home")).toBeVisible();
    await lists(page).getByRole("link", { name: "Today", exact: true }).click();
    await expect(page).toHaveURL("/today");
    await expect(heading(page)).toHaveText("Today");
  });
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("projects and labels are created from the sidebar", async ({ page, request }) => {
    await sidebarCreates(page, request, false);
  });

  test("quick add sets every part; the task lists under its project and label", async ({ page, request }) => {
    await quickAddOrganises(page, request, false);
  });

  test("Today shows overdue and today's tasks; Upcoming groups by date", async ({ page, request }) => {
    await todayAndUpcoming(page, request, false);
  });

  test("manual order: the Move up and Move down buttons reorder, and the order is kept", async ({
    page,
    request,
  }) => {
    const user = await newUser(request);
    const home = await apiProject(request, user, "Home");
    for (const title of ["First", "Second", "Third"]) {
      await apiTask(request, user, { title, project_id: home.id });
    }
    await signIn(page, user, false);
    await page.goto(`/tasks?project=${home.id}`);
    await select(page, "Sort").selectOption({ label: "Manual order" });
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => query(page)).toMatchObject({ project: home.id, sort: "manual" });
    await expect(titles(page)).toHaveCount(3);
    const [a, b, c] = await titles(page).allTextContents();

    await page.getByRole("button", { name: `Move down “${a}”` }).click();
    await expect(titles(page)).toHaveText([b, a, c]);
    expect(query(page)).toMatchObject({ project: home.id, sort: "manual" });
    await page.getByRole("button", { name: `Move up “${c}”` }).click();
    await expect(titles(page)).toHaveText([b, c, a]);
    await page.goto(`/tasks?project=${home.id}&sort=manual`);
    await expect(titles(page)).toHaveText([b, c, a]);
    const stored = await api(request, user, "GET", `/api/tasks?project=${home.id}&sort=manual`);
    expect(stored.map((t: Entity) => t.title)).toEqual([b, c, a]);
  });

  test("the edit form moves a task to another project", async ({ page, request }) => {
    await editMovesProject(page, request, false);
  });

  test("filters combine through Apply and survive a reload", async ({ page, request }) => {
    await filtersCombine(page, request, false);
  });

  test("deleting a project names its task count and takes its tasks", async ({ page, request }) => {
    await deleteProject(page, request, false);
  });

  test("a refused edit comes back as it was typed, beside its message", async ({ page, request }) => {
    const user = await newUser(request);
    await apiTask(request, user, { title: "Pay rent" });
    await signIn(page, user, false);
    await page.getByRole("link", { name: "Edit “Pay rent”" }).click();
    const form = page.getByRole("form", { name: "Edit task" });
    await form.getByLabel("Title", { exact: true }).fill("Pay the rent");
    await form.getByLabel("Notes").fill("Before the 5th");
    const labels = Array.from({ length: 21 }, (_, i) => `tag${i}`).join(", ");
    await form.getByLabel(/^Labels/).fill(labels);
    await form.getByRole("button", { name: "Save" }).click();

    await expect(form.getByLabel(/^Labels/)).toHaveAccessibleDescription("must have at most 20 labels");
    await expect(form.getByLabel("Title", { exact: true })).toHaveValue("Pay the rent");
    await expect(form.getByLabel("Notes")).toHaveValue("Before the 5th");
    await expect(form.getByLabel(/^Labels/)).toHaveValue(labels);
    // Nothing saved; once fixed, the same form saves.
    expect(await api(request, user, "GET", "/api/tasks")).toMatchObject([{ title: "Pay rent" }]);
    await form.getByLabel(/^Labels/).fill("bills");
    await form.getByRole("button", { name: "Save" }).click();
    await expect(titles(page)).toHaveText(["Pay the rent"]);
  });

  test("renaming or deleting a label from another view returns to that view", async ({ page, request }) => {
    const user = await newUser(request);
    await apiTask(request, user, { title: "Call the plumber", labels: ["errands"], due_date: isoDay(0) });
    await apiTask(request, user, { title: "Read a book", labels: ["someday"] });
    await signIn(page, user, false);
    await open(page, "/today", false);
    await expect(heading(page)).toHaveText("Today");

    const errands = manage(page, "label", "errands");
    await openManage(errands, false);
    await errands.getByLabel("Name").fill("chores");
    await errands.getByRole("button", { name: "Rename" }).click();
    await expect(heading(page)).toHaveText("Today");
    expect(new URL(page.url()).pathname).toBe("/today");
    await expect(labelLink(page, "chores")).toBeVisible();

    const someday = manage(page, "label", "someday");
    await openManage(someday, false);
    await someday.locator("details.confirm > summary").click();
    await someday.getByRole("button", { name: "Delete label" }).click();
    await expect(heading(page)).toHaveText("Today");
    expect(new URL(page.url()).pathname).toBe("/today");
    await expect(labelLink(page, "someday")).toHaveCount(0);
  });
});

test("the edit form's mistakes are tied to their fields", async ({ page, request }) => {
  const user = await newUser(request);
  await apiTask(request, user, { title: "Pay rent" });
  await signIn(page, user);
  await gotoHydrated(page, "/tasks");
  await page.getByRole("link", { name: "Edit “Pay rent”" }).click();
  const form = page.getByRole("form", { name: "Edit task" });
  await expect(form).toBeVisible();
  // A time without a date, and 21 labels: refused before anything is sent, each beside its field.
  await form.getByLabel("Time").fill("09:00");
  await form.getByLabel(/^Labels/).fill(Array.from({ length: 21 }, (_, i) => `l${i}`).join(", "));
  await form.getByRole("button", { name: "Save" }).click();
  for (const name of ["Time", /^Labels/]) {
    const field = form.getByLabel(name);
    await expect(field).toHaveAttribute("aria-invalid", "true");
    await expect(field).toHaveAccessibleDescription(/./);
  }
  await expect(form.getByLabel("Due date")).not.toHaveAttribute("aria-invalid", "true");
  await expect(form.getByLabel("Title", { exact: true })).not.toHaveAttribute("aria-invalid", "true");
});

// ---------------------------------------------------------------------------------------------

/** A user with something in every view: projects, a label, overdue, today's and later tasks. */
async function furnishedUser(request: APIRequestContext) {
  const user = await newUser(request);
  const home = await apiProject(request, user, "Home");
  await apiProject(request, user, "Work");
  await apiTask(request, user, {
    title: "Pay rent",
    project_id: home.id,
    priority: 3,
    labels: ["bills"],
    due_date: isoDay(1),
    due_time: "09:00",
  });
  await apiTask(request, user, { title: "Fix the tap", project_id: home.id, description: "Kitchen, dripping" });
  await apiTask(request, user, { title: "Water the plants", project_id: home.id, completed: true });
  await apiTask(request, user, { title: "Renew the insurance", priority: 2, due_date: isoDay(-2) });
  await apiTask(request, user, { title: "Call the plumber", labels: ["errands"], due_date: isoDay(0) });
  await apiTask(request, user, { title: "Book the flights", priority: 1, due_date: isoDay(3) });
  await apiTask(request, user, { title: "Dentist", due_date: isoDay(12) });
  return { user, home };
}

test.describe("accessibility and looks", () => {
  for (const colorScheme of ["light", "dark"] as const) {
    test(`axe finds no violations on the organised views (${colorScheme})`, async ({ page, request }) => {
      await page.emulateMedia({ colorScheme });
      const { user, home } = await furnishedUser(request);
      await signIn(page, user);
      const check = async (what: string) => {
        const results = await new AxeBuilder({ page }).analyze();
        expect(results.violations, what).toEqual([]);
      };

      // /tasks with the sidebar, and the sidebar's disclosures open.
      await expect(projectLink(page, "Home")).toBeVisible();
      await check("/tasks");
      const entry = manage(page, "project", "Home");
      await entry.locator("summary").first().click();
      await entry.locator("details.confirm > summary").click();
      await expect(entry.getByText("Delete the project “Home” and its 3 tasks?")).toBeVisible();
      await check("/tasks with a project's rename and delete open");

      await gotoHydrated(page, `/tasks?project=${home.id}&sort=manual`);
      await expect(page.getByRole("button", { name: /Move (up|down) “Fix the tap”/ }).first()).toBeVisible();
      await check("a project in manual order");

      await gotoHydrated(page, "/today");
      await expect(page.locator("section.group h2")).toHaveText(["Overdue", "Today"]);
      await check("/today");

      await gotoHydrated(page, "/upcoming");
      await expect(page.locator("section.group h2")).toHaveCount(3);
      await check("/upcoming");

      await gotoHydrated(page, "/tasks");
      await page.getByRole("link", { name: "Edit “Pay rent”" }).click();
      await expect(page.getByRole("form", { name: "Edit task" })).toBeVisible();
      await check("/tasks with an edit form open");
    });
  }

  test("screenshots of each view at 375 px and 1280 px", async ({ page, request }, testInfo) => {
    const { user, home } = await furnishedUser(request);
    await signIn(page, user);
    const views: [string, string][] = [
      ["tasks", "/tasks"],
      ["project-manual", `/tasks?project=${home.id}&sort=manual`],
      ["label", "/tasks?label=bills"],
      ["today", "/today"],
      ["upcoming", "/upcoming"],
    ];
    for (const width of [375, 1280]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [name, url] of views) {
        await gotoHydrated(page, url);
        await expect(tasks(page).first()).toBeVisible();
        // Nothing may stick out sideways.
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        expect(overflow, `horizontal overflow of ${url} at ${width} px`).toBeLessThanOrEqual(0);
        await attachScreenshot(page, testInfo, `${name}-${width}`);
      }
      // The edit form, open.
      await gotoHydrated(page, "/tasks");
      await page.getByRole("link", { name: "Edit “Pay rent”" }).click();
      await expect(page.getByRole("form", { name: "Edit task" })).toBeVisible();
      await attachScreenshot(page, testInfo, `edit-${width}`);
    }
    // On a phone, the Lists menu opened.
    await page.setViewportSize({ width: 375, height: 900 });
    await gotoHydrated(page, "/tasks");
    const menu = page.locator("details.sidebar");
    if ((await menu.getAttribute("open")) === null) await menu.locator(":scope > summary").click();
    await expect(projectLink(page, "Home")).toBeVisible();
    await attachScreenshot(page, testInfo, "lists-menu-375");
  });
});
