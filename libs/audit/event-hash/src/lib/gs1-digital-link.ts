// GS1 identifiers: EPC URI / EPC class / EPC pattern / GS1 Digital Link -> canonical https://id.gs1.org/... URI
// (constrained: lowest identification level, no CPV, no query string). null = not a GS1 key.
import { pySlice } from './python-text';

const GS3A3 = "(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])";
const CPI_CHAR = '(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z-])';
/** Company prefix (6..12 digits) '.' reference, the two together 13 digits long. */
const GCP13 = '(?:\\d{6}\\.\\d{7}|\\d{7}\\.\\d{6}|\\d{8}\\.\\d{5}|\\d{9}\\.\\d{4}|\\d{10}\\.\\d{3}|\\d{11}\\.\\d{2}|\\d{12}\\.\\d{1})';
/** ... 12 digits long (the reference may be empty). */
const GCP12 = '(?:\\d{6}\\.\\d{6}|\\d{7}\\.\\d{5}|\\d{8}\\.\\d{4}|\\d{9}\\.\\d{3}|\\d{10}\\.\\d{2}|\\d{11}\\.\\d{1}|\\d{12}\\.)';
/** ... 12 digits long, a 12-digit company prefix followed by two dots (GRAI, GDTI as in the reference). */
const GCP12DD = '(?:\\d{6}\\.\\d{6}|\\d{7}\\.\\d{5}|\\d{8}\\.\\d{4}|\\d{9}\\.\\d{3}|\\d{10}\\.\\d{2}|\\d{11}\\.\\d{1}|\\d{12}\\.\\.)';
/** Company prefix + '.' + reference made of `chars`, `total` characters together without the dot. */
const varRef = (chars: string, total: number): string =>
  '(?:' + [6, 7, 8, 9, 10, 11, 12].map((p) => `\\d{${p}}\\.${chars}{1,${total - p}}`).join('|') + ')';
/** Company prefix + '.' + fixed-length digit reference, `total` digits together. */
const fixedRef = (total: number): string =>
  '(?:' + [6, 7, 8, 9, 10, 11, 12].map((p) => `\\d{${p}}\\.\\d{${total - p}}`).join('|') + ')';

const re = (source: string): RegExp => new RegExp('^(?:' + source + ')$');

const EPC = {
  sgtin: re(`urn:epc:id:sgtin:${GCP13}\\.${GS3A3}{1,20}`),
  sscc: re(`urn:epc:id:sscc:${fixedRef(17)}`),
  sgln: re(`urn:epc:id:sgln:${GCP12}\\.${GS3A3}{1,20}`),
  grai: re(`urn:epc:id:grai:${GCP12DD}\\.${GS3A3}{1,16}`),
  giai: re(`urn:epc:id:giai:${varRef(GS3A3, 30)}`),
  gsrn: re(`urn:epc:id:gsrn:${fixedRef(17)}`),
  gsrnp: re(`urn:epc:id:gsrnp:${fixedRef(17)}`),
  gdti: re(`urn:epc:id:gdti:${GCP12DD}${GS3A3}{1,20}`),
  cpi: re(`urn:epc:id:cpi:${varRef(CPI_CHAR, 30)}\\.\\d{1,12}`),
  sgcn: re(`urn:epc:id:sgcn:${GCP12}\\.\\d{1,12}`),
  ginc: re(`urn:epc:id:ginc:${varRef(GS3A3, 30)}`),
  gsin: re(`urn:epc:id:gsin:${fixedRef(16)}`),
  itip: re(`urn:epc:id:itip:${GCP13}\\.\\d{2}\\.\\d{2}\\.${GS3A3}{1,20}`),
  upui: re(`urn:epc:id:upui:${GCP13}\\.${GS3A3}{1,28}`),
  pgln: re(`urn:epc:id:pgln:${GCP12}`),
  lgtin: re(`urn:epc:class:lgtin:${GCP13}\\.${GS3A3}{1,20}`),
  patSgtin: re(`urn:epc:idpat:sgtin:${GCP13}\\.\\*`),
  patGrai: re(`urn:epc:idpat:grai:${GCP12DD}\\.\\*`),
  patGdti: re(`urn:epc:idpat:gdti:${GCP12DD}\\.\\*`),
  patSgcn: re(`urn:epc:idpat:sgcn:${GCP12DD}\\.\\*`),
  patCpi: re(`urn:epc:idpat:cpi:${varRef(CPI_CHAR, 30)}\\.\\*`),
  patItip: re(`urn:epc:idpat:itip:${GCP13}\\.\\d{2}\\.\\d{2}\\.\\*`),
  patUpui: re(`urn:epc:idpat:upui:${GCP13}\\.\\*`),
} as const;

