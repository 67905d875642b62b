import { resolve } from 'node:path';
import { AnnotationsIO, type AnnotationsIOResult } from '../../shared/api-review';
import { UsageError, numFlag, oneOf, required, stringFlags, withService, type CliCommand } from '../util';

const annotations: CliCommand = {
  name: 'annotations',
  usage: `  annotations import|export --data DIR --format coco|voc --file PATH [--split train|val|test] [--set ID]
        [--val-fraction F] [--val-seed S] [--json]
                                                 a detection split's annotations into / out of the workspace's annotation
                                                 store (COCO instances JSON, or a VOC folder of Annotations/*.xml); export
                                                 writes the dataset's own, or a review set's kept boxes (--set)`,
  options: stringFlags('data', 'format', 'file', 'split', 'set', 'val-fraction', 'val-seed'),
  positionals: { count: 1, what: 'import or export' },
  async run({ values, positionals, json, workspace, out }) {
    const dir = positionals[0];
    if (dir !== 'import' && dir !== 'export') throw new UsageError(`annotations needs import or export, got "${dir}"`);
    if (dir === 'import' && values.set !== undefined) throw new UsageError('annotations import: --set is for export (import makes its own set)');
    const req: AnnotationsIO = {
      data: required('data', values.data as string | undefined),
      format: required('format', oneOf('format', values.format, ['coco', 'voc'] as const)),
      file: resolve(required('file', values.file as string | undefined)),
      split: oneOf('split', values.split, ['train', 'val', 'test'] as const),
      set: values.set as string | undefined,
      valFraction: numFlag('val-fraction', values['val-fraction'], AnnotationsIO),
      valSeed: numFlag('val-seed', values['val-seed'], AnnotationsIO),
    };
    const r: AnnotationsIOResult = await withService(workspace, (s) => s.call(dir === 'import' ? 'annotations.import' : 'annotations.export', req));
    out(json ? JSON.stringify(r) : `${dir === 'import' ? 'imported' : 'exported'} ${r.boxes} boxes on ${r.images} images ${dir === 'import' ? 'from' : 'to'} ${r.file} (review set ${r.set})`);
  },
};

/** `layerlens` commands of the annotation store. */
export const annotationCommands: CliCommand[] = [annotations];
