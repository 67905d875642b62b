import type { CliCommand } from '../util';

/** `layerlens` commands of the lowrank capability (issue work adds them here). */
export const lowrankCommands: CliCommand[] = [];