const DL_PRIMARY_KEYS = '01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai';
const DL_URI = new RegExp(
  '^https?:(?://(?:(?:[^/?#]*)@)?[^/?#:]*(?::[^/?#]*)?)?(?:[^?#]*/(?:' +
    DL_PRIMARY_KEYS +
    ')/\\d{4}[^/]+(?:/[^/]+/[^/]+)?/?(?:\\?[^?\\n]*)?(?:#[^\\n]*)?|/[A-Za-z_-]{10}$)',
);
const DL_CANONICAL_HOST = new RegExp(
  '^(?:https://id.gs1.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/\\d{4}[^/]+(?:/[^/]+/[^/]+)?/?(?:\\?[^?\\n]*)?(?:#[^\\n]*)?|/[A-Za-z_-]{10}$)',
);
const DL_KEY_SEGMENTS = ['/00/', '/01/', '/253/', '/255/', '/401/', '/402/', '/414/', '/417/', '/8003/', '/8004/', '/8006/', '/8010/', '/8017/', '/8018/'];
const DL_SHORT_NAMES: readonly (readonly [string, string])[] = [
  ['/gtin/', '/01/'], ['/itip/', '/8006/'], ['/cpid/', '/8010/'], ['/gln/', '/414/'], ['/party/', '/417/'],
  ['/gsrnp/', '/8017/'], ['/gsrn/', '/8018/'], ['/gcn/', '/255/'], ['/sscc/', '/00/'], ['/gdti/', '/253/'],
  ['/ginc/', '/401/'], ['/gsin/', '/402/'], ['/grai/', '/8003/'], ['/giai/', '/8004/'], ['/cpv/', '/22/'],
  ['/lot/', '/10/'], ['/ser/', '/21/'],
];
const CS = "[\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const CS_SLASH = "[\\x2F\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const DL = (source: string): RegExp => new RegExp('^' + source + '$');
const DL_CPV_LAST = [DL(`https://id.gs1.org/8006/\\d{18}/22/${CS}{0,20}`), DL(`https://id.gs1.org/01/\\d{14}/22/${CS}{0,20}`)];
const DL_CPV_INNER = [DL(`https://id.gs1.org/8006/\\d{18}/22/${CS_SLASH}{0,20}`), DL(`https://id.gs1.org/01/\\d{14}/22/${CS_SLASH}{0,20}`)];
const DL_LOT_AND_SERIAL = [
  DL(`https://id.gs1.org/8006/\\d{18}/10/${CS}{0,20}/21/${CS}{0,20}`),
  DL(`https://id.gs1.org/01/\\d{14}/10/${CS}{0,20}/21/${CS}{0,20}`),
];
const DL_VALID = DL(
  '(?:' +
    [
      'https://id.gs1.org/00/\\d{18}',
      `https://id.gs1.org/01/\\d{14}/21/${CS}{0,20}`,
      `https://id.gs1.org/01/\\d{14}/10/${CS}{0,20}`,
      'https://id.gs1.org/01/\\d{14}',
      `https://id.gs1.org/01/\\d{14}/235/${CS}{0,28}`,
      `https://id.gs1.org/253/\\d{13}${CS}{0,17}`,
      'https://id.gs1.org/255/\\d{13}\\d{0,12}',
      `https://id.gs1.org/401/${CS}{0,30}`,
      'https://id.gs1.org/402/\\d{17}',
      'https://id.gs1.org/414/\\d{13}',
      `https://id.gs1.org/414/\\d{13}/254/${CS}{0,20}`,
      'https://id.gs1.org/417/\\d{13}',
      `https://id.gs1.org/8003/\\d{14}${CS}{0,16}`,
      `https://id.gs1.org/8004/${CS}{0,30}`,
      `https://id.gs1.org/8006/\\d{18}/21/${CS}{0,20}`,
      `https://id.gs1.org/8006/\\d{18}/10/${CS}{0,20}`,
      'https://id.gs1.org/8006/\\d{18}',
      'https://id.gs1.org/8010/[\\x23\\x2D\\x2F\\x30-\\x39\\x41-\\x5A]{0,30}/8011/\\d{0,12}',
      'https://id.gs1.org/8010/[\\x23\\x2D\\x2F\\x30-\\x39\\x41-\\x5A]{0,30}',
      'https://id.gs1.org/8017/\\d{18}',
      'https://id.gs1.org/8018/\\d{18}',
    ].join('|') +
    ')',
);
const GTIN_14 = /^https:\/\/id.gs1.org\/01\/\d{14}/;
const GTIN_13 = /^https:\/\/id.gs1.org\/01\/\d{13}/;
const GTIN_12 = /^https:\/\/id.gs1.org\/01\/\d{12}/;
const GTIN_8 = /^https:\/\/id.gs1.org\/01\/\d{8}/;

/** GS1 mod-10 check digit of the given digits. */
function checkDigit(digits: string): number {
  let sum = 0;
  for (let i = digits.length - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return Math.ceil(sum / 10) * 10 - sum;
}

const PERCENT: Readonly<Record<string, string>> = { '!': '%21', '(': '%28', ')': '%29', '*': '%2A', '+': '%2B', ',': '%2C', ':': '%3A' };
const PERCENT_CHARS = /[!()*+,:]/g;

function percentEncode(s: string): string {
  return s.replace(PERCENT_CHARS, (ch) => PERCENT[ch] as string);
}


/** GTIN-14 digits: indicator (first digit of the reference) + company prefix + rest of the reference. */
function gtinBody(uri: string, gcpStart: number, dot: number): string {
  const gcp = uri.slice(gcpStart, dot);
  const ref = uri.slice(dot + 1, dot + 1 + (13 - gcp.length));
  return ref.slice(0, 1) + gcp + ref.slice(1);
}

/** Company prefix + reference of a 12-digit key (GLN, GDTI, ...). */
function key12(uri: string, gcpStart: number, dot: number): string {
  const gcp = uri.slice(gcpStart, dot);
  return gcp + uri.slice(dot + 1, dot + 1 + (12 - gcp.length));
}

const withCheck = (digits: string): string => digits + checkDigit(digits);

export function normaliseGs1Uri(uri: string): string | null {
  const dot = uri.indexOf('.');
  if (dot < 0) return null;
  if (uri.startsWith('urn:epc:')) return normaliseEpcUri(uri, dot);
  if (uri.charCodeAt(0) !== 104 /* h */ || !mayBeDigitalLink(uri) || !DL_URI.test(uri)) return null;
  return normaliseDigitalLink(uri);
}

const DL_KEYS: ReadonlySet<string> = new Set(DL_PRIMARY_KEYS.split('|'));

/** Cheap necessary condition for DL_URI: a "/<primary key>/dddd" segment, or a 10-letter last segment. */
function mayBeDigitalLink(uri: string): boolean {
  const n = uri.length;
  if (n >= 11 && uri.charCodeAt(n - 11) === 47 /* / */) return true;
  for (let i = uri.indexOf('/'); i >= 0; ) {
    const j = uri.indexOf('/', i + 1);
    if (j < 0) return false;
    if (j - i <= 6 && j + 4 < n && DL_KEYS.has(uri.slice(i + 1, j)) && isDigits(uri, j + 1, j + 5)) return true;
    i = j;
  }
  return false;
}

function isDigits(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function normaliseEpcUri(uri: string, dot: number): string | null {
  const base = 'https://id.gs1.org/';
  const end = uri.indexOf(':', uri.indexOf(':', 8) + 1);
  const scheme = uri.slice(8, end < 0 ? uri.length : end); // e.g. "id:sgtin", "idpat:grai"
  switch (scheme) {
    case 'id:sgtin':
      if (!EPC.sgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 17, dot)) + '/21/' + percentEncode(uri.slice(32));
    case 'id:sscc': {
      if (!EPC.sscc.test(uri)) return null;
      const raw = uri.slice(dot + 1, dot + 2) + uri.slice(16, dot) + uri.slice(dot + 2);
      return base + '00/' + withCheck(raw);
    }
    case 'id:sgln': {
      if (!EPC.sgln.test(uri)) return null;
      const gln = base + '414/' + withCheck(key12(uri, 16, dot));
      const extension = uri.slice(30);
      return extension === '0' ? gln : gln + '/254/' + percentEncode(extension);
    }
    case 'id:grai':
      if (!EPC.grai.test(uri)) return null;
      return base + '8003/' + withCheck('0' + key12(uri, 16, dot)) + percentEncode(uri.slice(30));
    case 'id:giai':
      if (!EPC.giai.test(uri)) return null;
      return base + '8004/' + uri.slice(16, dot) + percentEncode(uri.slice(dot + 1));
    case 'id:gsrn':
      if (!EPC.gsrn.test(uri)) return null;
      return base + '8018/' + withCheck(uri.slice(16, dot) + uri.slice(dot + 1));
    case 'id:gsrnp':
      if (!EPC.gsrnp.test(uri)) return null;
      return base + '8017/' + withCheck(uri.slice(17, dot) + uri.slice(dot + 1));
    case 'id:gdti':
      if (!EPC.gdti.test(uri)) return null;
      return base + '253/' + withCheck(key12(uri, 16, dot)) + percentEncode(uri.slice(30));
    case 'id:cpi': {
      if (!EPC.cpi.test(uri)) return null;
      const sep = uri.lastIndexOf('.');
      return base + '8010/' + percentEncode(uri.slice(15, dot) + uri.slice(dot + 1, sep)) + '/8011/' + uri.slice(sep + 1);
    }
    case 'id:sgcn':
      if (!EPC.sgcn.test(uri)) return null;
      return base + '255/' + withCheck(key12(uri, 16, dot)) + uri.slice(30);
    case 'id:ginc':
      if (!EPC.ginc.test(uri)) return null;
      return base + '401/' + uri.slice(16, dot) + percentEncode(uri.slice(dot + 1));
    case 'id:gsin':
      if (!EPC.gsin.test(uri)) return null;
      return base + '402/' + withCheck(uri.slice(16, dot) + uri.slice(dot + 1));
    case 'id:itip':
      if (!EPC.itip.test(uri)) return null;
      return (
        base + '8006/' + withCheck(gtinBody(uri, 16, dot)) + uri.slice(31, 33) + uri.slice(34, 36) + '/21/' +
        percentEncode(uri.slice(37))
      );
    case 'id:upui':
      if (!EPC.upui.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 16, dot)) + '/235/' + percentEncode(uri.slice(31));
    case 'id:pgln':
      if (!EPC.pgln.test(uri)) return null;
      return base + '417/' + withCheck(key12(uri, 16, dot));
    case 'class:lgtin':
      if (!EPC.lgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 20, dot)) + '/10/' + percentEncode(uri.slice(35));
    case 'idpat:sgtin':
      if (!EPC.patSgtin.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 20, dot));
    case 'idpat:grai':
      if (!EPC.patGrai.test(uri)) return null;
      return base + '8003/' + withCheck('0' + key12(uri, 19, dot));
    case 'idpat:gdti':
      if (!EPC.patGdti.test(uri)) return null;
      return base + '253/' + withCheck(key12(uri, 19, dot));
    case 'idpat:sgcn':
      if (!EPC.patSgcn.test(uri)) return null;
      return base + '255/' + withCheck(key12(uri, 19, dot));
    case 'idpat:cpi':
      if (!EPC.patCpi.test(uri)) return null;
      return base + '8010/' + percentEncode(uri.slice(18, dot) + uri.slice(dot + 1, uri.lastIndexOf('.')));
    case 'idpat:itip':
      if (!EPC.patItip.test(uri)) return null;
      return base + '8006/' + withCheck(gtinBody(uri, 19, dot)) + uri.slice(34, 36) + uri.slice(37, 39);
    case 'idpat:upui':
      if (!EPC.patUpui.test(uri)) return null;
      return base + '01/' + withCheck(gtinBody(uri, 19, dot));
    default:
      return null;
  }
}

