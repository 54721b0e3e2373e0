// Keyv over @clonepool/keyv's KeyvMemcached, as its README shows it:
// new Keyv({ store: new KeyvMemcached('host:port') }). Runs the built dist/ of
// @clonepool/keyv and @clonepool/memcached (pnpm build first).
import { KeyvMemcached } from '@clonepool/keyv';
import Keyv from 'keyv';
import { runKeyvCase } from './keyv-shapes.mjs';

await runKeyvCase('@clonepool/keyv', async (servers) => new Keyv({ store: new KeyvMemcached(servers) }));
