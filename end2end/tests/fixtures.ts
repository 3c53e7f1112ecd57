import { test as base, expect, type Page } from "@playwright/test";

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
