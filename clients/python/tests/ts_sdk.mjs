// The TypeScript SDK's half of the cross-language test, driven from pytest:
//   node ts_sdk.mjs register <deviceId> <publicKeyHex>   -> the registered device, as JSON
//   node ts_sdk.mjs events <deviceId>                     -> the device's audit events, as JSON
// Reads M2M_URL and M2M_API_KEY. Lives inside the repository so '@m2m-trust/sdk'
// resolves to the workspace package, as it would for an installed one.
import { M2MClient } from '@m2m-trust/sdk';

const client = new M2MClient({ baseUrl: process.env.M2M_URL, apiKey: process.env.M2M_API_KEY });
const [command, deviceId, publicKey] = process.argv.slice(2);

if (command === 'register') {
  const device = await client.m2m.registerDevice({ deviceId, publicKey, label: 'Registered by the TypeScript SDK' });
  process.stdout.write(JSON.stringify(device));
} else if (command === 'events') {
  const events = [];
  for await (const event of client.audit.iterateEvents({ deviceId })) events.push(event);
  process.stdout.write(JSON.stringify(events));
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
