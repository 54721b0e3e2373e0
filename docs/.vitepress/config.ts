import { defineConfig } from 'vitepress';
import { withMermaid } from 'vitepress-plugin-mermaid';
import { fillFigures, recordedFigures } from '../../bench/figures.mjs';

// Every benchmark figure on the site comes from the recorded results (bench/results/*.json):
// pages hold them in <!-- bench:name --> markers, filled here at build time (and in the
// committed Markdown by `node bench/charts.mjs`, which a test keeps up to date).
const figures = await recordedFigures();

export default withMermaid(
  defineConfig({
    title: 'clonepool',
    description:
      "Client pools for Node.js after pylibmc's ClientPool and ThreadMappedPool, and a fast memcached driver to pool.",
    cleanUrls: true,
    head: [['link', { rel: 'icon', type: 'image/svg+xml', href: '/logo.svg' }]],
    lastUpdated: false,
    ignoreDeadLinks: false,
    // Mermaid's renderer is one large chunk, loaded only on pages with a diagram.
    vite: { build: { chunkSizeWarningLimit: 4096 } },
    markdown: {
      config(md) {
        md.core.ruler.before('normalize', 'bench-figures', (state) => {
          state.src = fillFigures(state.src, figures, String(state.env?.relativePath ?? 'a page'));
        });
      },
    },
    themeConfig: {
      logo: '/logo.svg',
      search: { provider: 'local' },
      socialLinks: [{ icon: 'github', link: 'https://github.com/clonepool/clonepool' }],
      nav: [
        { text: 'Guide', link: '/guide/getting-started' },
        { text: 'Packages', link: '/packages/core' },
        { text: 'API', link: '/api/' },
      ],
      sidebar: [
        {
          text: 'Guide',
          items: [
            { text: 'Getting started', link: '/guide/getting-started' },
            { text: 'Why a pool in Node?', link: '/guide/why-a-pool' },
            { text: 'Pick a strategy', link: '/guide/pick-a-strategy' },
            { text: 'Scaling out to many servers', link: '/guide/scaling-out' },
            { text: 'Hot keys, stampedes and stale data', link: '/guide/hot-keys' },
            { text: 'Running a fleet', link: '/guide/fleets' },
            { text: 'Coming from pylibmc', link: '/guide/coming-from-pylibmc' },
            { text: 'Sharing a cache with Python', link: '/guide/sharing-with-python' },
            { text: 'Keyv and cache-manager', link: '/guide/keyv-and-cache-manager' },
            { text: 'OpenTelemetry', link: '/guide/opentelemetry' },
            { text: 'Benchmarks', link: '/guide/benchmarks' },
          ],
        },
        {
          text: 'Packages',
          items: [
            { text: '@clonepool/core', link: '/packages/core' },
            { text: '@clonepool/fifo-pool', link: '/packages/fifo-pool' },
            { text: '@clonepool/mapped-pool', link: '/packages/mapped-pool' },
            { text: '@clonepool/memcached', link: '/packages/memcached' },
          ],
        },
        {
          text: 'Contributing',
          items: [{ text: 'Architecture', link: '/contributing/architecture' }],
        },
        {
          text: 'API reference',
          items: [
            { text: '@clonepool/core', link: '/api/@clonepool/core' },
            { text: '@clonepool/core/testing', link: '/api/@clonepool/core/testing' },
            { text: '@clonepool/core/conformance', link: '/api/@clonepool/core/conformance' },
            { text: '@clonepool/fifo-pool', link: '/api/@clonepool/fifo-pool' },
            { text: '@clonepool/mapped-pool', link: '/api/@clonepool/mapped-pool' },
            { text: '@clonepool/memcached', link: '/api/@clonepool/memcached' },
            { text: '@clonepool/memcached/testing', link: '/api/@clonepool/memcached/testing' },
          ],
        },
      ],
    },
  }),
);
