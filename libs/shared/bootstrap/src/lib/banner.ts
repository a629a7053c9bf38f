/** A page the banner names, by its path under the HTTP URL: the docs, the OpenAPI document, the console once there is one. */
export interface BannerLink {
  readonly label: string;
  readonly path: string;
}

export interface BannerFacts {
  /** What is ready: "m2m-trust", "m2m-trust (distributed)". */
  readonly title: string;
  readonly url: string;
  readonly grpcUrl: string;
  readonly grpcTls: boolean;
  readonly links: readonly BannerLink[];
  /** Where the admin API key is: its file, or null when it came from M2M_ADMIN_API_KEY. */
  readonly adminApiKeyFile: string | null;
  /** Further lines, already worded ("registry  127.0.0.1:40123"). */
  readonly extra?: readonly string[];
}

/**
 * The few lines a person starting the server reads first. Plain text with no
 * secret in it; written only next to readable logs (a JSON consumer gets the
 * same facts in the "listening" line). Also used by tools/scripts/start-distributed.mjs.
 */
export function bannerText(facts: BannerFacts): string {
  const rows: [string, string][] = [
    ['HTTP API', facts.url],
    ['gRPC', `${facts.grpcUrl} (${facts.grpcTls ? 'TLS' : 'plaintext'})`],
    ...facts.links.map((link): [string, string] => [link.label, new URL(link.path, facts.url).href]),
    ['Admin API key', facts.adminApiKeyFile ? `in ${facts.adminApiKeyFile}` : 'from M2M_ADMIN_API_KEY'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `    ${label.padEnd(width)}  ${value}`);
  return `\n  ${facts.title} is ready\n\n${[...lines, ...(facts.extra ?? []).map((line) => `    ${line}`)].join('\n')}\n\n`;
}
