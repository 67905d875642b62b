import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isFrameFolder, loadFrameFolder } from '../video/frame-folder';
import type { DatasetKind } from './types';

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

/** Clips as UCF101-style frame folders (`<Class>/<clip>/<frame>.png`): a video dataset. */
export const frameFolderKind: DatasetKind = {
  name: 'frame-folder',
  task: 'video',
  expects: 'a frame folder of clips (<Class>/<clip>/<frame>.png)',
  match: (ref) => isFrameFolder(expandHome(ref)),
  key: (ref) => `frames\0${resolve(expandHome(ref))}`,
  load: (ref, opts) => loadFrameFolder(ref, resolve(expandHome(ref)), opts),
};
