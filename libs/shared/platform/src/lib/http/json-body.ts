import { DomainError, ErrorCode, LONE_SURROGATE_PATTERN } from '@m2m-trust/shared-domain';

import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyBodyParser, FastifyInstance } from 'fastify';

/** The deepest a JSON body may nest objects and arrays (docs/abuse-limits.md, "Input limits"): the top level is 1. */
export const JSON_BODY_MAX_DEPTH = 32;

const JSON_MEDIA_TYPE = 'application/json';
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LONE_SURROGATE = new RegExp(LONE_SURROGATE_PATTERN);

const refused = (detail: string): DomainError => new DomainError(ErrorCode.ValidationFailed, `Invalid request body: ${detail}`);

/**
 * Whether `bytes` (JSON text, or what claims to be) opens more than `limit`
 * objects and arrays inside one another, read without parsing: brackets
 * inside strings do not count. Stops at the first level too deep, so a body
 * of a million `[` costs one pass and no stack.
 */
export function nestsDeeperThan(bytes: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}

/** The first string or member name in a parsed body that holds a lone surrogate (a `\ud800` escape unpaired), as a JSON Pointer. */
export function loneSurrogateAt(value: unknown, pointer = ''): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? pointer || '/' : null;
  if (typeof value !== 'object' || value === null) return null;
  for (const [key, member] of Object.entries(value)) {
    const at = `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (LONE_SURROGATE.test(key)) return at;
    const found = loneSurrogateAt(member, at);
    if (found !== null) return found;
  }
  return null;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The JSON body parser of every process (docs/abuse-limits.md, "Input
 * limits"), in place of Fastify's: the body must be UTF-8 (RFC 8259 section
 * 8.1; a byte sequence that is not is refused, not read as U+FFFD), nest at
 * most {@link JSON_BODY_MAX_DEPTH} levels (checked on the bytes before
 * parsing, so no handler and no schema sees a deeper one), and hold no lone
 * surrogate (RFC 8259 section 8.2: `"\ud800"` is no Unicode text, and would be
 * stored as U+FFFD). Each is 400 VALIDATION_FAILED (an OAuth endpoint's
 * invalid_request), before any route runs. Otherwise Fastify's own parser
 * reads it, with its `__proto__` and `constructor` poisoning refused.
 */
export function jsonBodyParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    let text: string;
    try {
      text = UTF8.decode(body);
    } catch {
      done(refused('the body is not valid UTF-8'), undefined);
      return;
    }
    if (nestsDeeperThan(body, JSON_BODY_MAX_DEPTH)) {
      done(refused(`the JSON nests objects and arrays more than ${JSON_BODY_MAX_DEPTH} levels deep`), undefined);
      return;
    }
    parse(request, text, (error, value) => {
      if (error) {
        done(error, undefined);
        return;
      }
      const at = loneSurrogateAt(value);
      if (at !== null) done(refused(`the string at ${at} holds a lone surrogate (an unpaired \\uD800-\\uDFFF escape), which is no Unicode text`), undefined);
      else done(null, value);
    });
  };
}

/** Installs {@link jsonBodyParser} for `application/json` (the one JSON media type the API takes), before Nest would install its own. */
export function useJsonBodies(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  app.useBodyParser(JSON_MEDIA_TYPE, { bodyLimit }, jsonBodyParser(fastify));
}
