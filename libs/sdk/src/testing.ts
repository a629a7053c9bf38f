// Test support for the SDK and its consumers (the CLI): Node only, never part
// of the published package (tsconfig.lib.json builds from index.ts alone).

export { type RunningGateway, startGateway, type StartGatewayOptions } from './testing/gateway.process';
export { type RecordedRequest, startStubServer, type StubHandler, type StubServer } from './testing/stub.server';
