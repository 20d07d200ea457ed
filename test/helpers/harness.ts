/**
 * What command tests share: a small kubeconfig to point at the fake API,
 * and a runner that captures stdout, stderr, the requests and the failure.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import type { Deps } from '../../src/commands/deps.js';
import { Logger } from '../../src/log.js';
import { type Route, type SeenRequest, fakeApi } from './fake-api.js';

/** The fake caller's token: it must never show up in output. */
export const callerToken = 'fake-caller-token-abcdef';

/** A text sink that keeps what was written. */
export interface Capture {
  text: string;
  write(t: string): void;
}

/** A sink for stdout or stderr. */
export function capture(): Capture {
  return {
    text: '',
    write(t: string) {
      this.text += t;
    },
  };
}

/**
 * Writes a kubeconfig with context "dev" (cluster "dev-cluster", user
 * "dev-user", namespace "team") in a fresh folder; `cluster` holds the
 * cluster stanza's lines, indented by four spaces. Returns the folder.
 */
export function devKubeconfig(cluster: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'ksa-cmd-'));
  const lines = [
    'apiVersion: v1',
    'kind: Config',
    'current-context: dev',
    'contexts:',
    '- name: dev',
    '  context: {cluster: dev-cluster, user: dev-user, namespace: team}',
    'clusters:',
    '- name: dev-cluster',
    '  cluster:',
    ...cluster.map((l) => `    ${l}`),
    'users:',
    '- name: dev-user',
    `  user: {token: ${callerToken}}`,
    '',
  ];
  writeFileSync(path.join(dir, 'config'), lines.join('\n'));
  return dir;
}

/** What one command run against the fake API produced. */
export interface CommandRun {
  stdout: string;
  stderr: string;
  requests: SeenRequest[];
  failure: unknown;
}

/** Runs `command` with deps whose HTTP goes to a fake answering `routes`. */
export async function runAgainst(
  routes: Route[],
  now: Date,
  command: (deps: Deps) => Promise<void>,
  level = 0,
): Promise<CommandRun> {
  const api = fakeApi(routes);
  const out = capture();
  const err = capture();
  const deps: Deps = {
    env: { HOME: '/nonexistent' },
    log: new Logger(level, err),
    out,
    stdinIsTTY: false,
    now: () => now,
    httpApi: api.httpApi,
  };
  let failure: unknown;
  try {
    await command(deps);
  } catch (e) {
    failure = e;
  }
  return { stdout: out.text, stderr: err.text, requests: api.requests, failure };
}
