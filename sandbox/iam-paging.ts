// Paging of IAM's query-protocol listings where moto ignores MaxItems (GetAccountAuthorizationDetails,
// ListUsers: everything in one answer, IsTruncated false), and the policy-document encoding moto
// skips. AWS answers at most MaxItems items (default 100, at most 1000) counted across all of a
// listing's lists, with IsTruncated and an opaque Marker to continue from. Pure: XML text in and out.

export const IAM_XMLNS = 'https://iam.amazonaws.com/doc/2010-05-08/';
export const DEFAULT_MAX_ITEMS = 100;
export const MAX_MAX_ITEMS = 1000;

/** One list of a listing answer (`UserDetailList`) and its `<member>…</member>` elements, as moto wrote them. */
export interface ListingList {
  name: string;
  members: string[];
}

/**
 * The `<member>` elements of the first `<list>` element in `xml`, each whole (`<member>…</member>`);
 * [] for `<list/>`, undefined when there is no such element. Nested lists (a user's Tags, a role's
 * RolePolicyList) stay inside their member.
 */
export function listMembers(xml: string, list: string): string[] | undefined {
  const open = xml.search(new RegExp(`<${list}(/?)>`));
  if (open < 0) return undefined;
  if (xml.startsWith(`<${list}/>`, open)) return [];
  const start = open + list.length + 2;
  const close = `</${list}>`;
  const members: string[] = [];
  let depth = 0;
  let memberStart = -1;
  const tag = /<(\/?)member(\/?)>/g;
  tag.lastIndex = start;
  const end = findClose(xml, list, start);
  for (let m = tag.exec(xml); m !== null && m.index < end; m = tag.exec(xml)) {
    if (m[2] === '/') {
      if (depth === 0) members.push('<member/>');
      continue;
    }
    if (m[1] === '') {
      if (depth === 0) memberStart = m.index;
      depth++;
    } else {
      depth--;
      if (depth === 0) members.push(xml.slice(memberStart, m.index + '</member>'.length));
    }
  }
  if (depth !== 0 || !xml.startsWith(close, end)) throw new Error(`unbalanced <${list}> in IAM answer`);
  return members;
}

/** Where `</list>` closes the element opened before `from` (lists of the same name do not nest in IAM answers). */
function findClose(xml: string, list: string, from: number): number {
  const i = xml.indexOf(`</${list}>`, from);
  if (i < 0) throw new Error(`no </${list}> in IAM answer`);
  return i;
}

/** RFC 3986 percent-encoding, as IAM encodes policy documents (encodeURIComponent leaves !'()* alone). */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const XML_ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };

function xmlUnescape(s: string): string {
  return s.replace(/&(lt|gt|amp|quot|apos);/g, (e) => XML_ENTITIES[e] ?? e);
}

/**
 * IAM returns every policy document URL-encoded; moto's GetAccountAuthorizationDetails and ListRoles
 * return a role's AssumeRolePolicyDocument as plain JSON (GetRole encodes it). Encodes the elements
 * named `element` whose text is still plain JSON; leaves encoded ones alone.
 */
export function encodePolicyDocuments(xml: string, element = 'AssumeRolePolicyDocument'): string {
  const re = new RegExp(`<${element}>([^<]*)</${element}>`, 'g');
  return xml.replace(re, (whole, text: string) => {
    const plain = xmlUnescape(text);
    return plain.trimStart().startsWith('{') ? `<${element}>${rfc3986(plain)}</${element}>` : whole;
  });
}

/** A page: the members of each list from `offset` on, at most `maxItems` in all, in list order. */
export function pageOf(lists: ListingList[], offset: number, maxItems: number): { lists: ListingList[]; next: number | undefined } {
  const total = lists.reduce((n, l) => n + l.members.length, 0);
  let skip = offset;
  let room = maxItems;
  const page = lists.map((l) => {
    const from = Math.min(skip, l.members.length);
    skip -= from;
    const taken = l.members.slice(from, from + room);
    room -= taken.length;
    return { name: l.name, members: taken };
  });
  const end = offset + (maxItems - room);
  return { lists: page, next: end < total ? end : undefined };
}

/** The query-protocol answer for a page: `<Action>Response><Action>Result>` with the lists, IsTruncated and Marker. */
export function listingXml(action: string, lists: ListingList[], marker: string | undefined, requestId: string): string {
  const body = lists.map((l) => (l.members.length === 0 ? `<${l.name}/>` : `<${l.name}>${l.members.join('')}</${l.name}>`)).join('');
  const more = marker !== undefined ? `<IsTruncated>true</IsTruncated><Marker>${marker}</Marker>` : '<IsTruncated>false</IsTruncated>';
  return `<${action}Response xmlns="${IAM_XMLNS}"><${action}Result>${body}${more}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

/** An opaque Marker: the listing snapshot it continues and the position in it (base64url JSON). */
export interface ListingMarker {
  snapshot: string;
  offset: number;
}

export function encodeMarker(m: ListingMarker): string {
  return Buffer.from(JSON.stringify({ s: m.snapshot, o: m.offset })).toString('base64url');
}

/** undefined when `marker` is not one the gateway wrote. */
export function decodeMarker(marker: string): ListingMarker | undefined {
  try {
    const v = JSON.parse(Buffer.from(marker, 'base64url').toString('utf8')) as { s?: unknown; o?: unknown };
    if (typeof v.s !== 'string' || typeof v.o !== 'number' || !Number.isInteger(v.o) || v.o < 0) return undefined;
    return { snapshot: v.s, offset: v.o };
  } catch {
    return undefined;
  }
}

/** MaxItems as IAM validates it: absent → 100; else an integer 1…1000, or the message of IAM's ValidationError. */
export function parseMaxItems(raw: string | undefined): number | { error: string } {
  if (raw === undefined || raw === '') return DEFAULT_MAX_ITEMS;
  const n = Number(raw);
  if (!Number.isInteger(n)) return { error: `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must be an integer` };
  if (n < 1) return { error: `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1` };
  if (n > MAX_MAX_ITEMS) return { error: `1 validation error detected: Value '${raw}' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to ${MAX_MAX_ITEMS}` };
  return n;
}

/**
 * GetAccountAuthorizationDetails' `Policies`: AWS lists the AWS managed policies in use (attached
 * to something), not the whole catalogue moto loads with MOTO_IAM_LOAD_MANAGED_POLICIES.
 */
export function inUsePolicies(members: string[]): string[] {
  return members.filter((m) => {
    const arn = /<Arn>([^<]*)<\/Arn>/.exec(m)?.[1] ?? '';
    if (!arn.startsWith('arn:aws:iam::aws:policy/')) return true;
    return Number(/<AttachmentCount>(\d+)<\/AttachmentCount>/.exec(m)?.[1] ?? '0') > 0;
  });
}
