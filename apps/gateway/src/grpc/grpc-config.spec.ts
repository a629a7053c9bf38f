// The GRPC_* part of loadConfig, beside the server that reads it.
import { ConfigError, DEFAULT_GRPC_PORT, loadConfig } from '@m2m-trust/shared-platform';

describe('gRPC configuration (loadConfig)', () => {
  it('listens on 50051 by default', () => {
    expect(DEFAULT_GRPC_PORT).toBe(50051);
    expect(loadConfig({}).grpc).toEqual({ port: 50051, tls: null });
    expect(loadConfig({ PORT: '8081' }).grpc.port).toBe(50051);
  });

  it('takes any free port when HTTP does (PORT=0) and GRPC_PORT is unset, so such starts never collide', () => {
    expect(loadConfig({ PORT: '0' }).grpc.port).toBe(0);
  });

  it('takes GRPC_PORT when given, whatever PORT is', () => {
    expect(loadConfig({ PORT: '0', GRPC_PORT: '50052' }).grpc.port).toBe(50052);
    expect(loadConfig({ GRPC_PORT: '0' }).grpc.port).toBe(0);
  });

  it.each(['-1', '65536', '50051.5', 'fifty'])('refuses GRPC_PORT=%s, naming it', (value) => {
    expect(() => loadConfig({ GRPC_PORT: value })).toThrow(ConfigError);
    expect(() => loadConfig({ GRPC_PORT: value })).toThrow(/GRPC_PORT/);
  });

  it('serves TLS with both files, and refuses one without the other', () => {
    expect(loadConfig({ M2M_GRPC_TLS_CERT_FILE: '/etc/m2m/cert.pem', M2M_GRPC_TLS_KEY_FILE: '/etc/m2m/key.pem' }).grpc.tls).toEqual({
      certFile: '/etc/m2m/cert.pem',
      keyFile: '/etc/m2m/key.pem',
    });
    expect(() => loadConfig({ M2M_GRPC_TLS_CERT_FILE: '/etc/m2m/cert.pem' })).toThrow(/M2M_GRPC_TLS_CERT_FILE and M2M_GRPC_TLS_KEY_FILE/);
    expect(() => loadConfig({ M2M_GRPC_TLS_KEY_FILE: '/etc/m2m/key.pem' })).toThrow(ConfigError);
  });
});
