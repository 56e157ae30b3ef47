import 'reflect-metadata';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startSandbox, type Sandbox } from '../../sandbox/sandbox';
import { t } from '../../src/i18n';

/**
 * The sandbox page in a real (headless) Chromium: a user writes in the HTTP-mode private chat and
 * @-mentions the bot in the Stream-mode group, the demo expert's answers show up in the right
 * windows, and "End conversation" ends the session. Leaves a full-page screenshot in test-results/.
 */

const RESULTS_DIR = resolve(__dirname, '../../test-results');
const ANSWER_TIMEOUT_MS = 60000;

let sandbox: Sandbox | undefined;
let context: BrowserContext | undefined;
let page: Page;
let screenshotTaken = false;
let dataDir: string;
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.push(dir);
  return dir;
}

/** The bot's bubbles of one window containing `text` (auto-waiting via `waitFor`). */
function botBubble(windowKey: string, text: string): Locator {
  return page.getByTestId(`window-${windowKey}`).getByTestId('bubble-bot').filter({ hasText: text });
}

async function send(windowKey: string, text: string): Promise<void> {
  const window = page.getByTestId(`window-${windowKey}`);
  await window.getByTestId(`input-${windowKey}`).fill(text);
  await window.getByTestId(`send-${windowKey}`).click();
  await window.getByTestId('bubble-user').filter({ hasText: text }).waitFor();
}

