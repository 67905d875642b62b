import type { CliCommand } from '../util';

/** `layerlens` commands of the export capability (issue work adds them here). */
export const exportCommands: CliCommand[] = [];
