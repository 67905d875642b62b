// What one format module exposes (Netron's ModelFactory shape): `match` sniffs a file, `load` opens it as a
// LoadedModel, `write` writes an export plan, `verify` reloads what it wrote with the runtime that would consume
// it. A format that only reads (or only writes) leaves the other half out. formats/index.ts lists them.
import type { RunContext } from '../core/context';
import type { LoadedModel } from '../models/model';
import type { ExportPlan } from '../export/plan';
import type { ExportSession, Verified, Written } from '../export/verify';
import type { ExportFormat } from '../../shared/api-export';
import type { TfjsDtype } from './tfjs-layers/export';

/** @public options a format's writer takes (part of the FormatModule seam) */
export interface WriteOptions {
  metadata: Record<string, unknown>;
  tfjsDtype?: TfjsDtype;
}

/** @public what a format's loader is given (part of the FormatModule seam) */
export interface LoadRequest {
  file: string;
  ref: string;
  name: string;
  builtin: boolean;
}

export interface FormatModule {
  name: string;
  /** the `export --format` value this module writes */
  target?: ExportFormat;
  match?(file: string): boolean;
  load?(req: LoadRequest): Promise<LoadedModel>;
  /** whether this module can write the plan's model (e.g. tfjs-layers needs a layer topology) */
  canWrite?(plan: ExportPlan): boolean;
  write?(s: ExportSession, dir: string, opts: WriteOptions, ctx: RunContext): Promise<Written>;
  verify?(s: ExportSession, written: Written, dir: string, ctx: RunContext): Promise<Verified>;
}
