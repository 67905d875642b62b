// The format registry: one module per format (one folder each), tried in order. Adding a format is one folder
// plus one line here; model loading and export iterate over this list instead of branching on extensions.
import type { ExportPlan } from '../export/plan';
import type { ExportFormat } from '../../shared/api-export';
import type { FormatModule } from './format';
import { tfjsLayersFormat } from './tfjs-layers';
import { tfjsGraphFormat } from './tfjs-graph';
import { onnxFormat } from './onnx';
import { aimetFormat } from './aimet';
import { packedFormat } from './packed';

export type { FormatModule } from './format';

/** @public the registry itself, in the order formats are tried */
export const formats: readonly FormatModule[] = [tfjsLayersFormat, tfjsGraphFormat, onnxFormat, aimetFormat, packedFormat];

/** The first format whose `match` accepts the file, or null. */
export function formatOf(file: string): FormatModule | null {
  return formats.find((f) => f.load && f.match?.(file)) ?? null;
}

/** The formats that can write `target` for this plan (tfjs: the layers writer or the graph writer). */
export function writersOf(target: ExportFormat, plan: ExportPlan): FormatModule[] {
  const all = formats.filter((f) => f.target === target && f.write && f.verify);
  const able = all.filter((f) => !f.canWrite || f.canWrite(plan));
  return able.length ? able : all.slice(0, 1);
}
