import type { KnownBlock } from '@slack/types';
import type { BreakGlassStatus } from '../../workflows/break-glass/definitions';

/** What the builders render: the workflow's status without timeline and credentials. */
export type RequestView = Omit<BreakGlassStatus, 'timeline' | 'credentials'> & Partial<Pick<BreakGlassStatus, 'timeline' | 'credentials'>>;

export interface Message {
  /** Notification / fallback text (also what screen readers get). */
  text: string;
  blocks: KnownBlock[];
}
