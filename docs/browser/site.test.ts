import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveSite } from './serve.ts';

const dist = join(import.meta.dirname, '..', '.vitepress', 'dist');
const screenshots = join(import.meta.dirname, '..', 'browser-results', 'screenshots');

let browser: Browser;
let server: Server;
let base: string;

beforeAll(async () => {
  ({ url: base, server } = await serveSite(dist));
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  mkdirSync(screenshots, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function open(path: string): Promise<{ page: Page; errors: string[]; status: number | undefined }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const response = await page.goto(`${base}${path}`, { waitUntil: 'networkidle' });
  return { page, errors, status: response?.status() };
}

/** What the crawl saw on one page. */
interface CrawledPage {
  /** Console errors, page errors and a bad HTTP status. */
  readonly problems: string[];
  /** The ids of its elements, which `#fragment` links can point at. */
  readonly ids: ReadonlySet<string>;
  /** Its links to pages of the site, absolute. */
  readonly links: readonly string[];
  /** How many Mermaid diagrams it has. */
  readonly diagrams: number;
}

/**
 * What reads badly on a page: a code block a reader must scroll sideways, a
 * table whose header row says nothing.
 */
function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    for (const pre of document.querySelectorAll('.vp-doc div[class*="language-"] pre')) {
      if (pre.scrollWidth > pre.clientWidth + 1) {
        const line = pre.textContent?.split('\n').reduce((a, b) => (b.length > a.length ? b : a), '') ?? '';
        problems.push(`a code block scrolls sideways (${pre.scrollWidth} > ${pre.clientWidth} px): ${line.trim()}`);
      }
    }
    for (const row of document.querySelectorAll('.vp-doc table thead tr')) {
      if ((row.textContent ?? '').trim() === '')
        problems.push(
          `a table with an empty header row, above: ${row.closest('table')?.querySelector('tbody tr')?.textContent?.trim()}`,
        );
    }
    return problems;
  });
}

/** Every page of the site, found by following internal links from the home page. */
async function crawl(): Promise<Map<string, CrawledPage>> {
  const seen = new Map<string, CrawledPage>();
  const queue = ['/'];
  // One tab for the whole crawl: a full load of each page, console errors collected per page.
  const page = await browser.newPage();
  let errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  const origin = new URL(base).origin;
  while (queue.length > 0) {
    const path = queue.shift() as string;
    if (seen.has(path)) continue;
    errors = [];
    const response = await page.goto(`${base}${path}`, { waitUntil: 'load' });
    const hrefs = await page.$$eval('a[href]', (links) => links.map((a) => (a as HTMLAnchorElement).href));
    const ids = await page.$$eval('[id]', (elements) => elements.map((e) => e.id));
    const problems = [...errors];
    if (response?.status() !== 200) problems.push(`HTTP ${response?.status()}`);
    problems.push(...(await layoutProblems(page)));
    const links = hrefs.filter((href) => new URL(href).origin === origin);
    const diagrams = await page.locator('.mermaid').count();
    seen.set(path, { problems, ids: new Set(ids), links, diagrams });
    for (const href of links) {
      const next = pathOf(href);
      if (!seen.has(next) && !queue.includes(next)) queue.push(next);
    }
  }
  await page.close();
  return seen;
}

/** A link's page, as the crawl keys it: `/guide/x` for `/guide/x.html#y`. */
function pathOf(href: string): string {
  return new URL(href).pathname.replace(/\.html$/, '');
}

