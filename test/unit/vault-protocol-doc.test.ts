import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';

// The vault's wire contract lives in docs/vault-protocol.md: every `§` the code cites must be a
// section of it, and its index of BV deviations must name every section and file that has one.
const DOC = path.resolve('docs/vault-protocol.md');
const SRC = path.resolve('src');

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** Numbered headings (`### 3.8 Share rights` → 3.8), each with the text under it up to the next heading. */
function sections(doc: string): Array<{ id: string; body: string }> {
  const found: Array<{ id: string; body: string }> = [];
  const stack: Array<{ level: number; id: string }> = [];
  let current: { id: string; body: string } | undefined;
  for (const line of doc.split('\n')) {
    const heading = /^(#{1,6}) (.*)$/.exec(line);
    if (heading) {
      const level = (heading[1] as string).length;
      const number = /^(\d+(?:\.\d+)*)\.? /.exec(heading[2] as string);
      while (stack.length > 0 && (stack.at(-1) as { level: number }).level >= level) stack.pop();
      if (number) stack.push({ level, id: number[1] as string });
      // An unnumbered heading (`#### GET /info/`) belongs to the numbered one above it.
      const id = stack.at(-1)?.id;
      current = id === undefined ? undefined : (found.find((s) => s.id === id) ?? found[found.push({ id, body: '' }) - 1]);
    }
    if (current) current.body += `${line}\n`;
  }
  return found;
}

/** The rows `| N |` of the weakness table of §5, cited as `§5 #N`. */
function weaknesses(doc: string): Set<number> {
  const five = sections(doc).find((s) => s.id === '5')?.body ?? '';
  return new Set([...five.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1])));
}

/**
 * Every `§` citation of a source text that does not resolve in the document: `§3.8`, both ends of
 * `§3.5–3.9`, the row of `§5 #4`. A section of another document (`RFC 9110 §14`) is not ours.
 */
function unresolved(source: string, doc: string): string[] {
  const ids = new Set(sections(doc).map((s) => s.id));
  const rows = weaknesses(doc);
  const missing: string[] = [];
  for (const m of source.matchAll(/(RFC\s*\d+\s*)?§\s?(\d+(?:\.\d+)*)(?:\s*[–-]\s*§?(\d+(?:\.\d+)*))?(?:\s+#(\d+))?/g)) {
    if (m[1]) continue;
    for (const id of [m[2], m[3]]) if (id !== undefined && !ids.has(id)) missing.push(`§${id}`);
    if (m[4] !== undefined && (m[2] !== '5' || !rows.has(Number(m[4])))) missing.push(`§${m[2]} #${m[4]}`);
  }
  return missing;
}

const BV_MARK = /\bBV\b/;

test('every § cited under src/ is a section of docs/vault-protocol.md', async () => {
  const doc = await readFile(DOC, 'utf8');
  const missing: string[] = [];
  let cited = 0;
  for (const file of await sourceFiles(SRC)) {
    const text = await readFile(file, 'utf8');
    cited += [...text.matchAll(/§/g)].length;
    for (const id of unresolved(text, doc)) missing.push(`${path.relative(SRC, file)}: ${id}`);
  }
  assert.ok(cited > 100, `the code cites the spec (${cited} citations)`);
  assert.deepEqual(missing, []);
});

test('the rule sees a citation that does not resolve (control)', () => {
  const doc = '# Spec\n## 1. One\n### 1.2 Two\n#### GET /x/\n## 5. Five\n| # | a |\n|---|---|\n| 1 | x |\n| 2 | y |\n';
  assert.deepEqual(unresolved('see §1.2, §1, §1.2–1, §5 #2 and RFC 9110 §14', doc), []);
  assert.deepEqual(unresolved('see §1.3 and §2', doc), ['§1.3', '§2']);
  assert.deepEqual(unresolved('a range §1.2–1.9, a row §5 #3, a row of no table §1 #1', doc), ['§1.9', '§5 #3', '§1 #1']);
});

test('the index of BV deviations names every section that has one', async () => {
  const doc = await readFile(DOC, 'utf8');
  const index = /^Sections with BV deviations: ([^]*?)\. §5 lists/m.exec(doc);
  assert.ok(index, 'the index is there');
  const listed = (index[1] as string).split(/,\s*/).map((s) => s.trim().replace(/^§/, ''));
  const marked = sections(doc)
    .filter((s) => s.body.split('\n').some((line) => BV_MARK.test(line)))
    .map((s) => s.id);
  assert.deepEqual([...listed].sort(), [...marked].sort());
  assert.ok(marked.includes('3.8') && marked.includes('3.8.0'), 'an unnumbered heading counts for the section above it');
});

test('the index of BV deviations names every source file marked BV', async () => {
  const doc = await readFile(DOC, 'utf8');
  const listed = [...doc.matchAll(/^- `(src\/[^`]+)`:/gm)].map((m) => m[1] as string);
  const marked: string[] = [];
  for (const file of await sourceFiles(SRC)) if (BV_MARK.test(await readFile(file, 'utf8'))) marked.push(path.relative(path.dirname(SRC), file));
  assert.ok(marked.length >= 5, `found ${marked.length} marked files`);
  assert.deepEqual([...listed].sort(), [...marked].sort());
});
