// Every spec's `test`: Playwright's, plus a check that no page of the test broke the server's
// Content-Security-Policy. Each browser context the test opens (the default `page`'s, and
// every `browser.newContext()` / `newPage()`) reports `securitypolicyviolation` events to
// the test, and the test fails on any, naming the directive and what was blocked.
import { test as base, expect, BrowserContext } from "@playwright/test";

export * from "@playwright/test";

type Violation = { directive: string; blocked: string; source: string; sample: string };

const REPORTER = "__natterCspViolation";

async function watch(context: BrowserContext, violations: Violation[]) {
  await context.exposeBinding(REPORTER, (_source, violation: Violation) => {
    violations.push(violation);
  });
  await context.addInitScript((reporter: string) => {
    document.addEventListener("securitypolicyviolation", (event) => {
      (window as any)[reporter]({
        directive: event.effectiveDirective,
        blocked: event.blockedURI,
        source: `${event.sourceFile}:${event.lineNumber}`,
        sample: event.sample,
      });
    });
  }, REPORTER);
}

export const test = base.extend<{ cspViolations: Violation[] }>({
  cspViolations: [
    async ({ browser, context }, use) => {
      const violations: Violation[] = [];
      await watch(context, violations);
      const newContext = browser.newContext;
      browser.newContext = async (...args) => {
        const opened = await newContext.apply(browser, args);
        await watch(opened, violations);
        return opened;
      };
      try {
        await use(violations);
      } finally {
        browser.newContext = newContext;
      }
      expect(violations, "Content-Security-Policy violations").toEqual([]);
    },
    { auto: true },
  ],
});
