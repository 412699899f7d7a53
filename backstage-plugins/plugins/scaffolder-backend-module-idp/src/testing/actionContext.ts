// Test helper: an action context built by hand (createMockActionContext needs jest's globals).
import type { UserEntity } from '@backstage/catalog-model';
import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import type { ActionContext, TemplateAction } from '@backstage/plugin-scaffolder-node';
import { userCredentials } from './backstageAuth';

export const TEST_USER: UserEntity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice', namespace: 'default' },
  spec: { memberOf: ['team-payments'] },
  relations: [{ type: 'memberOf', targetRef: 'group:default/team-platform' }],
};

export interface RunResult {
  outputs: Record<string, unknown>;
  logs: string[];
}

/** Runs the action's handler as the scaffolder would, for `user` (started by `credentials`), with or without a dry run. */
export async function runAction(
  action: TemplateAction<any, any, any>,
  input: Record<string, unknown>,
  options: { isDryRun?: boolean; user?: { entity?: UserEntity; ref?: string }; credentials?: BackstageCredentials } = {},
): Promise<RunResult> {
  const outputs: Record<string, unknown> = {};
  const logs: string[] = [];
  const log = (message: string) => void logs.push(message);
  const logger = { info: log, warn: log, error: log, debug: log, child: () => logger };
  const ctx = {
    logger,
    workspacePath: '/nonexistent',
    input,
    checkpoint: async ({ fn }: { fn: () => unknown }) => fn(),
    output: (name: string, value: unknown) => void (outputs[name] = value),
    createTemporaryDirectory: async () => {
      throw new Error('not used by the idp actions');
    },
    // Who started the task, as the scaffolder says (default: alice, signed in).
    getInitiatorCredentials: async () => options.credentials ?? userCredentials('user:default/alice'),
    task: { id: 'task-1' },
    isDryRun: options.isDryRun,
    user: 'user' in options ? options.user : { entity: TEST_USER, ref: 'user:default/alice' },
  } as unknown as ActionContext<any, any, any>;
  await action.handler(ctx);
  return { outputs, logs };
}
