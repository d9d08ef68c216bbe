// Browser test of the playground against a running gateway (`platform dev`):
// sign in, run a query, check the result and the query-plan pane, save a screenshot.
//
//   PLAYGROUND_URL=http://127.0.0.1:4000/playground ADMIN_EMAIL=... ADMIN_PASSWORD=... \
//     node --test web-playground/e2e/
//
// Optional: PLAYGROUND_QUERY (default `{ me { id email } }`), PLAYGROUND_MIN_SUBGRAPHS (fetches
// must touch at least this many distinct subgraphs, default 1), PLAYGROUND_SCREENSHOT (default
// `<repo>/target/playground.png`), CHROMIUM_PATH (default /usr/bin/chromium),
// PLAYGROUND_TIMEOUT_MS (per wait, default 30000). Skips when PLAYGROUND_URL is unset.
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const url = process.env.PLAYGROUND_URL;
const email = process.env.ADMIN_EMAIL;
const password = process.env.ADMIN_PASSWORD;
const query = process.env.PLAYGROUND_QUERY || '{ me { id email } }';
const minSubgraphs = Number(process.env.PLAYGROUND_MIN_SUBGRAPHS || 1);
const screenshot = process.env.PLAYGROUND_SCREENSHOT || resolve(here, '..', '..', 'target', 'playground.png');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const timeout = Number(process.env.PLAYGROUND_TIMEOUT_MS || 30_000);

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const skip = url
  ? false
  : 'PLAYGROUND_URL is unset: start the platform (`platform dev`) and set PLAYGROUND_URL, ADMIN_EMAIL and ADMIN_PASSWORD to run the playground browser test';

test(
  'playground: sign in, run a query, show the result and its query plan',
  { skip, timeout: timeout * 6 },
  async (t) => {
    assert.ok(email && password, 'PLAYGROUND_URL is set but ADMIN_EMAIL or ADMIN_PASSWORD is not');
    let chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch (error) {
      assert.fail(`cannot load playwright-core (run \`npm ci\` in web-playground/): ${error.message}`);
    }

    const browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    t.after(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
    page.setDefaultTimeout(timeout);

    // The page must work offline: every request stays on the gateway's origin.
    const origin = new URL(url).origin;
    const foreign = [];
    const problems = [];
    page.on('request', (request) => {
      const requestUrl = request.url();
      if (/^https?:/.test(requestUrl) && new URL(requestUrl).origin !== origin) foreign.push(requestUrl);
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });

    const response = await page.goto(url);
    assert.equal(response?.status(), 200, `GET ${url} answered ${response?.status()}`);

    // Schema-aware editor is ready once introspection has filled the docs.
    await page.locator('.graphiql-query-editor .CodeMirror').waitFor();

    await signIn(page);
    await typeQuery(page, query);

    await page.locator('.graphiql-execute-button').click();
    const result = await waitForResult(page);
    assert.equal(result.errors, undefined, `the query returned errors: ${JSON.stringify(result.errors)}`);
    assert.ok(
      result.data && typeof result.data === 'object' && Object.keys(result.data).length > 0,
      `empty data: ${JSON.stringify(result)}`,
    );
    assert.equal(
      result.extensions?.queryPlan,
      undefined,
      'the plan must be shown in its pane, not in the result JSON',
    );

    const planContent = page.getByTestId('plan-content');
    const planMissing = page.getByTestId('plan-missing');
    await planContent.or(planMissing).first().waitFor();
    if (await planMissing.isVisible()) assert.fail(`no query plan: ${await planMissing.innerText()}`);
    const fetches = page.getByTestId('plan-fetch');
    const fetchCount = await fetches.count();
    if (fetchCount > 0) {
      const subgraphs = new Set(
        await fetches.evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-subgraph'))),
      );
      assert.ok(
        subgraphs.size >= minSubgraphs,
        `the plan touches ${subgraphs.size} subgraph(s) (${[...subgraphs].join(', ')}), expected at least ${minSubgraphs}`,
      );
      const operations = await page.locator('.pg-fetch-operation').allInnerTexts();
      assert.ok(
        operations.every((op) => op.trim().length > 0),
        'a fetch in the plan has no operation',
      );
    } else {
      // A plan without a tree is still shown in its printed form.
      const text = (await planContent.innerText()).trim();
      assert.ok(text.length > 0, 'the query-plan pane is empty');
    }

    await mkdir(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot });
    t.diagnostic(`screenshot: ${screenshot}`);

    assert.deepEqual(foreign, [], 'the page requested resources from another origin');
    assert.deepEqual(problems, [], 'the page logged errors');
  },
);

async function signIn(page) {
  await page.getByTestId('sign-in-email').fill(email);
  await page.getByTestId('sign-in-password').fill(password);
  await page.getByTestId('sign-in-submit').click();
  const signedIn = page.getByTestId('signed-in');
  const failed = page.getByTestId('sign-in-error');
  await signedIn.or(failed).first().waitFor();
  if (await failed.isVisible()) assert.fail(`sign-in failed: ${await failed.innerText()}`);
  const shown = await page.getByTestId('signed-in-email').innerText();
  assert.equal(
    shown.toLowerCase(),
    email.toLowerCase(),
    'the header shows another user than the one signed in',
  );
}

/** Replaces the editor's text by typing (insertText: CodeMirror's bracket auto-closing stays out). */
async function typeQuery(page, text) {
  const editor = page.locator('.graphiql-query-editor .CodeMirror');
  await editor.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(text);
  const value = await editor.evaluate((node) => node.CodeMirror.getValue());
  assert.equal(value, text, 'the query editor does not hold the typed query');
}

/** The result pane's JSON once a response has arrived. */
async function waitForResult(page) {
  const resultEditor = page.locator('.graphiql-response .CodeMirror');
  await page.waitForFunction(
    () => {
      const node = document.querySelector('.graphiql-response .CodeMirror');
      const value = node?.CodeMirror?.getValue() ?? '';
      return value.trim().startsWith('{');
    },
    undefined,
    { timeout },
  );
  const value = await resultEditor.evaluate((node) => node.CodeMirror.getValue());
  try {
    return JSON.parse(value);
  } catch {
    assert.fail(`the result pane does not hold JSON: ${value.slice(0, 500)}`);
  }
}
