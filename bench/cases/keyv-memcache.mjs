// Keyv over @keyv/memcache (memjs, binary protocol), as its README shows it:
// new Keyv({ store: new KeyvMemcache('host:port') }).
import KeyvMemcache from '@keyv/memcache';
import Keyv from 'keyv';
import { runKeyvCase } from './keyv-shapes.mjs';

await runKeyvCase('@keyv/memcache', async (servers) => new Keyv({ store: new KeyvMemcache(servers.join(',')) }));
