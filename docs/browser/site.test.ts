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

/** Every page of the site, found by following internal links from the home page, with the problems each showed. */
async function crawl(): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
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
    const problems = [...errors];
    if (response?.status() !== 200) problems.push(`HTTP ${response?.status()}`);
    seen.set(path, problems);
    for (const href of hrefs) {
      const url = new URL(href);
      if (url.origin !== origin) continue;
      const next = url.pathname.replace(/\.html$/, '');
      if (!seen.has(next) && !queue.includes(next)) queue.push(next);
    }
  }
  await page.close();
  return seen;
}

describe('the documentation site in a browser', () => {
  it('opens every page without console errors or broken internal links', async () => {
    const pages = await crawl();
    expect(pages.size).toBeGreaterThan(5);
    const broken = [...pages].filter(([, problems]) => problems.length > 0);
    expect(broken).toEqual([]);
  }, 180_000);

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
