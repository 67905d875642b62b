/**
 * The few numbers the papers (or the yardsticks they compare with) report for the comparisons of the report's
 * tables, as ../shared/docs/methods.md gives them. Never measured here: the report shows them marked "paper"
 * beside the measured figures, with the setting they come from (which is not this project's small setting).
 */
import type { PaperFigure } from '../../../shared/api-report';

/** table family (the table name before its net suffix) → the papers' figures */
export const paperFigures: Record<string, PaperFigure[]> = {
  trp: [
    { kind: 'paper', label: 'baseline top-1', value: 0.9174, format: 'pct', setting: 'ResNet-20 / CIFAR-10, TRP README', source: 'methods.md §2.5' },
    { kind: 'paper', label: 'TRP+Nu channel top-1 at 2.17×', value: 0.905, format: 'pct', setting: 'ResNet-20 / CIFAR-10, TRP README', source: 'methods.md §2.5' },
    { kind: 'paper', label: 'TRP+Nu spatial top-1 at 2.84×', value: 0.9062, format: 'pct', setting: 'ResNet-20 / CIFAR-10, TRP README', source: 'methods.md §2.5' },
    { kind: 'paper', label: 'TRP+Nu spatial speed-up', value: 2.84, format: 'ratio', setting: 'ResNet-20 / CIFAR-10, TRP README', source: 'methods.md §2.5' },
  ],
  slq: [
    { kind: 'paper', label: 'INQ 5-bit top-1 (float 68.27 %)', value: 0.6898, format: 'pct', setting: 'ResNet-18 / ImageNet, INQ paper (a yardstick, not an SLQ number)', source: 'methods.md §4.6' },
  ],
  mlq: [
    { kind: 'paper', label: 'INQ ternary top-1 (float 68.27 %)', value: 0.6602, format: 'pct', setting: 'ResNet-18 / ImageNet, INQ paper (a yardstick, not an MLQ number)', source: 'methods.md §4.6' },
  ],
  dnq: [
    { kind: 'paper', label: 'INQ 5-bit top-1 at 6.4× (float 57.22 %)', value: 0.5739, format: 'pct', setting: 'AlexNet / ImageNet, INQ paper (DNQ\'s own tables were not reachable)', source: 'methods.md §1.6' },
  ],
};
