// Break-glass in Slack: the /breakglass command, the request card's buttons, the modals, App Home.
import type { App } from '@slack/bolt';
import { KNOWN_ACTION_IDS, VIEWS } from '../../shared/slack-blocks/ids';
import type { ListenerContext } from '../context';
import * as breakglassCommand from '../listeners/commands/breakglass';
import * as decideActions from '../listeners/actions/decide';
import * as denyActions from '../listeners/actions/deny';
import * as revokeAction from '../listeners/actions/revoke';
import * as openRequestAction from '../listeners/actions/open-request';
import * as extendAction from '../listeners/actions/extend';
import * as extendSubmit from '../listeners/views/extend-submit';
import * as requestSubmit from '../listeners/views/request-submit';
import * as denySubmit from '../listeners/views/deny-submit';
import * as appHome from '../listeners/events/app-home';

const VIEW_IDS: ReadonlySet<string> = new Set(Object.values(VIEWS));

export const knows = {
  action: (id: string): boolean => KNOWN_ACTION_IDS.has(id),
  view: (callbackId: string): boolean => VIEW_IDS.has(callbackId),
};

export function register(app: App, ctx: ListenerContext): void {
  for (const listener of [breakglassCommand, decideActions, denyActions, revokeAction, openRequestAction, extendAction, extendSubmit, requestSubmit, denySubmit, appHome]) listener.register(app, ctx);
}
