import type { Component } from 'vue';
import WorkspaceView from './WorkspaceView.vue';
import LayersView from './LayersView.vue';
import JobsView from './JobsView.vue';
import TrainView from './TrainView.vue';

export interface ViewEntry {
  view: string;
  label: string;
  icon: string;
  component: Component;
}

/** The studio's views, in sidebar order: one line per capability view. */
export const viewEntries: ViewEntry[] = [
  { view: 'workspace', label: 'Workspace', icon: '▦', component: WorkspaceView },
  { view: 'layers', label: 'Layers', icon: '≡', component: LayersView },
  { view: 'jobs', label: 'Jobs', icon: '◷', component: JobsView },
  { view: 'train', label: 'Train / Evaluate', icon: '▶', component: TrainView },
];
