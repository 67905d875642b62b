import { resolve } from 'node:path';
import { regenerate } from '../../engine/analyses/report';
import { UserError } from '../../engine/core/errors';
import { formatFigure } from '../../shared/api-report';
import type { CliCommand } from '../util';

const report: CliCommand = {
  name: 'report',
  usage: `  report [--records DIR] [--out DIR] [--check] [--json]
                                                 regenerate docs/results/*.md and their SVG charts from the result
                                                 records (default results/ → docs/results/), and the marker blocks
                                                 (<!-- headline:… -->) of the repo's docs from results/headline and
                                                 results/bench; no network, no training;
                                                 --check: change nothing, exit 1 when the docs differ from the records`,
  options: { records: { type: 'string' }, out: { type: 'string' }, check: { type: 'boolean' } },
  positionals: { count: 0, what: 'no positional argument' },
  async run({ values, json, out }) {
    const check = values.check === true;
    const { report: r, changed, blocks } = regenerate(resolve((values.records as string | undefined) ?? 'results'), resolve((values.out as string | undefined) ?? 'docs/results'), { check });
    if (json) {
      out(
        JSON.stringify({
          tables: r.tables.map((t) => ({
            name: t.name,
            rows: t.rows.map((row) => ({ row: row.row, seeds: row.seeds, records: row.records, figures: Object.fromEntries(row.cells.map((c) => [c.key, { mean: c.mean, std: c.std, n: c.n }])) })),
            seeds: t.seeds,
          })),
          changed,
          blocks,
          skipped: r.skipped,
        }),
      );
    } else {
      for (const t of r.tables) {
        const first = t.columns[0];
        out(`${t.name}: ${t.rows.length} rows, seeds ${t.seeds.join(',')}`);
        for (const row of t.rows) {
          const c = first && row.cells.find((x) => x.key === first.key);
          out(`  ${row.row.padEnd(48)} ${c ? `${first.label} ${formatFigure(c.mean, first.format, c.n > 1 ? c.std : undefined)}` : ''} (n ${row.seeds.length})`);
        }
      }
      if (r.skipped.length) out(`left out ${r.skipped.length} JSON file(s) that are not result records (no "schema" field), e.g. ${r.skipped[0]}`);
      if (check) {
        if (changed.length) out(`stale: ${changed.join(', ')}`);
        else out('docs/results is up to date');
        out(blocks.length ? `stale marker blocks: ${blocks.join(', ')}` : 'the marker blocks are up to date');
      } else out(`${changed.length} file(s) written; marker blocks rewritten in ${blocks.length ? blocks.join(', ') : 'no doc (all up to date)'}`);
    }
    // main() owns the exit status (a process.exitCode set here is overwritten): a stale doc is an error, exit 1
    const stale = [...changed.map((f) => `docs/results/${f}`), ...blocks];
    if (check && stale.length) throw new UserError(`the docs differ from the records (${stale.join(', ')}): run npx layerlens report`);
  },
};

export const reportCommands: CliCommand[] = [report];