function normaliseDigitalLink(input: string): string | null {
  let uri = input;
  const query = uri.indexOf('?');
  if (query >= 0) uri = uri.slice(0, query);
  for (const [short, ai] of DL_SHORT_NAMES) if (uri.includes(short)) uri = uri.replaceAll(short, ai);

  if (!DL_CANONICAL_HOST.test(uri)) {
    for (const segment of DL_KEY_SEGMENTS) {
      const at = uri.indexOf(segment);
      if (at !== -1) {
        uri = 'https://id.gs1.org' + uri.slice(at);
        break;
      }
    }
  }

  if (!GTIN_14.test(uri)) {
    if (GTIN_13.test(uri)) uri = uri.replaceAll('/01/', '/01/0');
    else if (GTIN_12.test(uri)) uri = uri.replaceAll('/01/', '/01/00');
    else if (GTIN_8.test(uri)) uri = uri.replaceAll('/01/', '/01/000000');
  }

  // drop the CPV (AI 22)
  const cpv = pySlice(uri, uri.indexOf('/22/') + 4);
  if (DL_CPV_LAST.some((r) => r.test(uri))) uri = pySlice(uri, 0, uri.indexOf('/22/')) + pySlice(cpv, cpv.indexOf('/'), -1);
  if (DL_CPV_INNER.some((r) => r.test(uri))) uri = pySlice(uri, 0, uri.indexOf('/22/')) + pySlice(cpv, cpv.indexOf('/'));

  // lowest identification level only: a serial makes the lot redundant
  if (DL_LOT_AND_SERIAL.some((r) => r.test(uri))) {
    const lot = pySlice(uri, uri.indexOf('/10/') + 4);
    uri = pySlice(uri, 0, uri.indexOf('/10/')) + pySlice(lot, lot.indexOf('/'));
  }

  return DL_VALID.test(uri) ? uri : null;
}
