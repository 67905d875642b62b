import type { TaskName } from '../../tasks';
import type { BuiltinInfo, Dataset, LoadOptions } from '../types';

/**
 * One way of getting a dataset from a ref (Netron's shape: match, then open). A new source (VOC, COCO, frame
 * folders) is one more file in this folder and one line in ./index.ts; nothing that uses datasets changes.
 */
export interface DatasetKind {
  name: string;
  /** what the datasets of this kind are for */
  task: TaskName;
  /** how a ref of this kind is written, for the "unknown dataset" message */
  expects: string;
  match(ref: string): boolean;
  /** memo key: everything the loaded data depends on besides the val options */
  key(ref: string, opts: LoadOptions): string;
  load(ref: string, opts: LoadOptions): Promise<Dataset>;
  /** the datasets this kind offers by name (built-ins) */
  list?(): BuiltinInfo[];
}
