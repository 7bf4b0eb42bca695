// Typed keys for Safeguard's search attributes (workflows/shared/search-attributes.ts), for starting
// runs and reading lists; and the dev server flags that register them.
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../workflows/shared/search-attributes';

export const searchAttributeKeys = {
  kind: defineSearchAttributeKey(SEARCH_ATTRIBUTES.kind, SearchAttributeType.KEYWORD),
  requester: defineSearchAttributeKey(SEARCH_ATTRIBUTES.requester, SearchAttributeType.KEYWORD),
  role: defineSearchAttributeKey(SEARCH_ATTRIBUTES.role, SearchAttributeType.KEYWORD),
  account: defineSearchAttributeKey(SEARCH_ATTRIBUTES.account, SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey(SEARCH_ATTRIBUTES.outcome, SearchAttributeType.KEYWORD),
};

/** `temporal server start-dev --search-attribute` arguments for the keys above. */
export const SEARCH_ATTRIBUTE_FLAGS = Object.values(SEARCH_ATTRIBUTES).flatMap((name) => ['--search-attribute', `${name}=Keyword`]);
