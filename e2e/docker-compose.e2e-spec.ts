import { CONFIG_VARIABLES, VARIABLE_USES } from '@m2m-trust/shared-platform';

import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(__dirname, '..');

/** The configuration names the apps read: compose may set nothing else. */
const M2M_NAMES: readonly string[] = CONFIG_VARIABLES.filter((name) => name.startsWith('M2M_'));
/** Apps that are no server: the operator CLI runs on the operator's machine. */
const NOT_SERVICES = ['cli'];

interface ComposeService {
  image?: string;
  build?: string | { context?: string; args?: Record<string, string> | string[] };
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target?: number | string; published?: number | string })[];
}
interface ComposeFile {
  services?: Record<string, ComposeService>;
}

function loadCompose(): ComposeFile {
  // Compose resolves YAML merge keys (`<<: *anchor`); so must we, or the shared settings vanish.
  return parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as ComposeFile;
}

function environment(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((entry) => [entry.split('=')[0] as string, entry.split('=').slice(1).join('=')]));
  }
  return Object.fromEntries(Object.entries(env).map(([key, value]) => [key, String(value ?? '')]));
}

/** The published ports of a service (short syntax "[ip:]host:container[/proto]"): host address and port by container port. */
function publishedPorts(service: ComposeService): { address: string; host: number; container: number }[] {
  return (service.ports ?? []).map((port) => {
    const parts = String(port).split('/')[0]!.split(':');
    const [container, host, address] = [parts.pop(), parts.pop(), parts.pop()];
    return { address: address ?? '0.0.0.0', host: Number(host ?? container), container: Number(container) };
  });
}

/** `${NAME:-default}` as compose writes it: the default, or undefined when the value is no such reference. */
const composeDefault = (value: string | undefined, name: string): string | undefined =>
  new RegExp(`^\\$\\{${name}:-([^}]*)\\}$`).exec(value ?? '')?.[1];

/** The README's "Distributed mode" section. */
function readmeDistributedSection(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('### Distributed mode');
  return readme.slice(start, readme.indexOf('\n## ', start));
}

/** The container ports a service publishes, from short ("[ip:]host:container[/proto]") or long syntax. */
function containerPorts(service: ComposeService): number[] {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'object') return Number(port.target);
    return Number(String(port).split('/')[0]!.split(':').pop());
  });
}

