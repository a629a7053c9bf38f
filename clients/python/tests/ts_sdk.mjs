// The TypeScript SDK's half of the cross-language test, driven from pytest:
//   node ts_sdk.mjs register <deviceId> <publicKeyHex>   -> the registered device, as JSON
//   node ts_sdk.mjs events <deviceId>                     -> the device's audit events, as JSON
//   node ts_sdk.mjs defaults                              -> the client's defaults, and its error without a base URL
// Reads M2M_URL and M2M_API_KEY. Lives inside the repository so '@m2m-trust/sdk'
// resolves to the workspace package, as it would for an installed one.
import { DEFAULT_RETRY_POLICY, DEFAULT_TIMEOUT_MS, M2MClient } from '@m2m-trust/sdk';

const [command, deviceId, publicKey] = process.argv.slice(2);
const client = command === 'defaults' ? undefined : new M2MClient({ baseUrl: process.env.M2M_URL, apiKey: process.env.M2M_API_KEY });

if (command === 'defaults') {
  let missingBaseUrl = null;
  try {
    new M2MClient({ baseUrl: undefined });
  } catch (error) {
    missingBaseUrl = { name: error.name, message: error.message };
  }
  process.stdout.write(JSON.stringify({ timeoutMs: DEFAULT_TIMEOUT_MS, retry: DEFAULT_RETRY_POLICY, missingBaseUrl }));
} else if (command === 'register') {
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
