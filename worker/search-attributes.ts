// Safeguard's search attributes on a namespace (dev server, test server, self-hosted cluster,
// Temporal Cloud): read, and added when missing, at every worker start. Idempotent: attributes
// already there are left alone. An identity that may not add them gets a message saying exactly
// which to add and how, instead of a bare PERMISSION_DENIED.
import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../workflows/shared/search-attributes';

const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
export const SAFEGUARD_SEARCH_ATTRIBUTE_NAMES: readonly string[] = Object.values(SEARCH_ATTRIBUTES);

export interface SearchAttributeStatus {
  /** Safeguard's attributes the namespace has, as Keyword. */
  present: string[];
  missing: string[];
  /** Registered under Safeguard's name with another type: a person must resolve these. */
  wrongType: { name: string; type: string }[];
}

export class SearchAttributeError extends Error {
  readonly code = 'SEARCH_ATTRIBUTES';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SearchAttributeError';
  }
}

/** The command that adds `names` by hand, for the messages of the worker and `safeguard doctor`. */
export function addSearchAttributesHint(namespace: string, names: readonly string[]): string {
  const flags = names.map((n) => `--name ${n} --type Keyword`).join(' ');
  return `temporal operator search-attribute create --namespace ${namespace} ${flags} (Temporal Cloud: tcld namespace search-attributes add -n ${namespace} ${names.map((n) => `--sa ${n}=Keyword`).join(' ')})`;
}

export async function searchAttributeStatus(connection: Connection, namespace: string): Promise<SearchAttributeStatus> {
  const res = await connection.operatorService.listSearchAttributes({ namespace });
  const custom = res.customAttributes ?? {};
  const status: SearchAttributeStatus = { present: [], missing: [], wrongType: [] };
  for (const name of SAFEGUARD_SEARCH_ATTRIBUTE_NAMES) {
    const type = custom[name];
    if (type === undefined || type === null) status.missing.push(name);
    else if (type === KEYWORD) status.present.push(name);
    else status.wrongType.push({ name, type: temporal.api.enums.v1.IndexedValueType[type] ?? String(type) });
  }
  return status;
}

const isPermissionDenied = (err: unknown): boolean => /PERMISSION_DENIED|permission denied|not authorized|unauthorized/i.test(`${(err as { code?: unknown }).code ?? ''} ${String((err as Error).message)}`);

/**
 * Makes sure the namespace has every Safeguard search attribute: reads them, adds the missing ones.
 * Returns what it added. Throws SearchAttributeError (with the command to run) when an attribute
 * has the wrong type or the identity may not add them.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<{ added: string[] }> {
  let status: SearchAttributeStatus;
  try {
    status = await searchAttributeStatus(connection, namespace);
  } catch (err) {
    if (!isPermissionDenied(err)) throw err;
    // Some deployments let workers run but not read namespace metadata: try the add, which is idempotent.
    status = { present: [], missing: [...SAFEGUARD_SEARCH_ATTRIBUTE_NAMES], wrongType: [] };
  }
  if (status.wrongType.length > 0) {
    throw new SearchAttributeError(
      `namespace ${namespace} has ${status.wrongType.map((w) => `${w.name} as ${w.type}`).join(', ')}; Safeguard needs Keyword. Remove them (temporal operator search-attribute remove) and let the worker add them, or use another namespace.`,
    );
  }
  if (status.missing.length === 0) return { added: [] };
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(status.missing.map((n) => [n, KEYWORD])) });
  } catch (err) {
    if (/already exists/i.test(String((err as Error).message))) return { added: [] };
    if (isPermissionDenied(err)) {
      throw new SearchAttributeError(
        `this worker's Temporal identity may not add search attributes to namespace ${namespace}; missing: ${status.missing.join(', ')}. Add them once: ${addSearchAttributesHint(namespace, status.missing)}`,
        { cause: err },
      );
    }
    throw err;
  }
  return { added: status.missing };
}

/** The test servers' setup: adds every attribute in one call, ignoring ones already there (the time-skipping server lists none). */
export async function registerSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(SAFEGUARD_SEARCH_ATTRIBUTE_NAMES.map((n) => [n, KEYWORD])) });
  } catch (err) {
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
}
