/**
 * `action import`: video files laid out as `<Class>/<video>` become frame folders (`<Class>/<video name>/frame_NNN.png`)
 * through a system ffmpeg: `frames` frames spread over the video, scaled to size × size.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { z } from 'zod';
import type { ActionImportConfig, ActionImportResult } from '../../../shared/api-action';
import { throwIfCancelled, type RunContext } from '../../core/context';
import { UserError } from '../../core/errors';

type Parsed = z.output<typeof ActionImportConfig>;
const VIDEO_EXT = new Set(['.avi', '.mp4', '.mov', '.mkv', '.webm', '.mpg', '.mpeg']);

/** Throws the one-line error when no ffmpeg answers on the PATH. */
export function requireFfmpeg(ffmpeg = process.env.LAYERLENS_FFMPEG ?? 'ffmpeg'): string {
  const probe = spawnSync(ffmpeg, ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new UserError(`video import needs ffmpeg on the PATH (none found as "${ffmpeg}"); install it, or give frame folders (<Class>/<clip>/<frame>.png) instead`);
  }
  return ffmpeg;
}

function durationOf(ffmpeg: string, file: string): number | null {
  const probe = spawnSync(ffmpeg, ['-i', file], { encoding: 'utf8' });
  const m = /Duration:\s*(\d+):(\d+):(\d+(?:\.\d+)?)/.exec(probe.stderr ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : null;
}

export async function run(config: Parsed, ctx: RunContext): Promise<ActionImportResult> {
  const ffmpeg = requireFfmpeg();
  const src = resolve(config.videos);
  const out = resolve(config.out);
  const classes = readdirSync(src).filter((c) => !c.startsWith('.') && statSync(join(src, c)).isDirectory()).sort();
  const jobs = classes.flatMap((c) => readdirSync(join(src, c)).filter((f) => VIDEO_EXT.has(extname(f).toLowerCase())).sort().map((f) => ({ c, f })));
  if (!jobs.length) throw new UserError('has no <Class>/<video> files (avi, mp4, mov, mkv, webm, mpg)', src);
  let done = 0;
  for (const { c, f } of jobs) {
    throwIfCancelled(ctx);
    const file = join(src, c, f);
    const dir = join(out, c, basename(f, extname(f)));
    mkdirSync(dir, { recursive: true });
    const seconds = durationOf(ffmpeg, file);
    const fps = seconds && seconds > 0 ? config.frames / seconds : 4;
    const r = spawnSync(ffmpeg, ['-v', 'error', '-y', '-i', file, '-vf', `fps=${fps},scale=${config.size}:${config.size}`, '-frames:v', String(config.frames), join(dir, 'frame_%03d.png')], { encoding: 'utf8' });
    if (r.status !== 0) throw new UserError(`ffmpeg could not read it (${(r.stderr ?? '').trim().split('\n')[0]})`, file);
    ctx.progress({ fraction: ++done / jobs.length, stage: `importing videos (${done}/${jobs.length})` });
  }
  return { out, clips: jobs.length, classes };
}