describe('the documentation site in a browser', () => {
  let pages: Map<string, CrawledPage>;

  it('opens every page without console errors or broken internal links', async () => {
    pages = await crawl();
    expect(pages.size).toBeGreaterThan(5);
    const broken = [...pages]
      .filter(([, page]) => page.problems.length > 0)
      .map(([path, page]) => [path, page.problems]);
    expect(broken).toEqual([]);
  }, 180_000);

  it('points every #fragment link, on the same page or another, at an element that has that id', () => {
    expect(pages?.size, 'the crawl above did not run').toBeGreaterThan(5);
    const broken: string[] = [];
    let checked = 0;
    for (const [path, page] of pages) {
      for (const href of page.links) {
        const { hash } = new URL(href);
        if (hash.length <= 1) continue;
        checked++;
        const target = pages.get(pathOf(href));
        const id = decodeURIComponent(hash.slice(1));
        if (!target?.ids.has(id)) broken.push(`${path} → ${pathOf(href)}#${id}`);
      }
    }
    expect(checked).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });

  it('draws every diagram large enough to read', async () => {
    expect(pages?.size, 'the crawl above did not run').toBeGreaterThan(5);
    const withDiagrams = [...pages].filter(([, page]) => page.diagrams > 0).map(([path]) => path);
    expect(withDiagrams.length).toBeGreaterThan(2);
    const small: string[] = [];
    for (const path of withDiagrams) {
      const { page } = await open(path);
      await page.locator('.mermaid svg').first().waitFor({ timeout: 15_000 });
      // The text's size on screen: Mermaid's 16 px, times the scale the page draws the diagram at.
      const scales = await page.$$eval('.mermaid svg', (svgs) =>
        svgs.map((svg) => svg.getBoundingClientRect().width / (svg as SVGSVGElement).viewBox.baseVal.width),
      );
      for (const [i, scale] of scales.entries()) {
        if (16 * scale < 11) small.push(`${path}, diagram ${i + 1}: text drawn at ${(16 * scale).toFixed(1)} px`);
      }
      await page.close();
    }
    expect(small).toEqual([]);
  }, 120_000);

  it('titles the API reference for what it is', async () => {
    const { page } = await open('/api/');
    // VitePress ends a heading with its (zero-width) anchor link.
    expect((await page.locator('h1').first().textContent())?.replace(/[\s\u200b]+$/, '')).toBe('API reference');
    expect(await page.title()).not.toMatch(/monorepo/);
    await page.close();
  }, 60_000);

  it('links the repository from the nav', async () => {
    const { page } = await open('/guide/getting-started');
    const hrefs = await page.$$eval('.VPNavBar a[href]', (links) => links.map((a) => (a as HTMLAnchorElement).href));
    expect(hrefs).toContain('https://github.com/clonepool/clonepool');
    await page.close();
  }, 60_000);

  it('makes each package card on the home page a link with its install line, and shows code', async () => {
    const { page } = await open('/');
    const cards = await page.$$eval('.VPFeature', (links) =>
      links.map((a) => ({ href: new URL((a as HTMLAnchorElement).href).pathname, text: a.textContent ?? '' })),
    );
    expect(cards.map((c) => c.href)).toEqual([
      '/packages/fifo-pool',
      '/packages/mapped-pool',
      '/packages/memcached',
      '/packages/core',
    ]);
    for (const card of cards) expect(card.text).toMatch(/npm install @clonepool\/[\w-]+/);
    expect(await page.locator('.vp-doc div[class*="language-ts"] pre').count()).toBeGreaterThan(0);
    await page.close();
  }, 60_000);

  it('navigates with the sidebar', async () => {
    const { page } = await open('/guide/getting-started');
    await page.click('.VPSidebar a[href*="/packages/fifo-pool"]');
    await page.waitForURL(/\/packages\/fifo-pool/);
    // The router changes the URL before it renders the page: wait for the new heading.
    await page.locator('h1', { hasText: '@clonepool/fifo-pool' }).waitFor({ timeout: 10_000 });
    await page.close();
  }, 60_000);

  it('finds "relinquish" with the local search', async () => {
    const { page } = await open('/');
    await page.click('.VPNavBarSearch button');
    await page.fill('input.search-input, #localsearch-input', 'relinquish');
    await page.waitForSelector('.result', { timeout: 10_000 });
    const results = await page.$$eval('.result', (items) => items.map((i) => (i as HTMLAnchorElement).href));
    expect(results.some((href) => href.includes('/packages/mapped-pool'))).toBe(true);
    await page.close();
  }, 60_000);

  it('keeps screenshots of the home page and the strategy page', async () => {
    for (const [name, path] of [
      ['home', '/'],
      ['pick-a-strategy', '/guide/pick-a-strategy'],
    ] as const) {
      const { page, status } = await open(path);
      expect(status).toBe(200);
      await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
      await page.close();
    }
  }, 60_000);
});
