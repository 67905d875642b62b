import { resolve } from 'node:path';
import { AnnotationsIO, type AnnotationsIOResult } from '../../shared/api-review';
import { UsageError, numFlag, oneOf, required, subcommands, withService, type CliCommand, type CommandArgs, type Subcommand } from '../util';

// --set is accepted by import too, so that it is refused with the reason rather than as an unknown option
const FLAGS = ['data', 'format', 'file', 'split', 'set', 'val-fraction', 'val-seed'];

async function io(dir: 'import' | 'export', { values, json, workspace, out }: CommandArgs): Promise<void> {
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
}

const subs: Record<string, Subcommand> = {
  import: {
    usage: `  annotations import|export --data DIR --format coco|voc --file PATH [--split train|val|test] [--set ID]
        [--val-fraction F] [--val-seed S] [--json]
                                                 a detection split's annotations into / out of the workspace's annotation
                                                 store (COCO instances JSON, or a VOC folder of Annotations/*.xml); export
                                                 writes the dataset's own, or a review set's kept boxes (--set)`,
    flags: FLAGS,
    positionals: [],
    run: (args) => io('import', args),
  },
  export: { flags: FLAGS, positionals: [], run: (args) => io('export', args) },
};

const annotations = subcommands('annotations', subs, {
  refuse: (got) => `annotations needs import or export${got === undefined ? '' : `, got "${got}"`}`,
});

/** `layerlens` commands of the annotation store. */
export const annotationCommands: CliCommand[] = [annotations];
