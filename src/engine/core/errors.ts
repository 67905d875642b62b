/**
 * The one place that turns a thrown value into the line a user sees; every host (CLI, browser shell, Electron
 * main and its engine host, job workers) prints errors through `oneLine`.
 */

/**
 * An error the user caused or can fix (bad file, bad flag, bad shape). Hosts print `message` as one line,
 * never a stack trace. `file` names the offending file when there is one.
 */
export class UserError extends Error {
  readonly file?: string;
  constructor(message: string, file?: string) {
    // one line whatever the file held: names read from a damaged file may carry newlines or terminal escapes
    super((file ? `${file}: ${message}` : message).replace(/[\u0000-\u001f\u007f]+/g, ' '));
    this.name = 'UserError';
    this.file = file;
  }
}

/** Thrown by a job that stopped because its signal was aborted. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

/** A line that `oneLine` already made in another process or thread (engine host, job worker): passed on as it is. */
export class RelayedError extends Error {
  constructor(line: string) {
    super(line);
    this.name = 'RelayedError';
  }
}

// errors whose message is meant for the user; by name, so a UserError from another copy of this module counts too
// (RequestError is the contract's, src/shared/api.ts)
const SHOWN = new Set(['UserError', 'CancelledError', 'RelayedError', 'RequestError']);
const MAX_CHARS = 500;

/** The first line of a text, at most 500 characters. */
export function firstLine(text: string): string {
  return text.split('\n')[0].slice(0, MAX_CHARS);
}

/** One line for any thrown value: user errors as they are, others prefixed so bugs stay recognisable. */
export function oneLine(err: unknown): string {
  if (err instanceof Error) {
    const line = firstLine(err.message);
    return SHOWN.has(err.name) || line.startsWith('internal error') ? line : `internal error: ${line}`;
  }
  return `internal error: ${firstLine(String(err))}`;
}
