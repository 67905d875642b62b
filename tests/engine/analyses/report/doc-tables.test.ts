import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../../..');

/** tables of numbers that are not measurements */
const NOT_MEASURED: Record<string, string> = { 'docs/packed-format.md': 'the file layout (byte offsets and sizes)' };
/** generated elsewhere: docs/results by `layerlens report`; results/ holds the experiments' own outputs */
const GENERATED = /^(docs\/results\/|results\/|tests\/fixtures\/)/;

/** a cell holding a figure: a bare number, or a number with decimals or a unit somewhere in it */
const figureCell = (c: string) => /^[−+-]?\**\d[\d,.]*\**$/.test(c) || /\d\.\d|\d\s?(%|pp\b|×|ms\b|s\b|K\b)/.test(c);

/**
 * The tables of measured figures in a markdown text that are neither inside a `<!-- headline:… -->` block (rebuilt
 * by `layerlens report`) nor in a section (under the nearest heading) marked "Dated log" — i.e. typed by hand with
 * nothing saying so. Returns the line numbers of their header rows.
 */
function unmarkedMeasuredTables(text: string): number[] {
  const lines = text.split('\n');
  const out: number[] = [];
  let inBlock = false;
  let sectionMarked = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (/^<!-- headline:/.test(l)) inBlock = true;
    if (/^<!-- \/headline:/.test(l)) inBlock = false;
    if (/^#{1,6} /.test(l)) sectionMarked = false;
    if (/Dated log/.test(l)) sectionMarked = true;
    if (!l.startsWith('|') || !/^\|[\s:|-]+\|$/.test(lines[i + 1] ?? '')) continue;
    const start = i;
    let j = i + 2;
    const body: string[][] = [];
    for (; j < lines.length && lines[j].startsWith('|'); j++) body.push(lines[j].split('|').slice(1, -1).map((c) => c.trim()));
    const numeric = body.filter((cells) => cells.filter(figureCell).length >= 2).length;
    if (!inBlock && !sectionMarked && body.length && numeric * 2 >= body.length) out.push(start + 1);
    i = j - 1;
  }
  return out;
}

describe('no table of measured figures in the docs is typed by hand unmarked', () => {
  it('the rule sees a typed table, and accepts it in a marker block or a dated-log section', () => {
    const typed = '## Runs\n\n| run | top-1 | wall |\n|---|---|---|\n| a | 98.1 % | 31 s |\n| b | 97.9 % | 30 s |\n';
    expect(unmarkedMeasuredTables(typed)).toEqual([3]);
    expect(unmarkedMeasuredTables(typed.replace('## Runs\n', '## Runs\n\n> **Dated log** of one run.\n'))).toEqual([]);
    expect(unmarkedMeasuredTables(`<!-- headline:x -->\n${typed}<!-- /headline:x -->\n`)).toEqual([]);
    expect(unmarkedMeasuredTables('| need | choice |\n|---|---|\n| a | `zod` 3 |\n')).toEqual([]);
  });

  it('every tracked markdown file passes', () => {
    const files = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' }).split('\n').filter((f) => f && !GENERATED.test(f) && !(f in NOT_MEASURED));
    const bad = files.flatMap((f) => unmarkedMeasuredTables(readFileSync(join(root, f), 'utf8')).map((n) => `${f}:${n}`));
    expect(bad).toEqual([]);
  });
});
