import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export const DEPLOY_DOC = path.resolve('docs/deploy.md');

/**
 * The one fenced block of docs/deploy.md tagged with this language, exactly as the doc has it:
 * the tests run what an operator copies, so the doc and the test cannot drift apart.
 */
export async function deployDocBlock(language: 'nginx' | 'caddyfile' | 'ini'): Promise<string> {
  const doc = await readFile(DEPLOY_DOC, 'utf8');
  const blocks = [...doc.matchAll(new RegExp('^```' + language + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1] ?? '');
  assert.equal(blocks.length, 1, `docs/deploy.md has one \`\`\`${language} block`);
  return blocks[0] ?? '';
}

/**
 * Replaces `from` with `to` where it occurs exactly once in the block: the tests change only ports,
 * paths and certificate files, and a doc edit that moves one of them fails here, by name.
 */
export function substitute(block: string, from: string, to: string): string {
  const count = block.split(from).length - 1;
  assert.equal(count, 1, `the block has ${JSON.stringify(from)} once (found ${count})`);
  return block.replace(from, () => to);
}

/** The named executable's path, or undefined when it is not installed (the test then says so). */
export function findBinary(name: string, candidates: string[]): string | undefined {
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const found = which.stdout.trim();
  return which.status === 0 && found ? found : undefined;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** "5g" (nginx) or "5GiB"/"5GB" (Caddy, where GB is 10^9) in bytes. */
export function parseByteSize(text: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(text.trim());
  const unit = BYTE_UNITS[(match?.[2] ?? '?').toLowerCase()];
  assert.ok(match && unit !== undefined, `a byte size: ${text}`);
  return Number(match[1]) * unit;
}

/** "130s", "2m" in seconds (nginx and Caddy durations of the forms the doc uses). */
export function parseSeconds(text: string): number {
  const match = /^(\d+)(ms|s|m|h)?$/.exec(text.trim());
  assert.ok(match, `a duration: ${text}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * factor;
}

/** The value of a directive that appears once in the block (`name value;` or `name value`). */
export function directive(block: string, name: string): string {
  const found = [...block.matchAll(new RegExp(`^\\s*${name}\\s+([^;#\\n{]+?)\\s*;?\\s*(?:#.*)?$`, 'gm'))];
  assert.equal(found.length, 1, `the block sets ${name} once`);
  return found[0]?.[1] ?? '';
}
