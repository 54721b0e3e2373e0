import { defineConfig } from 'vitepress';

export default defineConfig({
  title: 'clonepool',
  description:
    "Client pools for Node.js after pylibmc's ClientPool and ThreadMappedPool, and a fast memcached driver to pool.",
  cleanUrls: true,
  lastUpdated: false,
  themeConfig: {
    search: { provider: 'local' },
    nav: [
      { text: 'Guide', link: '/guide/getting-started' },
      { text: 'Packages', link: '/packages/core' },
    ],
    sidebar: [
      {
        text: 'Guide',
        items: [
          { text: 'Getting started', link: '/guide/getting-started' },
          { text: 'Why a pool in Node?', link: '/guide/why-a-pool' },
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
    ],
  },
});