beforeAll(async () => {
  dataDir = tempDir('dingtalk-sandbox-e2e-');
  sandbox = await startSandbox({ port: 0, dataDir });
  context = await chromium.launchPersistentContext(tempDir('dingtalk-sandbox-chromium-'), {
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${sandbox.url}/sandbox/`);
});

afterAll(async () => {
  mkdirSync(RESULTS_DIR, { recursive: true });
  // On a failure, keep what the page looked like: it usually says why.
  if (page && !screenshotTaken) await page.screenshot({ path: join(RESULTS_DIR, 'sandbox-failure.png'), fullPage: true }).catch(() => undefined);
  await context?.close().catch(() => undefined);
  await sandbox?.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

test('chats with the demo expert in both connection modes and ends a conversation', async () => {
  for (const key of ['http-private', 'http-group', 'stream-private', 'stream-group']) {
    await page.getByTestId(`window-${key}`).waitFor();
  }

  await send('http-private', 'Hello from the private chat');
  await page.getByTestId('user-stream-group').selectOption('sandbox.bob');
  expect(await page.getByTestId('atbot-stream-group').isChecked()).toBe(true);
  await send('stream-group', 'Hello group, **bot**');

  // The demo expert answers "**You said:** …"; the renderer turns the bold into <strong>.
  await botBubble('http-private', 'You said').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
  await botBubble('stream-group', 'You said').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
  expect(await botBubble('http-private', 'You said').first().locator('strong').count()).toBeGreaterThan(0);
  // Nothing leaked into the other windows.
  expect(await botBubble('http-group', 'You said').count()).toBe(0);
  expect(await botBubble('stream-private', 'You said').count()).toBe(0);

  // The End link rides in the answer's last markdown message (a button on cards): a link either way.
  const endButton = page.getByTestId('window-http-private').getByRole('link', { name: 'End conversation' }).last();
  await endButton.waitFor({ timeout: ANSWER_TIMEOUT_MS });
  // DingTalk opens the link in a browser: the page only asks, and its button does it.
  const [linkPage] = await Promise.all([context!.waitForEvent('page'), endButton.click()]);
  await linkPage.getByTestId('action-submit').click();
  await linkPage.waitForLoadState();
  await linkPage.close();
  await botBubble('http-private', 'Conversation ended').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });

  mkdirSync(RESULTS_DIR, { recursive: true });
  await page.screenshot({ path: join(RESULTS_DIR, 'sandbox.png'), fullPage: true });
  screenshotTaken = true;
});

/** Resolves once the plugin's queue has no job waiting or running (the side panel's source). */
async function queueIdle(): Promise<void> {
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  for (;;) {
    const state = (await (await fetch(`${sandbox!.url}/sandbox/api/state`)).json()) as { queue: Array<{ status: string; count: number }> };
    if (!state.queue.some((row) => (row.status === 'queued' || row.status === 'running') && row.count > 0)) return;
    if (Date.now() > deadline) throw new Error('the plugin queue did not become idle');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('in a group, Confirm on the card counts only when the asker clicks it', async () => {
  await page.getByTestId('user-stream-group').selectOption('sandbox.bob');
  await send('stream-group', '/confirm send the weekly report');
  // The Stream-mode demo bot speaks zh-Hans.
  const confirm = page.getByTestId('window-stream-group').getByTestId('card-button').filter({ hasText: t('zh-Hans', 'reply.confirm') }).last();
  await confirm.waitFor({ timeout: ANSWER_TIMEOUT_MS });

  // Carol is in the group and sees the card, but the run is Bob's.
  await page.getByTestId('user-stream-group').selectOption('sandbox.carol');
  await confirm.click();
  await page.getByTestId('window-stream-group').locator('[data-testid="card-button"][title="clicked as sandbox.carol"]').waitFor({ timeout: ANSWER_TIMEOUT_MS });
  await queueIdle();
  expect(await botBubble('stream-group', 'Confirmed').count()).toBe(0);

  await page.getByTestId('user-stream-group').selectOption('sandbox.bob');
  await confirm.click();
  await botBubble('stream-group', 'Confirmed: send the weekly report').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
});


test('the Stream bot streams its answer into one card that grows while the expert writes', async () => {
  const cards = page.getByTestId('window-stream-private').locator('[data-testid="bubble-bot"].card');
  const before = await cards.count();
  // /slow: the demo expert writes like a person typing (60 ms between pieces of 50 characters), so
  // the page, which polls every 500 ms, sees the card grow for about 3.6 s. A longer answer does not
  // help: with /long 20000 the card's text stopped changing after about 2,900 characters, so the page
  // had under a second to see it grow, and sometimes saw only the first and the last state.
  await send('stream-private', '/slow /long 3000');
  const card = cards.nth(before);
  await card.waitFor({ timeout: ANSWER_TIMEOUT_MS });
  // Sample the card as the page shows it until it has not changed for 3 s (with the threads API or
  // the host's own dispatch alike): a streamed card is one bubble whose text changes on the way.
  const seen: string[] = [];
  let stableSince = Date.now();
  const deadline = Date.now() + ANSWER_TIMEOUT_MS;
  while (Date.now() - stableSince < 3000 && Date.now() < deadline) {
    const text = await card.innerText();
    if (seen[seen.length - 1] !== text) {
      seen.push(text);
      stableSince = Date.now();
    }
    await page.waitForTimeout(50);
  }
  const final = await card.innerText();
  expect(seen.length).toBeGreaterThanOrEqual(3);
  expect(final).toContain('0001');
  expect(await cards.count()).toBe(before + 1);
});

test('after a sandbox restart the chat history is back and the expert remembers the previous turn', async () => {
  await send('http-private', 'remember the blue folder');
  await botBubble('http-private', 'remember the blue folder').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
  await queueIdle();
  await sandbox!.host.handoffQueue?.idle(); // the 3.17 host's own dispatch, when it answers

  await sandbox!.close();
  sandbox = await startSandbox({ port: 0, dataDir });
  await page.goto(`${sandbox.url}/sandbox/`);
  // The page's history comes back from the data folder...
  await page.getByTestId('window-http-private').getByTestId('bubble-user').filter({ hasText: 'remember the blue folder' }).first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
  // ...and the demo expert's thread too: its answer quotes the turn before the restart.
  await send('http-private', 'what was it?');
  await botBubble('http-private', 'Last time you said: remember the blue folder').first().waitFor({ timeout: ANSWER_TIMEOUT_MS });
});
