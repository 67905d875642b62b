import type { CliCommand } from '../util';

/** `layerlens` commands of the quant capability (issue work adds them here). */
export const quantCommands: CliCommand[] = [];
