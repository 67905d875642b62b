import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { loadImageFolder } from '../image-folder';
import type { DatasetKind } from './types';

function looksLikePath(ref: string): boolean {
  return isAbsolute(ref) || /[\\/]/.test(ref) || ref.startsWith('.') || ref.startsWith('~');
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') || p.startsWith('~\\') ? join(homedir(), p.slice(1)) : p;
}

function isExistingDir(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** A folder with one sub-folder of PNG/JPEG images per class (see ../image-folder.ts). */
export const imageFolderKind: DatasetKind = {
  name: 'image-folder',
  task: 'classification',
  expects: 'an image folder path',
  // any path-like ref is claimed, so a missing folder gets "not found" rather than "unknown dataset"
  match: (ref) => looksLikePath(ref) || isExistingDir(expandHome(ref)),
  key: (ref, opts) => `folder\0${resolve(expandHome(ref))}\0${opts.size ? opts.size.join('x') : ''}`,
  load: (ref, opts) => loadImageFolder(ref, expandHome(ref), opts),
};
