/**
 * The headline rows of src/engine/quant/NOTES.md and docs/lowrank-experiments.md and the newest bench table of
 * docs/bench.md, generated from recorded results (results/headline/*.json, results/bench/*.json), never typed by hand.
 *
 *   node --import tsx scripts/experiments/headline.ts --add <result.json> --as <name> [--commit SHA]
 *       keeps a trimmed copy of a quant.ts / lowrank.ts result (spectra and episode lists dropped) as results/headline/<name>.json
 *   node --import tsx scripts/experiments/headline.ts [--check]
 *       rewrites the blocks between `<!-- headline:<table> -->` and `<!-- /headline:<table> -->` in the docs
 *       (--check: exit 1 when a doc is not what the records give); `layerlens report` does the same with the same
 *       generator (src/engine/analyses/report/blocks.ts), beside docs/results/
 *
 * New experiments write result records instead (src/engine/results, scripts/experiments/ablations.ts) and
 * `layerlens report` builds docs/results/ from them; it reads the files kept here through an adapter
 * (src/engine/results/headline.ts), so these runs appear there too, with their record links.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { writeBlocks } from '../../src/engine/analyses/report/blocks';
import { report } from '../../src/engine/analyses/report';

const root = resolve(import.meta.dirname, '../..');
const recordsDir = join(root, 'results/headline');

type Rec = Record<string, any>;

const { values } = parseArgs({ options: { add: { type: 'string' }, as: { type: 'string' }, commit: { type: 'string' }, check: { type: 'boolean' } } });

if (values.add) {
  if (!values.as || !/^[a-z0-9][a-z0-9.+-]*$/.test(values.as)) throw new Error('--as <name> (lower-case letters, digits, . + -) is required with --add');
  const raw = JSON.parse(readFileSync(values.add, 'utf8'));
  // lowrank.ts writes an array of runs; quant.ts one result per file
  const rec: Rec = Array.isArray(raw) ? raw[0] : raw;
  for (const heavy of ['spectra', 'episodes', 'modelPath', 'recordPath']) delete rec[heavy];
  rec.measured = { commit: values.commit ?? null, source: values.as };
  mkdirSync(recordsDir, { recursive: true });
  writeFileSync(join(recordsDir, `${values.as}.json`), JSON.stringify(rec, null, 1) + '\n');
  process.exit(0);
}

// the blocks themselves: the same generator `layerlens report` runs (src/engine/analyses/report/blocks.ts)
const stale = writeBlocks(root, join(root, 'results'), report(join(root, 'results')), { check: values.check });
if (values.check && stale.length) {
  console.error(`headline tables differ from results/headline in ${stale.join(', ')}: run npx layerlens report`);
  process.exit(1);
}
