/**
 * An error the user caused or can fix (bad file, bad flag, bad shape). Hosts print `message` as one line,
 * never a stack trace. `file` names the offending file when there is one.
 */
export class UserError extends Error {
  readonly file?: string;
  constructor(message: string, file?: string) {
    super(file ? `${file}: ${message}` : message);
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

/** One line for any thrown value: user errors as they are, others prefixed so bugs stay recognisable. */
export function oneLine(err: unknown): string {
  if (err instanceof UserError || err instanceof CancelledError) return err.message.split('\n')[0];
  if (err instanceof Error) return `internal error: ${err.message.split('\n')[0]}`;
  return `internal error: ${String(err).split('\n')[0]}`;
}
