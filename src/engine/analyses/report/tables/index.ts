/**
 * How each table family is presented: title, columns, charts and the papers' claims checked on it, one file per
 * family. Only the presentation lives here; every number comes from the records. A table with no spec gets every
 * metric. A new family: its own file exporting a `TableSpec`, listed in `tableSpecs` below.
 */
import type { TableSpec } from './common';
import { dnq } from './dnq';
import { slq } from './slq';
import { mlq } from './mlq';
import { trp } from './trp';
import { zigzag, zigzagSweep } from './zigzag';
import { action, actionGap } from './action';
import { headlineQuant, headlineTrp } from './headline';
import { ptq } from './ptq';
import { parts, partsMining, partsMiningVal } from './parts';

export type { ChartSpec, RowStats, TableSpec } from './common';

/** table family (the table name without its `-<net>` suffix) → its presentation */
const tableSpecs: Record<string, TableSpec> = {
  dnq,
  slq,
  mlq,
  trp,
  zigzag,
  parts,
  'parts-mining': partsMining,
  'parts-mining-val': partsMiningVal,
  action,
  'action-gap': actionGap,
  'zigzag-sweep': zigzagSweep,
  ptq,
  'headline-quant': headlineQuant,
  'headline-trp': headlineTrp,
};

/** The spec of a table name: its family is the name without the `-<net>` suffix. */
export function specFor(table: string): TableSpec | undefined {
  return tableSpecs[familyOf(table)];
}

export function familyOf(table: string): string {
  return table.replace(/-(lenet|resnet8|resnet14|resnet20)$/, '');
}
