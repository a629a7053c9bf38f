import type { CliSettings } from '../cli.config';
import { ConfigError } from '../cli.error';

export interface ServiceAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A GET of the configured service's audit API (public routes without the key; `withKey` sends the API key). */
export async function serviceGet(settings: CliSettings, path: string, withKey = false): Promise<ServiceAnswer> {
  const base = settings.url?.replace(/\/+$/, '');
  if (!base) throw new ConfigError('No service URL: give --url or M2M_URL');
  if (withKey && !settings.apiKey) throw new ConfigError('No API key: give --api-key or M2M_API_KEY');
  let response: Response;
  try {
    response = await fetch(`${base}${path}`, {
      headers: { accept: 'application/json', ...(withKey ? { authorization: `Bearer ${settings.apiKey}` } : {}) },
      signal: AbortSignal.timeout(settings.timeoutMs ?? 30_000),
    });
  } catch (error) {
    throw new ConfigError(`Cannot reach ${base}: ${(error as Error).message}`);
  }
  if (response.status >= 500 || response.status === 429) throw new ConfigError(`${base}${path} answered ${response.status}`);
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a text answer
  }
  return { status: response.status, body };
}