function appDirectories(): string[] {
  return readdirSync(join(ROOT, 'apps'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && !NOT_SERVICES.includes(entry.name))
    .map((entry) => entry.name);
}

describe('docker-compose.yml', () => {
  let compose: ComposeFile;
  let services: Record<string, ComposeService>;

  beforeAll(() => {
    compose = loadCompose();
    services = compose.services ?? {};
  });

  it('parses, with services', () => {
    expect(typeof compose).toBe('object');
    expect(Object.keys(services).length).toBeGreaterThan(0);
  });

  it('runs every app under apps/ (but the CLI) as a service built from the root Dockerfile', () => {
    const apps = appDirectories();
    expect(apps).toContain('gateway');
    for (const app of apps) {
      expect({ app, service: services[app] !== undefined }).toEqual({ app, service: true });
      const build = services[app]!.build;
      const args = typeof build === 'object' && !Array.isArray(build.args) ? build.args : undefined;
      expect({ app, builds: args?.['APP'] }).toEqual({ app, builds: app });
    }
  });

  it.each(['kafka', 'postgres'])('has %s, on an image pinned to a version', (name) => {
    const image = services[name]?.image ?? '';
    const tag = /^[^@]+:([^:/@]+)$/.exec(image)?.[1];
    expect(image).toMatch(name === 'kafka' ? /^apache\/kafka:3\.9\./ : /^postgres:15\./);
    expect(tag).toMatch(/^\d+\.\d+(\.\d+)?(-[a-z0-9]+)?$/);
    expect(tag).not.toContain('latest');
  });

  it('runs the Kafka version that `npm run infra:up` runs', () => {
    const pom = readFileSync(join(ROOT, 'tools', 'infra', 'kafka', 'pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(pom)?.[1];
    expect(services['kafka']?.image).toBe(`apache/kafka:${version}`);
  });

  it('sets only the M2M_* variables the apps define', () => {
    const used = new Set<string>();
    for (const service of Object.values(services)) {
      for (const key of Object.keys(environment(service))) if (key.startsWith('M2M_')) used.add(key);
    }
    expect(used.size).toBeGreaterThan(0);
    expect([...used].filter((key) => !M2M_NAMES.includes(key))).toEqual([]);
  });

  it('gives each service what its start requires: the database and Kafka, the challenge service its audience, the services and the gateway the registry, the gateway the services', () => {
    for (const name of ['registry-service', 'challenge-service', 'audit-service']) {
      expect(Object.keys(environment(services[name]!))).toEqual(expect.arrayContaining(['M2M_DATABASE_URL', 'M2M_KAFKA_BROKERS', 'M2M_ADMIN_API_KEY']));
    }
    expect(environment(services['challenge-service']!)['M2M_AUDIENCE']).toBeTruthy();
    // The registry service checks managed API keys for the others.
    for (const name of ['challenge-service', 'audit-service']) expect(environment(services[name]!)['M2M_REGISTRY_GRPC_URL']).toBe('registry-service:50051');
    expect(Object.keys(environment(services['gateway']!))).toEqual(
      expect.arrayContaining(['M2M_REGISTRY_GRPC_URL', 'M2M_REGISTRY_URL', 'M2M_CHALLENGE_GRPC_URL', 'M2M_CHALLENGE_URL', 'M2M_AUDIT_URL', 'M2M_ADMIN_API_KEY']),
    );
  });

  it("publishes the gateway's HTTP port to the host", () => {
    const gateway = services['gateway']!;
    const port = Number(environment(gateway)['PORT']);
    expect(port).toBeGreaterThan(0);
    expect(containerPorts(gateway)).toContain(port);
  });

  it("passes each setting of the operator's environment to every container that reads it, as start:distributed does", () => {
    for (const [variable, use] of Object.entries(VARIABLE_USES)) {
      if (use.launcher.kind !== 'forward') continue;
      for (const app of use.launcher.to ?? use.distributed) {
        const value = environment(services[app]!)[variable];
        // From the environment, with or without a default of its own.
        expect({ variable, app, value: value?.startsWith(`\${${variable}:`) ?? false }).toEqual({ variable, app, value: true });
      }
    }
  });

  describe('agrees with the README', () => {
    const section = (): string => readmeDistributedSection();
    const gatewayPort = (): { address: string; host: number } => {
      const gateway = services['gateway']!;
      const http = publishedPorts(gateway).find((port) => port.container === Number(environment(gateway)['PORT']));
      expect(http).toBeDefined();
      return http!;
    };

    it('on the command: docker compose up --build (the images are built from the checkout)', () => {
      expect(section()).toContain('docker compose up --build');
      expect(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')).toContain('`docker compose up --build`');
    });

    it('on the URL: the published port and address are the ones the README names (those of `npm start`)', () => {
      const { address, host } = gatewayPort();
      expect(section()).toContain(`http://${address}:${host}`);
      expect(host).toBe(8080);
    });

    it('on the admin API key: required by compose, and the README says so', () => {
      expect(environment(services['gateway']!)['M2M_ADMIN_API_KEY']).toMatch(/^\$\{M2M_ADMIN_API_KEY:\?/);
      expect(section()).toMatch(/M2M_ADMIN_API_KEY[^.]*required/);
    });

    it('on the audience and issuer: by default the URL the README names, so its examples sign for the right service', () => {
      const { address, host } = gatewayPort();
      for (const [app, variable] of [['challenge-service', 'M2M_AUDIENCE'], ['challenge-service', 'M2M_TOKEN_ISSUER'], ['audit-service', 'M2M_AUDIENCE']] as const) {
        expect({ app, variable, value: composeDefault(environment(services[app]!)[variable], variable) }).toEqual({ app, variable, value: `http://${address}:${host}` });
      }
    });
  });
});
