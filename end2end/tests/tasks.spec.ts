import { test, expect, gotoHydrated } from "./fixtures";

const PASSWORD = "correct horse battery";

test("tasks created through the JSON API appear on /tasks, and only for their owner", async ({ page, request }) => {
  const email = `user-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const registered = await request.post("/api/auth/register", { data: { email, password: PASSWORD } });
  expect(registered.status()).toBe(201);
  const { access_token: token } = await registered.json();
  for (const title of ["Water the plants", "Buy milk"]) {
    const created = await request.post("/api/tasks", {
      headers: { authorization: `Bearer ${token}` },
      data: { title, description: title === "Buy milk" ? "2 litres" : null },
    });
    expect(created.status()).toBe(201);
  }

  await gotoHydrated(page, "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL("/tasks");
  const list = page.getByRole("list", { name: "Your tasks" });
  await expect(list.getByRole("listitem")).toHaveText(["Buy milk2 litres", "Water the plants"]);

  // Rendered on the server for a fresh load too, then hydrated without complaint.
  await gotoHydrated(page, "/tasks");
  await expect(list.getByRole("listitem")).toHaveCount(2);
});
