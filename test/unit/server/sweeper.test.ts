import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { startSweeper } from '../../../src/server/sweeper.js';

test('the sweeper runs every task at once and on its interval; a failing task does not stop the others', async () => {
  const runs: string[] = [];
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const stop = startSweeper(
    [
      { name: 'broken', run: async () => { runs.push('broken'); throw new Error('store down'); } },
      { name: 'sessions', run: async () => { runs.push('sessions'); return 2; } },
    ],
    1,
    log,
  );
  const deadline = Date.now() + 10_000;
  while (runs.length < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  await stop();
  assert.deepEqual(runs.slice(0, 4), ['broken', 'sessions', 'broken', 'sessions']);
  const parsed = lines.map((l) => JSON.parse(l) as { msg: string; task: string; removed?: number });
  assert.ok(parsed.some((l) => l.msg === 'sweep failed' && l.task === 'broken'));
  assert.ok(parsed.some((l) => l.msg === 'swept' && l.task === 'sessions' && l.removed === 2));
  const after = runs.length;
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(runs.length, after, 'stopped');
});
