import { createRequire } from 'node:module';
import fs from 'node:fs';
import type { AxeResults, Result } from 'axe-core';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** WCAG 2.0–2.2 A and AA, plus axe's best practices (landmarks, heading order...). */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** Impacts that fail a test: a real barrier for someone, not a nicety. */
const FAILING = new Set(['serious', 'critical']);

/** Runs axe-core in the page and returns its violations (all impacts). */
export async function runAxe(page: Page): Promise<Result[]> {
  // Evaluated rather than added as a <script>, so a Content-Security-Policy cannot block it.
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  const results = await page.evaluate(
    (tags) =>
      (
        window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResults> } }
      ).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    TAGS,
  );
  return results.violations;
}

/** A readable list of violations: rule, impact, what to fix, and where. */
export function formatViolations(violations: readonly Result[]): string {
  return violations
    .map(
      (v) =>
        `- ${v.id} (${v.impact ?? 'unknown'}): ${v.help}\n${v.nodes
          .slice(0, 5)
          .map(
            (n) => `    at ${n.target.join(' ')}: ${n.failureSummary?.replaceAll('\n', ' ') ?? ''}`,
          )
          .join('\n')}`,
    )
    .join('\n');
}

/**
 * Rules about the page's structure that axe rates only "moderate" but that the app
 * promises anyway: landmarks, one `h1`, and headings in order.
 */
const STRUCTURE_RULES = new Set([
  'heading-order',
  'landmark-one-main',
  'landmark-unique',
  'landmark-no-duplicate-banner',
  'landmark-no-duplicate-contentinfo',
  'page-has-heading-one',
  'region',
]);

/**
 * The violations that fail a test (serious or critical, or a structure rule), formatted;
 * an empty string when there are none.
 */
export async function accessibilityFailures(page: Page): Promise<string> {
  const violations = (await runAxe(page)).filter(
    (v) => FAILING.has(v.impact ?? '') || STRUCTURE_RULES.has(v.id),
  );
  return formatViolations(violations);
}
