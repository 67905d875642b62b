import type { Component } from 'vue';
import WorkspaceView from './WorkspaceView.vue';
import LayersView from './LayersView.vue';
import JobsView from './JobsView.vue';
import TrainView from './TrainView.vue';
import SpectraView from './SpectraView.vue';
import ExportView from './ExportView.vue';
import DiffView from './DiffView.vue';
import BitwidthsView from './BitwidthsView.vue';
import SensitivityView from './SensitivityView.vue';
import ReviewView from './ReviewView.vue';
import DifficultyView from './DifficultyView.vue';
import ResultsView from './ResultsView.vue';
import PartsView from './PartsView.vue';
import ActionView from './ActionView.vue';

export interface ViewEntry {
  view: string;
  label: string;
  icon: string;
  component: Component;
}

/** The studio's views, in sidebar order (inspect → compress → export → run): one line per capability view. */
export const viewEntries: ViewEntry[] = [
  { view: 'workspace', label: 'Workspace', icon: '▦', component: WorkspaceView },
  { view: 'layers', label: 'Layers', icon: '≡', component: LayersView },
  { view: 'sensitivity', label: 'Sensitivity', icon: '▩', component: SensitivityView },
  { view: 'bitwidths', label: 'Bit-widths', icon: '▤', component: BitwidthsView },
  { view: 'spectra', label: 'Spectra / Low-rank', icon: '◺', component: SpectraView },
  { view: 'export', label: 'Export', icon: '⇪', component: ExportView },
  { view: 'diff', label: 'Diff', icon: '⇄', component: DiffView },
  { view: 'train', label: 'Train / Evaluate', icon: '▶', component: TrainView },
  { view: 'review', label: 'Review', icon: '☑', component: ReviewView },
  { view: 'difficulty', label: 'Difficulty', icon: '◭', component: DifficultyView },
  { view: 'parts', label: 'Parts', icon: '⌗', component: PartsView },
  { view: 'action', label: 'Action', icon: '⏵', component: ActionView },
  { view: 'results', label: 'Results', icon: '◫', component: ResultsView },
  { view: 'jobs', label: 'Jobs', icon: '◷', component: JobsView },
];
