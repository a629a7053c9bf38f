// `npm start`: the embedded gateway, for local use. Devices sign requests (RFC 9421) for the URL the
// server listens on, the one its banner shows, unless the operator named a public URL: M2M_PUBLIC_URL,
// or M2M_AUDIENCE as an http(s) URL (docs/http-signatures.md). Started any other way (a container,
// `node dist/apps/gateway/src/main.js`), a server without one refuses signed requests.
const named = Boolean(process.env.M2M_PUBLIC_URL) || /^https?:\/\//i.test(process.env.M2M_AUDIENCE ?? '');
if (!named) process.env.M2M_PUBLIC_URL = 'listening';
await import('../../dist/apps/gateway/src/main.js');
